// `steer describe`: kubectl's describe layout for pods, deployments, replicasets, services and nodes
// (other kinds: their metadata, spec and status as YAML), each followed by its events.
import { Command } from 'commander';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Container, Event, Node, Pod, PodTemplateSpec, Service } from 'kubernetes-types/core/v1';
import { KubeClient, KubeObject } from '../../lib/client/client';
import { ResourceType, Resources } from '../../lib/api/resources';
import { labelSelectorToString } from '../../lib/api/selectors';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withAllNamespaces, withClient, withClientOptions } from '../options';
import { tabulate, toYaml } from '../printers';
import { ageOf } from '../../lib/api/time';
import { parseResourceArgs } from '../resource-args';
import { ownedReplicaSets } from './rollout';

type Lines = string[];

function kv(lines: Lines, indent: number, key: string, value: unknown, width = 24): void {
  const label = `${' '.repeat(indent)}${key}:`;
  lines.push(`${label.padEnd(Math.max(width, label.length + 1))}${value === undefined || value === '' ? '<none>' : String(value)}`);
}

function mapText(m: Record<string, string> | undefined, hide: string[] = []): string[] {
  const entries = Object.entries(m || {}).filter(([k]) => !hide.includes(k));
  return entries.length ? entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`) : ['<none>'];
}

function kvList(lines: Lines, indent: number, key: string, values: string[], width = 24): void {
  kv(lines, indent, key, values[0], width);
  for (const v of values.slice(1)) lines.push(' '.repeat(Math.max(width, indent + key.length + 2)) + v);
}

/** RFC 1123 time as kubectl prints it: Mon, 23 Nov 2026 06:51:31 +0000. */
export function rfc1123(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return d.toUTCString().replace('GMT', '+0000');
}

function metaLines(lines: Lines, o: KubeObject, width = 24): void {
  const md = (o.metadata || {}) as KubeObject['metadata'] & { labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string };
  kv(lines, 0, 'Name', md?.name, width);
  if (md?.namespace) kv(lines, 0, 'Namespace', md.namespace, width);
  kv(lines, 0, 'CreationTimestamp', rfc1123(md?.creationTimestamp), width);
  kvList(lines, 0, 'Labels', mapText(md?.labels), width);
  kvList(lines, 0, 'Annotations', mapText(md?.annotations, ['kubectl.kubernetes.io/last-applied-configuration']), width);
}

function containerLines(lines: Lines, c: Container, indent: number, status?: Pod['status']): void {
  const pad = ' '.repeat(indent);
  lines.push(`${pad}${c.name}:`);
  const w = indent + 20;
  const cs = status?.containerStatuses?.find((s) => s.name === c.name);
  if (cs?.containerID) kv(lines, indent + 2, 'Container ID', cs.containerID, w);
  kv(lines, indent + 2, 'Image', c.image, w);
  const port = c.ports?.[0];
  kv(lines, indent + 2, 'Port', port ? `${port.containerPort}/${port.protocol || 'TCP'}` : '<none>', w);
  kv(lines, indent + 2, 'Host Port', port ? `${port.hostPort || 0}/${port.protocol || 'TCP'}` : '<none>', w);
  if (c.command) kvList(lines, indent + 2, 'Command', c.command, w);
  if (c.args) kvList(lines, indent + 2, 'Args', c.args, w);
  if (cs) {
    const [stateName, state] = Object.entries(cs.state || {})[0] || ['Waiting', {}];
    const st = state as { reason?: string; startedAt?: string; exitCode?: number; message?: string };
    kv(lines, indent + 2, 'State', stateName[0].toUpperCase() + stateName.slice(1), w);
    if (st.reason) kv(lines, indent + 4, 'Reason', st.reason, w);
    if (st.message) kv(lines, indent + 4, 'Message', st.message, w);
    if (st.exitCode !== undefined) kv(lines, indent + 4, 'Exit Code', st.exitCode, w);
    if (st.startedAt) kv(lines, indent + 4, 'Started', rfc1123(st.startedAt), w);
    const last = Object.entries(cs.lastState || {})[0];
    if (last) {
      const ls = last[1] as { reason?: string; exitCode?: number; finishedAt?: string };
      kv(lines, indent + 2, 'Last State', last[0][0].toUpperCase() + last[0].slice(1), w);
      if (ls.reason) kv(lines, indent + 4, 'Reason', ls.reason, w);
      if (ls.exitCode !== undefined) kv(lines, indent + 4, 'Exit Code', ls.exitCode, w);
    }
    kv(lines, indent + 2, 'Ready', cs.ready ? 'True' : 'False', w);
    kv(lines, indent + 2, 'Restart Count', cs.restartCount, w);
  }
  const res = c.resources || {};
  if (res.limits) kvList(lines, indent + 2, 'Limits', Object.entries(res.limits).map(([k, v]) => `${k}: ${v}`), w);
  if (res.requests) kvList(lines, indent + 2, 'Requests', Object.entries(res.requests).map(([k, v]) => `${k}: ${v}`), w);
  const probe = (p: Container['livenessProbe']) =>
    p?.httpGet
      ? `http-get http://:${p.httpGet.port}${p.httpGet.path || '/'} delay=${p.initialDelaySeconds || 0}s timeout=${p.timeoutSeconds || 1}s period=${p.periodSeconds || 10}s #success=${p.successThreshold || 1} #failure=${p.failureThreshold || 3}`
      : p?.exec
        ? `exec [${(p.exec.command || []).join(' ')}] delay=${p.initialDelaySeconds || 0}s period=${p.periodSeconds || 10}s`
        : p?.tcpSocket
          ? `tcp-socket :${p.tcpSocket.port} delay=${p.initialDelaySeconds || 0}s period=${p.periodSeconds || 10}s`
          : undefined;
  if (c.livenessProbe) kv(lines, indent + 2, 'Liveness', probe(c.livenessProbe), w);
  if (c.readinessProbe) kv(lines, indent + 2, 'Readiness', probe(c.readinessProbe), w);
  kvList(lines, indent + 2, 'Environment', (c.env || []).map((e) => `${e.name}: ${e.value ?? '<set from source>'}`).concat(c.env?.length ? [] : ['<none>']), w);
  kvList(lines, indent + 2, 'Mounts', (c.volumeMounts || []).map((m) => `${m.mountPath} from ${m.name}`).concat(c.volumeMounts?.length ? [] : ['<none>']), w);
}

