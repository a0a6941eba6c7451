// Kubernetes' defaulting (SetDefaults_* in k8s.io/kubernetes/pkg/apis/*/v1 plus the defaults the
// standard admission plugins add), one file per API group; each kind's strategy (apiserver/kinds/)
// names its defaulting function. Runs before validation, on input that may be malformed: a field of the
// wrong JSON type is left alone for validation to report.
import type { ResourceType } from '../../lib/api/resources';
import { strategyFor } from '../kinds';
import type { Allocator, JsonMap } from './common';

export type { Allocator } from './common';

/**
 * Fills in Kubernetes' defaults, in place. `alloc` hands out ClusterIPs and NodePorts for Services that
 * lack them; on an update, the write's allocation carries the old ones over first (keepAllocations) so
 * that nothing is allocated twice.
 */
export function applyDefaults(resource: ResourceType, obj: JsonMap, alloc: Allocator): void {
  strategyFor(resource).defaults?.(obj, alloc);
}
