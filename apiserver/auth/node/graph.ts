// Which objects each node may read (plugin/pkg/auth/authorizer/node/graph.go, reduced to what steer
// serves): from every pod bound to a node, the Secrets, ConfigMaps, ServiceAccount and
// PersistentVolumeClaims its spec references. Kept from the apiserver's own pod storage (a list, then a
// watch delivered before each write is answered), so a node may read a pod's Secret as soon as the pod
// is bound to it, and no longer once the pod is gone. Each node's references are counted, because two
// pods on a node may share one Secret.
import type { Container, EphemeralContainer, Pod, Volume } from 'kubernetes-types/core/v1';
import { Resources } from '../../../lib/api/resources';
import { bucketOf } from '../../registry/keys';
import type { KObj, Storage, StorageEvent, WatchSubscription } from '../../storage/types';
import { volumeClaimName } from '../../../lib/api/storage';

export type VertexType = 'secret' | 'configmap' | 'serviceaccount' | 'pvc';

interface PodEdges {
  node: string;
  refs: string[];
}

const refKey = (type: VertexType, namespace: string, name: string): string => `${type}/${namespace}/${name}`;

function containersOf(pod: Pod): Array<Container | EphemeralContainer> {
  const s = pod.spec;
  return [...(s?.initContainers ?? []), ...(s?.containers ?? []), ...(s?.ephemeralContainers ?? [])];
}

/** The objects a pod references (VisitPodSecretNames, VisitPodConfigmapNames, claims, its service account). */
export function podReferences(pod: Pod): Array<[VertexType, string]> {
  const out: Array<[VertexType, string]> = [];
  const add = (t: VertexType, name: string | undefined) => {
    if (name && !out.some(([ot, on]) => ot === t && on === name)) out.push([t, name]);
  };
  const spec = pod.spec;
  if (!spec) return out;
  for (const s of spec.imagePullSecrets ?? []) add('secret', s.name);
  for (const c of containersOf(pod)) {
    for (const e of c.env ?? []) {
      add('secret', e.valueFrom?.secretKeyRef?.name);
      add('configmap', e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('secret', e.secretRef?.name);
      add('configmap', e.configMapRef?.name);
    }
  }
  for (const v of spec.volumes ?? []) volumeReferences(v, pod, add);
  add('serviceaccount', spec.serviceAccountName || spec.serviceAccount);
  return out;
}

function volumeReferences(v: Volume, pod: Pod, add: (t: VertexType, name: string | undefined) => void): void {
  add('secret', v.secret?.secretName);
  add('configmap', v.configMap?.name);
  for (const src of v.projected?.sources ?? []) {
    add('secret', src.secret?.name);
    add('configmap', src.configMap?.name);
  }
  add('secret', v.azureFile?.secretName);
  for (const ref of [v.cephfs?.secretRef, v.cinder?.secretRef, v.flexVolume?.secretRef, v.iscsi?.secretRef, v.rbd?.secretRef, v.scaleIO?.secretRef, v.storageos?.secretRef, v.csi?.nodePublishSecretRef]) {
    add('secret', ref?.name);
  }
  add('pvc', volumeClaimName(pod, v));
}

export class NodeGraph {
  private readonly pods = new Map<string, PodEdges>();
  private readonly byNode = new Map<string, Map<string, number>>();
  private subscription?: WatchSubscription;

  /** Builds the graph from storage and follows pod changes until stop(). */
  static async load(storage: Storage): Promise<NodeGraph> {
    const graph = new NodeGraph();
    const bucket = bucketOf(Resources.pods);
    const r = await storage.list(bucket);
    for (const item of r.items) graph.apply('ADDED', item.obj);
    graph.subscription = storage.watch(bucket, r.rev, (ev: StorageEvent) => graph.apply(ev.type, ev.object.obj));
    return graph;
  }

  stop(): void {
    this.subscription?.stop();
  }

  /** Applies one pod change (tests build a graph with it too). */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObj): void {
    const pod = obj as unknown as Pod;
    const namespace = pod.metadata?.namespace ?? '';
    const key = `${namespace}/${pod.metadata?.name ?? ''}`;
    const node = type === 'DELETED' ? '' : (pod.spec?.nodeName ?? '');
    const old = this.pods.get(key);
    // A bound pod's references never change (its spec is immutable but for images): skip the walk.
    if (old && node && old.node === node) return;
    if (old) this.unlink(key, old);
    if (!node) return;
    const edges: PodEdges = { node, refs: podReferences(pod).map(([t, n]) => refKey(t, namespace, n)) };
    this.pods.set(key, edges);
    let counts = this.byNode.get(node);
    if (!counts) this.byNode.set(node, (counts = new Map()));
    for (const r of edges.refs) counts.set(r, (counts.get(r) ?? 0) + 1);
  }

  private unlink(key: string, edges: PodEdges): void {
    this.pods.delete(key);
    const counts = this.byNode.get(edges.node);
    if (!counts) return;
    for (const r of edges.refs) {
      const n = (counts.get(r) ?? 0) - 1;
      if (n > 0) counts.set(r, n);
      else counts.delete(r);
    }
    if (counts.size === 0) this.byNode.delete(edges.node);
  }

  /** hasPathFrom: is the object referenced by a pod bound to the node? */
  hasPath(node: string, type: VertexType, namespace: string, name: string): boolean {
    return this.byNode.get(node)?.has(refKey(type, namespace, name)) ?? false;
  }
}
