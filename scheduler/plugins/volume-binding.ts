// VolumeBinding (kube-scheduler's plugin of that name): a pod's PersistentVolumeClaims decide where it
// may go. Pre-filter: every claim exists and is not being deleted; an unbound claim of an Immediate class
// waits for the binder. Filter: a bound claim's volume must allow the node (its node affinity); an
// unbound WaitForFirstConsumer claim needs, on that node, an available volume that fits or a provisioner
// that can make one there. Reserve: the chosen static volumes are held for this pod so pods scheduled
// meanwhile do not take them. Pre-bind: writes the choice — the volume's claimRef, or the claim's
// selected-node annotation for the provisioner — and waits until every claim is Bound (woken by each
// claim change the scheduler's informer sees, as kube's binder waits on its PVC informer).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import {
  claimClass,
  claimKey,
  defaultStorageClass,
  ephemeralClaimNotForPod,
  findMatchingVolume,
  LocalPathProvisioner,
  LocalPathRootAnnotation,
  podClaimNames,
  SelectedNodeAnnotation,
  volumeClaimName,
  volumeNodeAffinityMatches,
} from '../../lib/api/storage';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import type { ClusterEvent, ClusterSnapshot, CycleState, EnqueueExtensions, FilterPlugin, ObjectListers, PreBindPlugin, PreFilterPlugin, ReservePlugin, Status } from '../framework/types';
import { errorStatus, skip, unresolvable, unschedulable } from '../framework/types';

export const ErrReasonNodeConflict = 'node(s) had volume node affinity conflict';
export const ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind";
export const ErrReasonNoLocalPath = 'node(s) did not have enough free storage';

const stateKey = 'VolumeBinding';

interface NodeDecision {
  /** claim key → static volume to bind. */
  bind: Map<string, PersistentVolume>;
  /** Claims a provisioner will make a volume for on this node. */
  provision: PersistentVolumeClaim[];
}

interface PodVolumes {
  listers: ObjectListers;
  bound: PersistentVolume[];
  delayed: PersistentVolumeClaim[];
  byNode: Map<string, NodeDecision>;
}

export interface VolumeBindingOptions {
  /** How long pre-bind waits for the claims to be Bound (Kubernetes' bindTimeoutSeconds, default 600 s). */
  bindTimeoutMs?: number;
  pollMs?: number;
}

/**
 * A claim that names no class gets the default class (the binder writes it moments after the claim is
 * made, as kube's DefaultStorageClass admission would at creation): the scheduler decides with it now
 * rather than turning a pod away because its brand-new claim has no class yet.
 */