function conditionLines(lines: Lines, conditions: Array<{ type: string; status: string; reason?: string }> | undefined, withReason: boolean): void {
  if (!conditions?.length) return;
  lines.push('Conditions:');
  const rows = withReason
    ? [['Type', 'Status', 'Reason'], ['----', '------', '------'], ...conditions.map((c) => [c.type, c.status, c.reason || ''])]
    : [['Type', 'Status'], ['----', '------'], ...conditions.map((c) => [c.type, c.status])];
  lines.push(...tabulate(rows).text.trimEnd().split('\n').map((l) => '  ' + l));
}

export function eventLines(events: Event[], now = Date.now()): Lines {
  if (events.length === 0) return ['Events:  <none>'];
  const sorted = [...events].sort((a, b) => Date.parse(eventTime(a) || '') - Date.parse(eventTime(b) || ''));
  const rows = [
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    ['----', '------', '----', '----', '-------'],
    ...sorted.map((e) => {
      const count = e.count && e.count > 1 ? ` (x${e.count} over ${ageOf(e.firstTimestamp || eventTime(e), now)})` : '';
      return [e.type || 'Normal', e.reason || '', ageOf(eventTime(e), now) + count, e.source?.component || e.reportingComponent || '', e.message || ''];
    }),
  ];
  return ['Events:', ...tabulate(rows).text.trimEnd().split('\n').map((l) => '  ' + l)];
}

function eventTime(e: Event): string | undefined {
  return e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata?.creationTimestamp;
}

export async function eventsFor(client: KubeClient, obj: KubeObject, kind: string): Promise<Event[]> {
  const md = obj.metadata || {};
  const fields = [`involvedObject.name=${md.name}`, `involvedObject.kind=${kind}`];
  if (md.namespace) fields.push(`involvedObject.namespace=${md.namespace}`);
  if (md.uid) fields.push(`involvedObject.uid=${md.uid}`);
  try {
    const list = await client.list<Event>(Resources.events, { namespace: md.namespace || undefined, fieldSelector: fields.join(',') });
    return list.items || [];
  } catch {
    // An apiserver without field selectors on events: filter here.
    const list = await client.list<Event>(Resources.events, { namespace: md.namespace || undefined });
    return (list.items || []).filter((e) => e.involvedObject?.name === md.name && e.involvedObject?.kind === kind);
  }
}

