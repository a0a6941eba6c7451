// How Kubernetes' types say their lists merge (the patchStrategy/patchMergeKey struct tags of
// k8s.io/api), for the kinds steer serves. The client needs this to compute the same strategic merge
// patch kubectl computes; a list not described here is atomic (replaced as a whole).

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
});
const podTemplate = struct({ metadata: objectMeta, spec: podSpec });
const conditions = mergeBy('type');
const workload = struct({ metadata: objectMeta, spec: struct({ template: podTemplate }), status: struct({ conditions }) });

const byKind: Record<string, PatchMeta> = {
  Pod: struct({ metadata: objectMeta, spec: podSpec, status: struct({ conditions, podIPs: mergeBy('ip') }) }),
  Deployment: workload,
  ReplicaSet: workload,
  DaemonSet: workload,
  StatefulSet: workload,
  Job: workload,
  Service: struct({ metadata: objectMeta, spec: struct({ ports: mergeBy('port') }) }),
  Node: struct({
    metadata: objectMeta,
    spec: struct({ podCIDRs: { set: true } }),
    status: struct({ conditions, addresses: mergeBy('type') }),
  }),
  Namespace: struct({ metadata: objectMeta, spec: struct({ finalizers: { set: true } }) }),
};

/** The patch metadata of a kind; unknown kinds still merge metadata like every object. */
export function patchMetaForKind(kind: string | undefined): PatchMeta {
  return (kind && byKind[kind]) || struct({ metadata: objectMeta });
}
