// Where the registry keeps objects in storage: one bucket per resource ('pods', 'apps/deployments'),
// one key per object ('namespace/name', or 'name' for cluster-scoped kinds), and the key prefix of a
// namespace's objects.
import type { ResourceType } from '../../lib/api/resources';

export function bucketOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.resource}` : rt.resource;
}

export function keyOf(rt: ResourceType, namespace: string | undefined, name: string): string {
  return rt.namespaced ? `${namespace}/${name}` : name;
}

export function namespacePrefix(rt: ResourceType, namespace: string | undefined): string {
  return rt.namespaced && namespace ? `${namespace}/` : '';
}