function describePod(p: Pod): Lines {
  const lines: Lines = [];
  metaLines(lines, p as KubeObject, 19);
  kv(lines, 0, 'Priority', p.spec?.priority ?? 0, 19);
  kv(lines, 0, 'Node', p.spec?.nodeName ? `${p.spec.nodeName}/${p.status?.hostIP || ''}` : '<none>', 19);
  kv(lines, 0, 'Start Time', p.status?.startTime ? rfc1123(p.status.startTime) : '<none>', 19);
  kv(lines, 0, 'Status', p.metadata?.deletionTimestamp ? 'Terminating' : p.status?.phase || 'Pending', 19);
  if (p.status?.reason) kv(lines, 0, 'Reason', p.status.reason, 19);
  if (p.status?.message) kv(lines, 0, 'Message', p.status.message, 19);
  kv(lines, 0, 'IP', p.status?.podIP, 19);
  const owner = p.metadata?.ownerReferences?.find((o) => o.controller);
  kv(lines, 0, 'Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>', 19);
  lines.push('Containers:');
  for (const c of p.spec?.containers || []) containerLines(lines, c, 2, p.status);
  conditionLines(lines, p.status?.conditions, false);
  kv(lines, 0, 'QoS Class', p.status?.qosClass, 17);
  kvList(lines, 0, 'Node-Selectors', mapText(p.spec?.nodeSelector), 17);
  kvList(lines, 0, 'Tolerations', (p.spec?.tolerations || []).map((t) => `${t.key || ''}${t.operator === 'Exists' ? '' : `=${t.value || ''}`}:${t.effect || ''}`).concat(p.spec?.tolerations?.length ? [] : ['<none>']), 17);
  return lines;
}

/** kubectl's DescribePodTemplate: `Pod Template:` with labels and containers (describe, rollout history --revision). */
export function podTemplateLines(template: PodTemplateSpec | undefined): Lines {
  const lines: Lines = ['Pod Template:'];
  kvList(lines, 2, 'Labels', mapText(template?.metadata?.labels), 9);
  if (template?.metadata?.annotations && Object.keys(template.metadata.annotations).length) kvList(lines, 2, 'Annotations', mapText(template.metadata.annotations), 9);
  lines.push('  Containers:');
  for (const c of template?.spec?.containers || []) containerLines(lines, c, 3);
  return lines;
}

