// How Kubernetes' types say their lists merge (the patchStrategy/patchMergeKey struct tags of
// k8s.io/api), for the kinds steer serves. One table for both sides of a strategic merge patch: the
// apiserver applies patches with it and the CLI computes kubectl-compatible apply patches with it.
// A list not described here is atomic (replaced as a whole).

export interface PatchMeta {
  fields?: Record<string, PatchMeta>;
  /** A list of maps merged element by element, matched on this key. */
  mergeKey?: string;
  /** A list of scalars merged as a set (patchStrategy=merge without a key, e.g. finalizers). */
  set?: boolean;
  /** The metadata of each element of a merged list. */
  items?: PatchMeta;
}

const mergeBy = (mergeKey: string, items?: PatchMeta): PatchMeta => ({ mergeKey, items });
const struct = (fields: Record<string, PatchMeta>): PatchMeta => ({ fields });
const conditions = mergeBy('type');

const objectMeta = struct({ finalizers: { set: true }, ownerReferences: mergeBy('uid') });
const container = struct({
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
});
const podSpec = struct({
  containers: mergeBy('name', container),
  initContainers: mergeBy('name', container),
  ephemeralContainers: mergeBy('name', container),
  volumes: mergeBy('name'),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  topologySpreadConstraints: mergeBy('topologyKey'),
  schedulingGates: mergeBy('name'),
  resourceClaims: mergeBy('name'),
  // tolerations, readinessGates and affinity terms have no strategy: replaced as a whole.
});
const podTemplate = struct({ metadata: objectMeta, spec: podSpec });
const workload = struct({ metadata: objectMeta, spec: struct({ template: podTemplate }), status: struct({ conditions }) });

const byKind: Record<string, PatchMeta> = {
  Pod: struct({
    metadata: objectMeta,
    spec: podSpec,
    status: struct({ conditions, podIPs: mergeBy('ip'), hostIPs: mergeBy('ip') }),
  }),
  Deployment: workload,
  ReplicaSet: workload,
  DaemonSet: workload,
  StatefulSet: workload,
  Job: workload,
  Service: struct({ metadata: objectMeta, spec: struct({ ports: mergeBy('port') }), status: struct({ conditions }) }),
  Node: struct({
    metadata: objectMeta,
    spec: struct({ taints: mergeBy('key'), podCIDRs: { set: true } }),
    status: struct({ conditions, addresses: mergeBy('type') }),
  }),
  Namespace: struct({ metadata: objectMeta, spec: struct({ finalizers: { set: true } }), status: struct({ conditions }) }),
  ServiceAccount: struct({ metadata: objectMeta, secrets: mergeBy('name') }),
};
const genericObject = struct({ metadata: objectMeta });

/** The patch metadata of a kind; unknown kinds still merge metadata like every object. */
export function patchMetaForKind(kind: string | undefined): PatchMeta {
  return (kind && byKind[kind]) || genericObject;
}