function withDefaultClass(pvc: PersistentVolumeClaim, listers: ObjectListers): PersistentVolumeClaim {
  const unset = (pvc.spec?.storageClassName === undefined || pvc.spec.storageClassName === null) && pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] === undefined;
  const def = unset ? defaultStorageClass(listers.storageClasses?.() ?? []) : undefined;
  return def ? { ...pvc, spec: { ...pvc.spec, storageClassName: def.metadata?.name } } : pvc;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  static readonly pluginName = 'VolumeBinding';
  readonly name = VolumeBinding.pluginName;
  /** Static volumes held by pods between reserve and the end of their binding: volume name → pod uid. */
  private readonly assumed = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly client: KubeClient,
    opts: VolumeBindingOptions = {},
  ) {
    this.timeoutMs = opts.bindTimeoutMs ?? 600_000;
    this.pollMs = opts.pollMs ?? 100;
  }

  events(): ClusterEvent[] {
    return ['VolumeChange', 'NodeAdd', 'NodeUpdate'];
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): Status | null {
    const claimNames = podClaimNames(pod.pod);
    const listers = snapshot.listers;
    if (claimNames.length === 0 || !listers.claim || !listers.volumes) return skip();
    const ephemeral = new Set((pod.pod.spec?.volumes ?? []).filter((v) => v.ephemeral).map((v) => volumeClaimName(pod.pod, v)));
    const ns = pod.pod.metadata?.namespace ?? 'default';
    const all = listers.volumes();
    const byName = new Map(all.map((v) => [v.metadata?.name ?? '', v]));
    const s: PodVolumes = { listers, bound: [], delayed: [], byNode: new Map() };
    for (const name of claimNames) {
      const pvc = listers.claim(ns, name);
      if (!pvc) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (pvc.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      // An ephemeral volume's claim of that name made by someone else, or for an earlier pod of that name.
      const foreign = ephemeral.has(name) ? ephemeralClaimNotForPod(pod.pod, pvc) : undefined;
      if (foreign) return unresolvable(foreign);
      if (pvc.spec?.volumeName) {
        const pv = byName.get(pvc.spec.volumeName);
        if (!pv) return unresolvable('pvc(s) bound to non-existent pv(s)');
        s.bound.push(pv);
        continue;
      }
      const claim = withDefaultClass(pvc, listers);
      const cls = listers.storageClass?.(claimClass(claim));
      if (cls?.volumeBindingMode !== 'WaitForFirstConsumer') return unschedulable('pod has unbound immediate PersistentVolumeClaims');
      s.delayed.push(claim);
    }
    state.write(stateKey, s);
    return null;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const s = state.read<PodVolumes>(stateKey);
    if (!s) return null;
    for (const pv of s.bound) if (!volumeNodeAffinityMatches(pv, node)) return unresolvable(ErrReasonNodeConflict);
    if (s.delayed.length === 0) return null;
    const taken = new Set([...this.assumed].filter(([, uid]) => uid !== pod.uid).map(([name]) => name));
    const decision: NodeDecision = { bind: new Map(), provision: [] };
    const volumes = s.listers.volumes?.() ?? [];
    for (const pvc of s.delayed) {
      const match = findMatchingVolume(pvc, volumes, { node, taken });
      if (match) {
        taken.add(match.metadata?.name ?? '');
        decision.bind.set(claimKey(pvc), match);
        continue;
      }
      const cls = s.listers.storageClass?.(claimClass(pvc));
      const provisioner = cls?.provisioner;
      if (!provisioner || provisioner === 'kubernetes.io/no-provisioner') return unschedulable(ErrReasonBindConflict);
      if (provisioner === LocalPathProvisioner && !node.node.metadata?.annotations?.[LocalPathRootAnnotation]) return unschedulable(ErrReasonNoLocalPath);
      decision.provision.push(pvc);
    }
    s.byNode.set(node.name, decision);
    return null;
  }

  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null {
    const decision = state.read<PodVolumes>(stateKey)?.byNode.get(nodeName);
    for (const pv of decision?.bind.values() ?? []) this.assumed.set(pv.metadata?.name ?? '', pod.uid);
    return null;
  }

  unreserve(state: CycleState, pod: PodInfo): void {
    for (const [name, uid] of [...this.assumed]) if (uid === pod.uid) this.assumed.delete(name);
  }

  async preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null> {
    const s = state.read<PodVolumes>(stateKey);
    if (!s || s.delayed.length === 0) return null;
    const decision = s.byNode.get(nodeName);
    if (!decision) return errorStatus(`no volume decision for node ${nodeName}`);
    try {
      for (const pvc of s.delayed) {
        const pv = decision.bind.get(claimKey(pvc));
        if (pv) {
          const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata?.namespace, name: pvc.metadata?.name, uid: pvc.metadata?.uid };
          await this.client.patch(Resources.persistentvolumes, undefined, pv.metadata?.name ?? '', { metadata: { resourceVersion: pv.metadata?.resourceVersion }, spec: { claimRef } }, 'merge');
        } else if (pvc.metadata?.annotations?.[SelectedNodeAnnotation] !== nodeName) {
          await this.client.patch(Resources.persistentvolumeclaims, pvc.metadata?.namespace, pvc.metadata?.name ?? '', { metadata: { annotations: { [SelectedNodeAnnotation]: nodeName } } }, 'merge');
        }
      }
      return await this.waitBound(s, pod);
    } catch (err) {
      return errorStatus(`binding volumes: ${(err as Error).message}`);
    } finally {
      this.unreserve(state, pod);
    }
  }

  /** Waits until every delayed claim is Bound in the claim lister, re-checking on each claim change. */
  private waitBound(s: PodVolumes, pod: PodInfo): Promise<Status | null> {
    const pending = () => s.delayed.filter((c) => s.listers.claim?.(c.metadata?.namespace ?? '', c.metadata?.name ?? '')?.status?.phase !== 'Bound');
    if (pending().length === 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      let unsubscribe: () => void = () => undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (status: Status | null) => {
        unsubscribe();
        clearTimeout(timer);
        clearInterval(fallback);
        resolve(status);
      };
      const check = () => {
        if (pending().length === 0) finish(null);
      };
      // Listers without change notifications (tests' static listers) are re-read on a slow interval.
      const fallback = setInterval(check, s.listers.onClaimChange ? 5_000 : this.pollMs);
      if (s.listers.onClaimChange) unsubscribe = s.listers.onClaimChange(check);
      timer = setTimeout(() => {
        const left = pending();
        finish(left.length === 0 ? null : errorStatus(`binding volumes: timed out waiting for the condition (pod ${pod.pod.metadata?.name}: ${left.map((c) => c.metadata?.name).join(', ')} not bound)`));
      }, this.timeoutMs);
    });
  }
}
