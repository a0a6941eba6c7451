// The pending-pod diagnosis of `steer why pending` and the web console: why a pod is not running, read
// from what the components recorded — the PodScheduled condition and FailedScheduling events, the node
// it is bound to, container waiting/terminated states (image pulls, back-off, crashes) and probe
// failures. Pure (objects in, findings and text out), so the CLI and the browser share one copy.
import type { Event, Node, Pod } from 'kubernetes-types/core/v1';
import { ageOf } from './time';

export interface Finding {
  area: 'scheduling' | 'node' | 'image' | 'container' | 'probe' | 'status' | 'event';
  summary: string;
  details: string[];
  hint?: string;
}

function latest(events: Event[], reason: string): Event | undefined {
  return events
    .filter((e) => e.reason === reason)
    .sort((a, b) => Date.parse(b.lastTimestamp || b.eventTime || b.metadata?.creationTimestamp || '') - Date.parse(a.lastTimestamp || a.eventTime || a.metadata?.creationTimestamp || ''))[0];
}

/** The per-node reasons of a scheduler message: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) …". */
export function schedulingReasons(message: string): string[] {
  const colon = message.indexOf(':');
  if (colon < 0) return [];
  return message
    .slice(colon + 1)
    .replace(/\.\s*$/, '')
    .split(/,\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function schedulingHint(reasons: string[]): string | undefined {
  const text = reasons.join(' ').toLowerCase();
  if (text.includes('unschedulable')) return 'a node is cordoned: `steer uncordon NODE`';
  if (text.includes('insufficient')) return 'lower the pod\'s resource requests or add capacity';
  if (text.includes('taint')) return 'add a toleration for the node\'s taint, or remove the taint';
  if (text.includes('selector') || text.includes('affinity')) return 'check nodeSelector/affinity against `steer get nodes --show-labels`';
  if (text.includes('0/0') || text.includes('no nodes')) return 'no node is registered: is a node agent running? (`steer get nodes`)';
  return undefined;
}

/** Everything that explains why `pod` is not (yet) running and ready, most decisive first. */
export function explainPod(pod: Pod, events: Event[], node?: Node | null, now = Date.now()): Finding[] {
  const out: Finding[] = [];
  const st = pod.status || {};
  const scheduled = (st.conditions || []).find((c) => c.type === 'PodScheduled');
  if (pod.metadata?.deletionTimestamp) {
    out.push({ area: 'status', summary: `being deleted since ${ageOf(pod.metadata.deletionTimestamp, now)} ago`, details: [], hint: 'the node agent stops its containers, then the pod disappears' });
  }
  if (!pod.spec?.nodeName) {
    const failed = latest(events, 'FailedScheduling');
    const message = failed?.message || (scheduled?.status === 'False' ? scheduled.message || '' : '');
    if (message) {
      const reasons = schedulingReasons(message);
      out.push({
        area: 'scheduling',
        summary: `cannot be scheduled: ${message}`,
        details: reasons.length > 1 ? reasons : [],
        hint: schedulingHint(reasons.length ? reasons : [message]),
      });
    } else {
      out.push({
        area: 'scheduling',
        summary: 'not scheduled yet, and no scheduler has reported on it',
        details: [`created ${ageOf(pod.metadata?.creationTimestamp, now)} ago`],
        hint: 'is the scheduler running? (`steer up` starts it); `spec.schedulerName` must be default-scheduler',
      });
    }
    return out;
  }
  if (node === null) {
    out.push({ area: 'node', summary: `bound to node ${pod.spec.nodeName}, which does not exist`, details: [], hint: 'delete the pod so its controller recreates it' });
  } else if (node) {
    const ready = (node.status?.conditions || []).find((c) => c.type === 'Ready');
    if (!ready || ready.status !== 'True') {
      out.push({
        area: 'node',
        summary: `node ${pod.spec.nodeName} is not Ready (${ready ? `${ready.reason || ready.status}: ${ready.message || ''}`.trim() : 'no status reported'})`,
        details: [],
        hint: 'is its node agent running? check its log',
      });
    }
  }
  const statuses = [...(st.initContainerStatuses || []), ...(st.containerStatuses || [])];
  for (const c of [...(pod.spec.initContainers || []), ...(pod.spec.containers || [])]) {
    const cs = statuses.find((s) => s.name === c.name);
    if (!cs) {
      if ((st.phase || 'Pending') === 'Pending') out.push({ area: 'container', summary: `container ${c.name}: not created yet`, details: [] });
      continue;
    }
    const waiting = cs.state?.waiting;
    const term = cs.lastState?.terminated || cs.state?.terminated;
    if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff' || waiting?.reason === 'InvalidImageName') {
      const pull = events.filter((e) => e.reason === 'Failed' && (e.message || '').includes(c.image || '\u0000')).map((e) => e.message || '');
      out.push({
        area: 'image',
        summary: `container ${c.name}: cannot pull image ${c.image} (${waiting.reason})`,
        details: [waiting.message || '', ...pull.slice(-2)].filter(Boolean),
        hint: 'check the image name and tag; steer\'s local registry is 127.0.0.1:5000 (nginx:1.22, busybox:1.35, pause:3.9)',
      });
    } else if (waiting?.reason === 'CrashLoopBackOff') {
      out.push({
        area: 'container',
        summary: `container ${c.name}: crashing, restarted ${cs.restartCount} times (CrashLoopBackOff)`,
        details: [waiting.message || '', term ? `last exit: code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}` : ''].filter(Boolean),
        hint: `see why it exits: \`steer logs ${pod.metadata?.name} -c ${c.name} --previous\``,
      });
    } else if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
      out.push({ area: 'container', summary: `container ${c.name}: waiting (${waiting.reason})`, details: [waiting.message || ''].filter(Boolean) });
    } else if (waiting) {
      out.push({ area: 'container', summary: `container ${c.name}: ${waiting.reason || 'waiting'}`, details: [] });
    } else if (cs.state?.terminated && pod.spec.restartPolicy !== 'Always') {
      out.push({ area: 'container', summary: `container ${c.name}: exited with code ${cs.state.terminated.exitCode}${cs.state.terminated.reason ? ` (${cs.state.terminated.reason})` : ''}`, details: [] });
    } else if (cs.state?.running && !cs.ready) {
      const probe = events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message || '');
      out.push({
        area: 'probe',
        summary: `container ${c.name}: running but not ready`,
        details: probe.length ? probe.slice(-3) : [c.readinessProbe ? 'readiness probe has not succeeded yet' : 'no readiness probe: not ready only while starting'],
        hint: c.readinessProbe?.httpGet ? `the readiness probe GETs port ${c.readinessProbe.httpGet.port} path ${c.readinessProbe.httpGet.path || '/'}` : undefined,
      });
    } else if (cs.restartCount > 0 && term) {
      out.push({ area: 'container', summary: `container ${c.name}: restarted ${cs.restartCount} times, last exit code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}`, details: [] });
    }
  }
  const liveness = events.filter((e) => e.reason === 'Unhealthy' && (e.message || '').startsWith('Liveness'));
  if (liveness.length && !out.some((f) => f.area === 'probe')) {
    out.push({ area: 'probe', summary: 'liveness probe failures (the container is restarted)', details: liveness.slice(-3).map((e) => e.message || '') });
  }
  const explained = new Set(['FailedScheduling', 'Unhealthy', 'Failed', 'BackOff']);
  for (const e of events.filter((ev) => ev.type === 'Warning' && !explained.has(ev.reason || ''))) {
    out.push({ area: 'event', summary: `${e.reason}: ${e.message}`, details: [] });
  }
  return out;
}

export function renderExplanation(pod: Pod, findings: Finding[]): string {
  const phase = pod.metadata?.deletionTimestamp ? 'Terminating' : pod.status?.phase || 'Pending';
  const lines = [`pod/${pod.metadata?.name} (namespace ${pod.metadata?.namespace}): ${phase}${pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : ''}`];
  if (findings.length === 0) {
    const ready = (pod.status?.conditions || []).find((c) => c.type === 'Ready')?.status === 'True';
    lines.push(ready ? '  nothing is wrong: it is running and ready' : '  no problem recorded yet; it is starting (check again in a moment)');
  }
  for (const f of findings) {
    lines.push(`  [${f.area}] ${f.summary}`);
    for (const d of f.details) lines.push(`      - ${d}`);
    if (f.hint) lines.push(`      hint: ${f.hint}`);
  }
  return lines.join('\n') + '\n';
}
