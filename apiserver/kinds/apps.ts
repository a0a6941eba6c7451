// The strategies of the apps/v1 kinds (kube's pkg/registry/apps/*/strategy.go): Deployments,
// ReplicaSets and DaemonSets track their generation and start with an empty status.
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from '../defaults/apps';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from '../tables/apps';
import { validateControllerRevision, validateDaemonSet, validateDeployment, validateReplicaSet, validateStatefulSet } from '../validation/apps';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const appsKinds: KindStrategy[] = [
  defineKind<Deployment>(Resources.deployments, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultDeployment,
    validate: validateDeployment,
    printer: deploymentPrinter,
  }),
  defineKind<ReplicaSet>(Resources.replicasets, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultReplicaSet,
    validate: validateReplicaSet,
    printer: replicaSetPrinter,
  }),
  defineKind<DaemonSet>(Resources.daemonsets, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultDaemonSet,
    validate: validateDaemonSet,
    printer: daemonSetPrinter,
  }),
  defineKind<StatefulSet>(Resources.statefulsets, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultStatefulSet,
    validate: validateStatefulSet,
    printer: statefulSetPrinter,
  }),
  defineKind<ControllerRevision>(Resources.controllerrevisions, {
    validate: validateControllerRevision,
    printer: controllerRevisionPrinter,
  }),
];
