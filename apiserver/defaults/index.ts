// Kubernetes' defaulting (SetDefaults_* in k8s.io/kubernetes/pkg/apis/*/v1 plus the defaults the
// standard admission plugins add), for the kinds in lib/api/resources.ts. Runs before validation, on input
// that may be malformed: a field of the wrong JSON type is left alone for validation to report.
import type { ResourceType } from '../../lib/api/resources';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet } from './apps';
import { defaultJob } from './batch';
import type { Allocator, JsonMap } from './common';
import { defaultEndpoints, defaultNamespace, defaultNode, defaultSecret, defaultService } from './core';
import { defaultPod } from './pod';

export type { Allocator } from './common';

/**
 * Fills in Kubernetes' defaults, in place. `alloc` hands out ClusterIPs and NodePorts for Services that
 * lack them; on an update, carry the old allocations over first (preserveServiceAllocations) so that
 * nothing is allocated twice.
 */
export function applyDefaults(resource: ResourceType, obj: JsonMap, alloc: Allocator): void {
  switch (`${resource.group}/${resource.kind}`) {
    case '/Pod':
      defaultPod(obj);
      break;
    case 'apps/Deployment':
      defaultDeployment(obj);
      break;
    case 'apps/ReplicaSet':
      defaultReplicaSet(obj);
      break;
    case 'apps/DaemonSet':
      defaultDaemonSet(obj);
      break;
    case 'batch/Job':
      defaultJob(obj);
      break;
    case '/Service':
      defaultService(obj, alloc);
      break;
    case '/Namespace':
      defaultNamespace(obj);
      break;
    case '/Node':
      defaultNode(obj);
      break;
    case '/Secret':
      defaultSecret(obj);
      break;
    case '/Endpoints':
      defaultEndpoints(obj);
      break;
    default:
      break; // ConfigMap, ServiceAccount, Event, Lease: Kubernetes defines no defaults for them.
  }
}
