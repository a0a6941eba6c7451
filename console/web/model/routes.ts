// The hash routes (#/workloads/deployments/default/nginx) and the kinds each view lists, DOM-free: the
// boot script (boot.ts) asks for a view's lists before the app's bundle has loaded, and the app reads
// the same table.
import { KindName, WORKLOAD_KINDS, isWorkloadKind } from './kinds';

export function parseRoute(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
}

/** The kinds each view's useKinds asks for, by route. */
export function routeKinds(route: string[]): KindName[] {
  const [view, a, b, c] = route;
  switch (view) {
    case undefined:
    case 'cluster':
      return ['nodes', 'pods', 'services'];
    case 'workloads':
      if (a && b && c && isWorkloadKind(a)) return [a, 'pods', 'events', ...(a === 'deployments' ? (['replicasets'] as const) : [])];
      return [...WORKLOAD_KINDS];
    case 'pods':
      return a && b ? ['pods', 'events', 'nodes'] : ['nodes', 'pods', 'services'];
    case 'services':
      return ['services', 'endpoints'];
    case 'events':
      return ['events'];
    default:
      return [];
  }
}
