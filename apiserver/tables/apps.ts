// Printers of the apps/v1 workloads: Deployments, ReplicaSets and DaemonSets.
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import { age, ageCol, col, containerColumns, containersCol, imagesCol, labelSetString, meta, nameCol, Printer, none, selectorCol, selectorString } from './common';

export const deploymentPrinter: Printer = {
  columns: [
    nameCol,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, 'integer'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, 'integer'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const d = obj as Deployment;
    const [containers, images] = containerColumns(d.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(obj, now),
      containers,
      images,
      selectorString(d.spec?.selector),
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameCol,
    col('Desired', 'Number of desired pods.', 0, 'integer'),
    col('Current', 'Number of actual running pods.', 0, 'integer'),
    col('Ready', 'The number of ready pods targeted by this ReplicaSet.', 0, 'integer'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const rs = obj as ReplicaSet;
    const [containers, images] = containerColumns(rs.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(obj, now),
      containers,
      images,
      selectorString(rs.spec?.selector),
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameCol,
    col('Desired', 'The total number of nodes that should be running the daemon pod.', 0, 'integer'),
    col('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', 0, 'integer'),
    col('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', 0, 'integer'),
    col('Up-to-date', 'The total number of nodes that are running updated daemon pod.', 0, 'integer'),
    col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.', 0, 'integer'),
    col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const ds = obj as DaemonSet;
    const [containers, images] = containerColumns(ds.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      ds.status?.desiredNumberScheduled ?? 0,
      ds.status?.currentNumberScheduled ?? 0,
      ds.status?.numberReady ?? 0,
      ds.status?.updatedNumberScheduled ?? 0,
      ds.status?.numberAvailable ?? 0,
      labelSetString(ds.spec?.template?.spec?.nodeSelector),
      age(obj, now),
      containers,
      images,
      selectorString(ds.spec?.selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [nameCol, col('Ready', 'Number of the pod with ready state'), ageCol, containersCol, imagesCol],
  cells(obj, now) {
    const sts = obj as StatefulSet;
    const [containers, images] = containerColumns(sts.spec?.template?.spec);
    return [meta(obj).name ?? '', `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`, age(obj, now), containers, images];
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameCol,
    col('Controller', 'Controller of the object, with the format <kind>/<name>'),
    col('Revision', 'Revision indicates the revision of the state represented by Data.', 0, 'integer'),
    ageCol,
  ],
  cells(obj, now) {
    const cr = obj as unknown as ControllerRevision;
    const owner = (cr.metadata?.ownerReferences ?? []).find((r) => r.controller);
    const group = owner?.apiVersion?.includes('/') ? `.${owner.apiVersion.split('/')[0]}` : '';
    return [meta(obj).name ?? '', owner ? `${owner.kind.toLowerCase()}${group}/${owner.name}` : none, cr.revision ?? 0, age(obj, now)];
  },
};
