// `steer scale` and `steer rollout status|history|undo|restart` for Deployments, DaemonSets and
// StatefulSets, with kubectl's messages. Deployments keep their history in ReplicaSets; DaemonSets and
// StatefulSets in ControllerRevisions, whose data is a strategic merge patch that puts the template back
// (what kubectl sends on undo).
import { Command } from 'commander';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { deepEqual } from '../../lib/api/json';
import { KubeClient, KubeObject } from '../../lib/client/client';
import { ResourceType, Resources } from '../../lib/api/resources';
import { labelSelectorToString } from '../../lib/api/selectors';
import { action } from '../errors';
import { boolFlag, parseDuration } from '../flag-values';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { Progress } from '../progress';
import { qualifiedName, tabulate } from '../printers';
import { oneObject, resolveResource } from '../resource-args';
import { rfc3339 } from '../../lib/api/time';
import { podTemplateLines } from './describe';

export async function runScale(
  client: KubeClient,
  r: ResourceType,
  namespace: string,
  name: string,
  replicas: number,
  currentReplicas: number | undefined,
  streams: Streams,
): Promise<void> {
  if (!r.subresources.includes('scale')) throw new Error(`cannot scale ${r.resource}: no scale subresource`);
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const ns = r.namespaced ? namespace : undefined;
  if (currentReplicas !== undefined) {
    const scale = await client.get<{ spec?: { replicas?: number }; metadata?: Record<string, unknown> }>(r, ns, name, 'scale');
    const was = scale.spec?.replicas ?? 0;
    if (was !== currentReplicas) throw new Error(`Expected replicas to be ${currentReplicas}, was ${was}`);
    await client.update(r, { ...scale, apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { ...scale.spec, replicas } } as KubeObject, 'scale');
  } else {
    await client.patch(r, ns, name, { spec: { replicas } }, 'merge', 'scale');
  }
  streams.out(`${qualifiedName(r, name)} scaled\n`);
}

export interface RolloutState {
  done: boolean;
  message: string;
}

