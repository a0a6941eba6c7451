// The console's actions, each the one API request kubectl makes for it (built here, sent by the UI with
// the user's token): scale (PATCH …/scale), rollout restart (the restartedAt annotation on the pod
// template), undo (the previous ReplicaSet's template back on the Deployment, as `kubectl rollout
// undo`), delete pod, cordon/uncordon (spec.unschedulable), drain (cordon, then one eviction per pod).
import type { Pod } from 'kubernetes-types/core/v1';
import { rfc3339 } from '../../../lib/api/time';
import type { ApiRequest, KubeObject } from './api';
import { KindName, objectPath } from './kinds';
import { revisionOf } from './workloads';

export interface Action extends ApiRequest {
  /** What kubectl command this request is, shown next to the button. */
  kubectl: string;
}

const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

const singular: Partial<Record<KindName, string>> = { deployments: 'deployment', statefulsets: 'statefulset', daemonsets: 'daemonset', replicasets: 'replicaset', jobs: 'job' };

function nsFlag(ns: string | undefined): string {
  return ns && ns !== 'default' ? ` -n ${ns}` : '';
}

export function scaleAction(kind: KindName, ns: string, name: string, replicas: number): Action {
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error('replicas must be a whole number ≥ 0');
  return {
    method: 'PATCH',
    path: objectPath(kind, ns, name, 'scale'),
    contentType: MERGE,
    body: { spec: { replicas } },
    kubectl: `kubectl scale ${singular[kind]}/${name} --replicas=${replicas}${nsFlag(ns)}`,
  };
}

export function restartAction(kind: KindName, ns: string, name: string, now = new Date()): Action {
  return {
    method: 'PATCH',
    path: objectPath(kind, ns, name),
    contentType: STRATEGIC,
    body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': rfc3339(now) } } } } },
    kubectl: `kubectl rollout restart ${singular[kind]}/${name}${nsFlag(ns)}`,
  };
}

function ownedBy(o: KubeObject, owner: KubeObject): boolean {
  return (o.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata?.uid && r.controller);
}

/** The Deployment's ReplicaSets, oldest revision first. */
export function deploymentRevisions(deployment: KubeObject, replicaSets: KubeObject[]): KubeObject[] {
  return replicaSets.filter((rs) => ownedBy(rs, deployment)).sort((a, b) => revisionOf(a) - revisionOf(b));
}

/**
 * `kubectl rollout undo deployment/NAME [--to-revision=N]`: the template of the ReplicaSet of that
 * revision (default: the newest one older than the current) replaces the Deployment's template.
 */
export function undoAction(deployment: KubeObject, replicaSets: KubeObject[], toRevision = 0): Action {
  const name = deployment.metadata?.name ?? '';
  const ns = deployment.metadata?.namespace ?? 'default';
  const sets = deploymentRevisions(deployment, replicaSets);
  const current = revisionOf(deployment);
  const target =
    toRevision > 0 ? sets.find((rs) => revisionOf(rs) === toRevision) : [...sets].reverse().find((rs) => revisionOf(rs) !== current && revisionOf(rs) < current);
  if (!target) throw new Error(toRevision > 0 ? `unable to find specified revision ${toRevision} in history` : `no rollout history found for deployment "${name}"`);
  const template = JSON.parse(JSON.stringify((target as { spec?: { template?: unknown } }).spec?.template ?? {})) as { metadata?: { labels?: Record<string, string> } };
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  return {
    method: 'PATCH',
    path: objectPath('deployments', ns, name),
    contentType: JSON_PATCH,
    body: [{ op: 'replace', path: '/spec/template', value: template }],
    kubectl: `kubectl rollout undo deployment/${name}${toRevision ? ` --to-revision=${toRevision}` : ''}${nsFlag(ns)}`,
  };
}

export function deletePodAction(ns: string, name: string): Action {
  return { method: 'DELETE', path: objectPath('pods', ns, name), kubectl: `kubectl delete pod ${name}${nsFlag(ns)}` };
}

export function cordonAction(node: string, unschedulable: boolean): Action {
  return {
    method: 'PATCH',
    path: objectPath('nodes', undefined, node),
    contentType: STRATEGIC,
    body: { spec: { unschedulable: unschedulable ? true : null } },
    kubectl: `kubectl ${unschedulable ? 'cordon' : 'uncordon'} ${node}`,
  };
}

export interface DrainPlan {
  evict: Pod[];
  /** DaemonSet pods stay (their controller would put them back at once), as with --ignore-daemonsets. */
  skipped: Pod[];
  /** Pods no controller would recreate: kubectl refuses unless --force. */
  unmanaged: Pod[];
}

/** kubectl drain's pod filters for a node: finished pods go, DaemonSet pods stay, bare pods need force. */
export function drainPlan(pods: KubeObject[], node: string): DrainPlan {
  const plan: DrainPlan = { evict: [], skipped: [], unmanaged: [] };
  for (const p of pods as Pod[]) {
    if (p.spec?.nodeName !== node || p.metadata?.deletionTimestamp) continue;
    const finished = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    const controller = (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
    if (finished) plan.evict.push(p);
    else if (controller?.kind === 'DaemonSet') plan.skipped.push(p);
    else if (!controller) plan.unmanaged.push(p);
    else plan.evict.push(p);
  }
  return plan;
}

/** The eviction of one pod (POST pods/NAME/eviction), what kubectl drain sends per pod. */
export function evictAction(p: Pod): Action {
  const ns = p.metadata?.namespace ?? 'default';
  const name = p.metadata?.name ?? '';
  return {
    method: 'POST',
    path: objectPath('pods', ns, name, 'eviction'),
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } },
    kubectl: `(drain) evict pod ${ns}/${name}`,
  };
}