async function describeDeployment(client: KubeClient, d: Deployment): Promise<Lines> {
  const lines: Lines = [];
  metaLines(lines, d as KubeObject);
  kv(lines, 0, 'Selector', labelSelectorToString(d.spec?.selector));
  const st = d.status || {};
  kv(lines, 0, 'Replicas', `${d.spec?.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`);
  kv(lines, 0, 'StrategyType', d.spec?.strategy?.type || 'RollingUpdate');
  kv(lines, 0, 'MinReadySeconds', d.spec?.minReadySeconds ?? 0);
  const ru = d.spec?.strategy?.rollingUpdate;
  if ((d.spec?.strategy?.type || 'RollingUpdate') === 'RollingUpdate') {
    kv(lines, 0, 'RollingUpdateStrategy', `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`);
  }
  lines.push(...podTemplateLines(d.spec?.template));
  conditionLines(lines, d.status?.conditions, true);
  const sets = await ownedReplicaSets(client, d);
  const templateHash = (rs: ReplicaSet) => rs.metadata?.labels?.['pod-template-hash'];
  const newest = sets[sets.length - 1];
  const rsText = (rs: ReplicaSet) => `${rs.metadata?.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
  const old = sets.filter((rs) => rs !== newest && (rs.spec?.replicas ?? 0) > 0);
  kv(lines, 0, 'OldReplicaSets', old.length ? old.map(rsText).join(', ') : '<none>', 17);
  kv(lines, 0, 'NewReplicaSet', newest && templateHash(newest) !== undefined ? rsText(newest) : '<none>', 17);
  return lines;
}

function describeService(s: Service): Lines {
  const lines: Lines = [];
  metaLines(lines, s as KubeObject, 19);
  kvList(lines, 0, 'Selector', mapText(s.spec?.selector), 19);
  kv(lines, 0, 'Type', s.spec?.type || 'ClusterIP', 19);
  kv(lines, 0, 'IP', s.spec?.clusterIP, 19);
  for (const p of s.spec?.ports || []) {
    kv(lines, 0, 'Port', `${p.name || '<unset>'}  ${p.port}/${p.protocol || 'TCP'}`, 19);
    kv(lines, 0, 'TargetPort', `${p.targetPort ?? p.port}/${p.protocol || 'TCP'}`, 19);
    if (p.nodePort) kv(lines, 0, 'NodePort', `${p.name || '<unset>'}  ${p.nodePort}/${p.protocol || 'TCP'}`, 19);
  }
  return lines;
}

function describeNode(n: Node, pods: Pod[]): Lines {
  const lines: Lines = [];
  metaLines(lines, n as KubeObject, 19);
  kv(lines, 0, 'Unschedulable', n.spec?.unschedulable ? 'true' : 'false', 19);
  kvList(lines, 0, 'Taints', (n.spec?.taints || []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).concat(n.spec?.taints?.length ? [] : ['<none>']), 19);
  conditionLines(lines, n.status?.conditions, true);
  lines.push('Addresses:');
  for (const a of n.status?.addresses || []) lines.push(`  ${a.type}:  ${a.address}`);
  for (const [label, res] of [['Capacity', n.status?.capacity], ['Allocatable', n.status?.allocatable]] as const) {
    lines.push(`${label}:`);
    for (const [k, v] of Object.entries(res || {})) lines.push(`  ${k}:  ${v}`);
  }
  const info = n.status?.nodeInfo;
  if (info) {
    lines.push('System Info:');
    kv(lines, 2, 'Kernel Version', info.kernelVersion, 29);
    kv(lines, 2, 'OS Image', info.osImage, 29);
    kv(lines, 2, 'Container Runtime Version', info.containerRuntimeVersion, 29);
    kv(lines, 2, 'Kubelet Version', info.kubeletVersion, 29);
  }
  lines.push(`Non-terminated Pods:          (${pods.length} in total)`);
  const rows = [['Namespace', 'Name', 'Age'], ['---------', '----', '---'], ...pods.map((p) => [p.metadata?.namespace || '', p.metadata?.name || '', ageOf(p.metadata?.creationTimestamp)])];
  lines.push(...tabulate(rows).text.trimEnd().split('\n').map((l) => '  ' + l));
  return lines;
}

/** The describe text of one object. */
export async function describeObject(client: KubeClient, r: ResourceType, obj: KubeObject): Promise<string> {
  let lines: Lines;
  if (r === Resources.pods) lines = describePod(obj as Pod);
  else if (r === Resources.deployments) lines = await describeDeployment(client, obj as Deployment);
  else if (r === Resources.services) lines = describeService(obj as Service);
  else if (r === Resources.nodes) {
    const pods = await client.list<Pod>(Resources.pods, { fieldSelector: `spec.nodeName=${obj.metadata?.name}` }).catch(() => ({ items: [] as Pod[] }));
    lines = describeNode(obj as Node, (pods.items || []).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase || '')));
  } else {
    lines = [];
    metaLines(lines, obj);
    const rest = { ...(obj as Record<string, unknown>) };
    delete rest.metadata;
    delete rest.apiVersion;
    delete rest.kind;
    lines.push(...toYaml(rest).trimEnd().split('\n'));
  }
  lines.push(...eventLines(await eventsFor(client, obj, r.kind)));
  return lines.join('\n') + '\n';
}

export interface DescribeOptions {
  namespace: string;
  allNamespaces?: boolean;
  selector?: string;
}

/** Prints the describe text of every object named (or selected), separated by blank lines. */
export async function runDescribe(client: KubeClient, args: string[], o: DescribeOptions, streams: Streams): Promise<void> {
  const blocks: string[] = [];
  for (const sel of parseResourceArgs(args)) {
    const r = sel.resource;
    const scope = r.namespaced && !o.allNamespaces ? o.namespace : undefined;
    const objects: KubeObject[] = sel.names.length
      ? await Promise.all(sel.names.map((n) => client.get<KubeObject>(r, scope, n)))
      : (await client.list<KubeObject>(r, { namespace: scope, labelSelector: o.selector })).items;
    for (const obj of objects) blocks.push(await describeObject(client, r, obj));
  }
  streams.out(blocks.join('\n\n'));
}

export function register(program: Command): void {
  withAllNamespaces(
    withClientOptions(
      program
        .command('describe')
        .description('show details of a resource and its events')
        .argument('<resources...>', 'TYPE [NAME...] | TYPE/NAME')
        .option('-l, --selector <selector>', 'label selector'),
    ),
  ).action(
    action(async (args: string[], o: ClientFlags & { selector?: string }) => {
      await withClient(o, (client) => runDescribe(client, args, { namespace: namespaceOf(client, o), allNamespaces: o.allNamespaces, selector: o.selector }, processStreams));
    }),
  );
}
