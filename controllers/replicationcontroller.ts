// The ReplicationController controller (Kubernetes' pkg/controller/replication): as in kube, the
// ReplicaSet controller's core (controllers/shared/replicas.ts) run over RCs converted to ReplicaSets —
// the RC's label-map selector becomes matchLabels — with pods owned by `v1 ReplicationController`.
// RC status has the ReplicaSet status's fields, so the core's status is written back unchanged.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { ReplicationController } from 'kubernetes-types/core/v1';
import type { ControllerContext } from '../lib/client/controller';
import { Resources } from '../lib/api/resources';
import { ReplicaController, type ReplicaKind, type ReplicaSetControllerOptions } from './shared/replicas';

/** kube's conversion of an RC to a ReplicaSet (pkg/controller/replication/conversion.go). */
export function replicationControllerToReplicaSet(rc: ReplicationController): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: rc.metadata,
    spec: {
      replicas: rc.spec?.replicas,
      minReadySeconds: rc.spec?.minReadySeconds,
      selector: { matchLabels: { ...(rc.spec?.selector ?? {}) } },
      template: rc.spec?.template,
    },
    status: rc.status as ReplicaSet['status'],
  };
}

export const replicationControllerKind: ReplicaKind<ReplicationController> = {
  name: 'replicationcontroller',
  resource: Resources.replicationcontrollers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  toReplicaSet: replicationControllerToReplicaSet,
};

export class ReplicationControllerController extends ReplicaController<ReplicationController> {
  constructor(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}) {
    super(ctx, replicationControllerKind, opts);
  }
}
