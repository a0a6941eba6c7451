// The ReplicaSet controller (Kubernetes' pkg/controller/replicaset): the shared replica core
// (controllers/shared/replicas.ts) run for apps/v1 ReplicaSets, which it reads as they are.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { ControllerContext } from '../lib/client/controller';
import { Resources } from '../lib/api/resources';
import { ReplicaController, type ReplicaKind, type ReplicaSetControllerOptions } from './shared/replicas';

export { BurstReplicas, podFromTemplate, reconcileReplicaSet, statusEqual } from './shared/replicas';
export type { ReplicaSetActions, ReplicaSetControllerOptions } from './shared/replicas';

export const replicaSetKind: ReplicaKind<ReplicaSet> = {
  name: 'replicaset',
  resource: Resources.replicasets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  toReplicaSet: (rs) => rs,
};

export class ReplicaSetController extends ReplicaController<ReplicaSet> {
  constructor(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}) {
    super(ctx, replicaSetKind, opts);
  }
}
