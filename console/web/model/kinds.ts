// The kinds the console lists and watches: steer's resource table (lib/api/resources.ts) plus
// StatefulSets, which the console shows only when the apiserver's discovery serves them.
import { Resources, resourcePath, type ResourceType } from '../../../lib/api/resources';

export type KindName = 'nodes' | 'pods' | 'services' | 'endpoints' | 'events' | 'namespaces' | 'deployments' | 'replicasets' | 'daemonsets' | 'statefulsets' | 'jobs';

const statefulsets: ResourceType = {
  group: 'apps',
  version: 'v1',
  resource: 'statefulsets',
  kind: 'StatefulSet',
  listKind: 'StatefulSetList',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  subresources: ['status', 'scale'],
};

export const KINDS: Record<KindName, ResourceType> = {
  nodes: Resources.nodes,
  pods: Resources.pods,
  services: Resources.services,
  endpoints: Resources.endpoints,
  events: Resources.events,
  namespaces: Resources.namespaces,
  deployments: Resources.deployments,
  replicasets: Resources.replicasets,
  daemonsets: Resources.daemonsets,
  statefulsets,
  jobs: Resources.jobs,
};

/**
 * Whether a kind may be listed before discovery answers: steer's own table's kinds are core, apps and
 * batch v1, which every Kubernetes API serves; StatefulSets wait for discovery.
 */
export function assumedServed(kind: KindName): boolean {
  return kind !== 'statefulsets';
}

/** The workload kinds, in the order the console shows them. */
export const WORKLOAD_KINDS = ['deployments', 'daemonsets', 'statefulsets', 'jobs'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export function isWorkloadKind(k: string): k is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(k);
}

/** A collection's path, all namespaces when `namespace` is undefined. */
export function listPath(kind: KindName, namespace?: string): string {
  return resourcePath(KINDS[kind], { namespace });
}

export function objectPath(kind: KindName, namespace: string | undefined, name: string, subresource?: string): string {
  return resourcePath(KINDS[kind], { namespace, name, subresource });
}

/** apiVersion as written in objects: 'apps/v1' or 'v1'. */
export function apiVersionOf(kind: KindName): string {
  const r = KINDS[kind];
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Which of `kinds` the server serves, from its discovery documents (/api/v1 and /apis/GROUP/VERSION). */
export function servedKinds(discovery: Array<{ groupVersion?: string; resources?: Array<{ name: string }> }>): Set<KindName> {
  const served = new Set<KindName>();
  for (const [name, r] of Object.entries(KINDS) as Array<[KindName, ResourceType]>) {
    const gv = r.group ? `${r.group}/${r.version}` : r.version;
    if (discovery.some((d) => d.groupVersion === gv && (d.resources ?? []).some((x) => x.name === r.resource))) served.add(name);
  }
  return served;
}
