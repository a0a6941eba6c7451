// Where the registry keeps objects in storage: one bucket per resource ('pods', 'apps/deployments'),
// one key per object ('namespace/name', or 'name' for cluster-scoped kinds), the key prefix of a
// namespace's objects, and the list of every bucket the apiserver writes.
import { allResources, type ResourceType } from '../../lib/api/resources';
import { CLAIM_BUCKETS } from './allocation-claims';

export function bucketOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.resource}` : rt.resource;
}

export function keyOf(rt: ResourceType, namespace: string | undefined, name: string): string {
  return rt.namespaced ? `${namespace}/${name}` : name;
}

export function namespacePrefix(rt: ResourceType, namespace: string | undefined): string {
  return rt.namespaced && namespace ? `${namespace}/` : '';
}

/** Every bucket the apiserver writes: one per resource, and the Service allocation claims. */
export function apiserverBuckets(): string[] {
  return [...allResources.map(bucketOf), ...CLAIM_BUCKETS];
}