/** kubectl's DeploymentStatusViewer: what `rollout status` prints for a Deployment as it is now. */
export function deploymentRolloutState(d: Deployment): RolloutState {
  const name = d.metadata?.name;
  const st = d.status || {};
  if ((d.metadata?.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    const progressing = (st.conditions || []).find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      throw new Error(`deployment "${name}" exceeded its progress deadline`);
    }
    const want = d.spec?.replicas ?? 1;
    const updated = st.updatedReplicas ?? 0;
    if (updated < want) {
      return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
    }
    if ((st.replicas ?? 0) > updated) {
      return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...` };
    }
    if ((st.availableReplicas ?? 0) < updated) {
      return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
    }
    return { done: true, message: `deployment "${name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for deployment spec update to be observed...' };
}

/** kubectl's DaemonSetStatusViewer. */
export function daemonSetRolloutState(ds: DaemonSet): RolloutState {
  const name = ds.metadata?.name;
  const st = ds.status;
  if (st && (ds.metadata?.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    if ((st.updatedNumberScheduled ?? 0) < st.desiredNumberScheduled) {
      return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${st.updatedNumberScheduled ?? 0} out of ${st.desiredNumberScheduled} new pods have been updated...` };
    }
    if ((st.numberAvailable ?? 0) < st.desiredNumberScheduled) {
      return { done: false, message: `Waiting for daemon set "${name}" rollout to finish: ${st.numberAvailable ?? 0} of ${st.desiredNumberScheduled} updated pods are available...` };
    }
    return { done: true, message: `daemon set "${name}" successfully rolled out` };
  }
  return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
}

/** kubectl's StatefulSetStatusViewer (a defaulted RollingUpdate strategy has rollingUpdate.partition 0, hence "partitioned"). */
export function statefulSetRolloutState(sts: StatefulSet): RolloutState {
  const strategy = sts.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  const st = sts.status;
  if (!st?.observedGeneration || (sts.metadata?.generation ?? 0) > st.observedGeneration) {
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = sts.spec?.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < replicas) return { done: false, message: `Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...` };
  if (strategy?.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition ?? 0;
    if ((st.updatedReplicas ?? 0) < replicas - partition) {
      return { done: false, message: `Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${replicas - partition} new pods have been updated...` };
    }
    return { done: true, message: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...` };
  }
  if (st.updateRevision !== st.currentRevision) {
    return { done: false, message: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...` };
  }
  return { done: true, message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}...` };
}

function rolloutStateOf(r: ResourceType, obj: KubeObject): RolloutState {
  if (r === Resources.deployments) return deploymentRolloutState(obj as Deployment);
  if (r === Resources.daemonsets) return daemonSetRolloutState(obj as DaemonSet);
  if (r === Resources.statefulsets) return statefulSetRolloutState(obj as StatefulSet);
  throw new Error(`no status viewer has been implemented for ${r.kind}`);
}

/** `rollout status`: prints each new state until the rollout is done (or the timeout passes). */
export async function runRolloutStatus(
  client: KubeClient,
  r: ResourceType,
  namespace: string,
  name: string,
  o: { timeoutMs?: number; watch?: boolean },
  streams: Streams,
): Promise<void> {
  const deadline = o.timeoutMs ? Date.now() + o.timeoutMs : Infinity;
  const progress = new Progress(streams);
  let last = '';
  try {
    for (;;) {
      const obj = await client.get<KubeObject>(r, namespace, name);
      const state = rolloutStateOf(r, obj);
      if (state.message !== last) {
        streams.out(state.message + '\n');
        last = state.message;
        progress.update(state.message);
      }
      if (state.done || o.watch === false) return;
      if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
      await new Promise((res) => setTimeout(res, 250));
    }
  } finally {
    progress.done();
  }
}

const revisionAnnotation = 'deployment.kubernetes.io/revision';
const changeCauseAnnotation = 'kubernetes.io/change-cause';

/** The ReplicaSets a Deployment owns, oldest revision first. */
export async function ownedReplicaSets(client: KubeClient, d: Deployment): Promise<ReplicaSet[]> {
  const list = await client.list<ReplicaSet>(Resources.replicasets, {
    namespace: d.metadata?.namespace,
    labelSelector: labelSelectorToString(d.spec?.selector),
  });
  return (list.items || [])
    .filter((rs) => (rs.metadata?.ownerReferences || []).some((o) => o.uid === d.metadata?.uid && o.controller))
    .sort((a, b) => revisionOf(a) - revisionOf(b));
}

export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = Number(o.metadata?.annotations?.[revisionAnnotation] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

/** A DaemonSet or StatefulSet: an owner of ControllerRevisions. */
type RevisionOwner = (DaemonSet | StatefulSet) & KubeObject;

function isRevisionOwner(r: ResourceType): boolean {
  return r === Resources.daemonsets || r === Resources.statefulsets;
}

/** kubectl's controlledHistories: the revisions matching the owner's selector that it controls, by revision. */
export async function ownedRevisions(client: KubeClient, owner: RevisionOwner): Promise<ControllerRevision[]> {
  const list = await client.list<ControllerRevision>(Resources.controllerrevisions, {
    namespace: owner.metadata?.namespace,
    labelSelector: labelSelectorToString(owner.spec?.selector),
  });
  return (list.items || [])
    .filter((h) => (h.metadata?.ownerReferences || []).some((o) => o.uid === owner.metadata?.uid && o.controller))
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

/** The pod template a revision puts back (its data is `{spec: {template: {..., $patch: replace}}}`). */
export function revisionTemplate(h: ControllerRevision): PodTemplateSpec {
  const data = h.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined;
  const { $patch: _directive, ...template } = data?.spec?.template ?? {};
  return withoutNullTimestamp(template);
}

/** Revisions carry Go's `metadata.creationTimestamp: null`; a template compares the same with or without it. */
function withoutNullTimestamp(t: PodTemplateSpec | undefined): PodTemplateSpec {
  if (!t?.metadata || t.metadata.creationTimestamp !== null) return t ?? {};
  const { creationTimestamp: _null, ...metadata } = t.metadata;
  return { ...t, metadata };
}

export async function runRolloutHistory(client: KubeClient, r: ResourceType, namespace: string, name: string, revision: number, streams: Streams): Promise<void> {
  const header = qualifiedName(r, name);
  if (r === Resources.deployments) {
    const d = await client.get<Deployment>(r, namespace, name);
    const sets = await ownedReplicaSets(client, d);
    if (revision > 0) {
      const rs = sets.find((s) => revisionOf(s) === revision);
      if (!rs) throw new Error(`unable to find the specified revision`);
      streams.out(`${header} with revision #${revision}\n` + podTemplateLines(rs.spec?.template).join('\n') + '\n\n');
      return;
    }
    const rows = [['REVISION', 'CHANGE-CAUSE'], ...sets.map((rs) => [String(revisionOf(rs)), rs.metadata?.annotations?.[changeCauseAnnotation] || '<none>'])];
    streams.out(`${header} \n` + tabulate(rows).text + '\n');
    return;
  }
  if (!isRevisionOwner(r)) throw new Error(`no history viewer has been implemented for "${r.kind}"`);
  const owner = await client.get<RevisionOwner>(r, namespace, name);
  const history = await ownedRevisions(client, owner);
  if (revision > 0) {
    const h = history.find((x) => x.revision === revision);
    if (!h) throw new Error(`unable to find the specified revision`);
    streams.out(`${header} with revision #${revision}\n` + podTemplateLines(revisionTemplate(h)).join('\n') + '\n\n');
    return;
  }
  if (history.length === 0) {
    streams.out(`No rollout history found in ${r.kind.toLowerCase()} "${name}"\n`);
    return;
  }
  const rows = [['REVISION', 'CHANGE-CAUSE'], ...history.map((h) => [String(h.revision ?? 0), h.metadata?.annotations?.[changeCauseAnnotation] || '<none>'])];
  streams.out(`${header} \n` + tabulate(rows).text + '\n');
}

/** Rolls a DaemonSet or StatefulSet back as kubectl does: the revision's data as a strategic merge patch. */
async function undoFromRevisions(client: KubeClient, r: ResourceType, namespace: string, name: string, toRevision: number, streams: Streams): Promise<void> {
  const owner = await client.get<RevisionOwner>(r, namespace, name);
  const history = await ownedRevisions(client, owner);
  if (toRevision === 0 && history.length <= 1) throw new Error('no last revision to roll back to');
  // toRevision 0 = the one before the latest.
  const target = toRevision > 0 ? history.find((h) => h.revision === toRevision) : history[history.length - 2];
  if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  if (deepEqual(revisionTemplate(target), withoutNullTimestamp(owner.spec?.template))) {
    streams.out(`${qualifiedName(r, name)} skipped rollback (current template already matches revision ${target.revision})\n`);
    return;
  }
  await client.patch(r, namespace, name, target.data as Record<string, unknown>, 'strategic');
  streams.out(`${qualifiedName(r, name)} rolled back\n`);
}

export async function runRolloutUndo(client: KubeClient, r: ResourceType, namespace: string, name: string, toRevision: number, streams: Streams): Promise<void> {
  if (isRevisionOwner(r)) return undoFromRevisions(client, r, namespace, name, toRevision, streams);
  if (r !== Resources.deployments) throw new Error(`no rollbacker has been implemented for "${r.kind}"`);
  const d = await client.get<Deployment>(Resources.deployments, namespace, name);
  const sets = await ownedReplicaSets(client, d);
  const current = revisionOf(d);
  let target: ReplicaSet | undefined;
  if (toRevision > 0) {
    target = sets.find((rs) => revisionOf(rs) === toRevision);
    if (!target) throw new Error(`unable to find specified revision ${toRevision} in history`);
  } else {
    target = [...sets].reverse().find((rs) => revisionOf(rs) !== current && revisionOf(rs) < current) || undefined;
    if (!target) throw new Error('no rollout history found for deployment "' + name + '"');
  }
  if (revisionOf(target) === current) {
    streams.out(`${qualifiedName(Resources.deployments, name)} skipped rollback (current template already matches revision ${current})\n`);
    return;
  }
  const template = JSON.parse(JSON.stringify(target.spec?.template || {}));
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  await client.patch(Resources.deployments, namespace, name, [{ op: 'replace', path: '/spec/template', value: template }], 'json');
  streams.out(`${qualifiedName(Resources.deployments, name)} rolled back\n`);
}

export async function runRolloutRestart(client: KubeClient, r: ResourceType, namespace: string, name: string, streams: Streams, now = new Date()): Promise<void> {
  if (r !== Resources.deployments && r !== Resources.daemonsets) throw new Error(`${r.resource} "${name}" restarting is not supported`);
  const restartedAt = rfc3339(now);
  await client.patch(r, namespace, name, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } }, 'strategic');
  streams.out(`${qualifiedName(r, name)} restarted\n`);
}

/** `steer scale` and `steer rollout status|history|undo|restart`. */
export function register(program: Command): void {
  withClientOptions(
    program
      .command('scale')
      .description('set a new size for a deployment or replica set')
      .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
      .requiredOption('--replicas <n>', 'the new desired number of replicas')
      .option('--current-replicas <n>', 'precondition: only scale if the current size is this'),
  ).action(
    action(async (args: string[], o: ClientFlags & { replicas: string; currentReplicas?: string }) => {
      await withClient(o, async (client) => {
        const { kind, name } = oneObject(args);
        const current = o.currentReplicas !== undefined ? Number(o.currentReplicas) : undefined;
        await runScale(client, resolveResource(kind), namespaceOf(client, o), name, Number(o.replicas), current, processStreams);
      });
    }),
  );

  const rollout = program.command('rollout').description('manage the rollout of a deployment, daemon set or stateful set');
  withClientOptions(
    rollout
      .command('status')
      .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
      .option('--timeout <duration>', 'give up after this long, e.g. 5m (default: never)')
      .option('-w, --watch [bool]', 'watch the status until the rollout finishes', 'true')
      .description('show the status of a rollout, waiting until it finishes'),
  ).action(
    action(async (args: string[], o: ClientFlags & { timeout?: string; watch?: string | boolean }) => {
      await withClient(o, async (client) => {
        const { kind, name } = oneObject(args);
        await runRolloutStatus(client, resolveResource(kind), namespaceOf(client, o), name, { timeoutMs: parseDuration(o.timeout), watch: boolFlag(o.watch, true) }, processStreams);
      });
    }),
  );
  withClientOptions(
    rollout.command('history').argument('<resource...>').option('--revision <n>', 'show the pod template of this revision', '0').description('list the revisions of a deployment, daemon set or stateful set'),
  ).action(
    action(async (args: string[], o: ClientFlags & { revision: string }) => {
      await withClient(o, async (client) => {
        const { kind, name } = oneObject(args);
        await runRolloutHistory(client, resolveResource(kind), namespaceOf(client, o), name, Number(o.revision), processStreams);
      });
    }),
  );
  withClientOptions(
    rollout.command('undo').argument('<resource...>').option('--to-revision <n>', 'the revision to roll back to (default: the previous)', '0').description('roll a deployment, daemon set or stateful set back to an earlier revision'),
  ).action(
    action(async (args: string[], o: ClientFlags & { toRevision: string }) => {
      await withClient(o, async (client) => {
        const { kind, name } = oneObject(args);
        await runRolloutUndo(client, resolveResource(kind), namespaceOf(client, o), name, Number(o.toRevision), processStreams);
      });
    }),
  );
  withClientOptions(rollout.command('restart').argument('<resource...>').description('restart every pod of a deployment or daemon set with a rolling update')).action(
    action(async (args: string[], o: ClientFlags) => {
      await withClient(o, async (client) => {
        const { kind, name } = oneObject(args);
        await runRolloutRestart(client, resolveResource(kind), namespaceOf(client, o), name, processStreams);
      });
    }),
  );
}
