// PodControl, after Kubernetes' PodControlInterface (pkg/controller/controller_utils.go): the pod writes
// a controller makes for an owner — create (in slow-start batches), delete, and patch ownerReferences to
// adopt or release — behind one interface. ApiPodControl does them through the API and records the
// owner's events (SuccessfulCreate, FailedCreate, SuccessfulDelete); tests use the recording fake in
// test/fixtures/fake-pod-control.ts, so a controller loop runs without an apiserver. Callers pass a pod
// builder, so this module knows nothing of any one controller.
import type { Pod } from 'kubernetes-types/core/v1';
import { isNotFound, KubeClient, KubeObject, writeMayHaveLanded } from '../../lib/client/client';
import type { EventRecorder } from '../../lib/client/events';
import { Resources } from '../../lib/api/resources';
import { ownerReferencesPatcher, OwnerReferencesPatch, PatchOwnerReferences } from './controller-ref';
import type { Expectations } from './expectations';

export interface CreatePodsResult {
  /** The pods the API created. */
  created: Pod[];
  /** Indexes (into 0 … count−1) of the pods not created: their create failed, or was skipped after a failed batch. */
  notCreated: number[];
  /** Of notCreated, those whose create was sent but its answer lost (writeMayHaveLanded): they may exist. */
  lost?: number[];
  /** The first create error, if any. */
  error?: Error;
}

export interface DeletePodsResult {
  /** Pods whose delete was refused (already gone included): they will not be seen going. */
  notDeleted: Pod[];
  /** The first error other than NotFound, if any. */
  error?: unknown;
}

export interface PodControl {
  /**
   * Creates `count` pods for `owner`, pod i being build(i), in batches of 1, 2, 4, …: after the first
   * failed batch the rest are skipped, so a bad template costs one error, not hundreds.
   */
  createPods(owner: KubeObject, count: number, build: (i: number) => Pod): Promise<CreatePodsResult>;
  /** Deletes the owner's pods, all at once; each delete is conditional on the pod's uid. */
  deletePods(owner: KubeObject, pods: Pod[]): Promise<DeletePodsResult>;
  /** Patches a pod's ownerReferences (adopt or release; see controller-ref.ts). */
  patchOwnerReferences(pod: Pod, patch: OwnerReferencesPatch): Promise<Pod>;
}

/** Kubernetes' SlowStartInitialBatchSize. */
export const SlowStartInitialBatchSize = 1;

/**
 * Kubernetes' slowStartBatch: calls fn for 0 … count−1 in batches that double from the initial size,
 * stopping after the first batch with a failure. Resolves with each index's outcome (skipped: undefined).
 */
export async function slowStartBatch<T>(count: number, initialBatchSize: number, fn: (i: number) => Promise<T>): Promise<Array<PromiseSettledResult<T> | undefined>> {
  const outcomes: Array<PromiseSettledResult<T> | undefined> = Array<undefined>(count).fill(undefined);
  let next = 0;
  for (let batch = Math.max(1, initialBatchSize); next < count; batch *= 2) {
    const size = Math.min(batch, count - next);
    const results = await Promise.allSettled(Array.from({ length: size }, (_, j) => fn(next + j)));
    results.forEach((r, j) => (outcomes[next + j] = r));
    next += size;
    if (results.some((r) => r.status === 'rejected')) break;
  }
  return outcomes;
}

/** PodControl through the API, recording the owner's events as Kubernetes' RealPodControl does. */
export class ApiPodControl implements PodControl {
  private readonly patchPod: PatchOwnerReferences<Pod>;

  constructor(
    private readonly client: KubeClient,
    private readonly recorder: EventRecorder,
  ) {
    this.patchPod = ownerReferencesPatcher<Pod>(client, Resources.pods);
  }

  async createPods(owner: KubeObject, count: number, build: (i: number) => Pod): Promise<CreatePodsResult> {
    const namespace = owner.metadata?.namespace;
    const outcomes = await slowStartBatch(count, SlowStartInitialBatchSize, (i) => this.client.create<Pod>(Resources.pods, namespace, build(i)));
    const res: CreatePodsResult = { created: [], notCreated: [] };
    outcomes.forEach((r, i) => {
      if (r?.status === 'fulfilled') {
        res.created.push(r.value);
        this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
      } else {
        res.notCreated.push(i);
        if (r && writeMayHaveLanded(r.reason)) (res.lost ??= []).push(i);
        if (r && !res.error) res.error = r.reason as Error;
      }
    });
    if (res.error) this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${res.error.message}`);
    return res;
  }

  async deletePods(owner: KubeObject, pods: Pod[]): Promise<DeletePodsResult> {
    const results = await Promise.allSettled(
      // The pod's own grace period applies; the uid guards against deleting a namesake.
      pods.map((p) => this.client.delete(Resources.pods, p.metadata?.namespace, p.metadata?.name ?? '', { preconditions: { uid: p.metadata?.uid } })),
    );
    const res: DeletePodsResult = { notDeleted: [] };
    results.forEach((r, i) => {
      const p = pods[i];
      if (r.status === 'fulfilled') this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
      else {
        res.notDeleted.push(p);
        if (!isNotFound(r.reason) && res.error === undefined) res.error = r.reason;
      }
    });
    return res;
  }

  patchOwnerReferences(pod: Pod, patch: OwnerReferencesPatch): Promise<Pod> {
    return this.patchPod(pod, patch);
  }
}

/**
 * Creates pods under the owner's expectations: expected before the first create (the watch may show a
 * pod before its create returns), and un-expected for each pod not created, which will never show up.
 * With names (the DaemonSet's node names, one per pod) the expectations are kept by name.
 */
export async function createExpectedPods(
  control: PodControl,
  expectations: Expectations,
  key: string,
  owner: KubeObject,
  count: number,
  build: (i: number) => Pod,
  names?: string[],
): Promise<CreatePodsResult> {
  expectations.expectCreations(key, names ?? count);
  const res = await control.createPods(owner, count, build);
  const lost = new Set(res.lost ?? []);
  for (const i of res.notCreated) if (!lost.has(i)) expectations.creationObserved(key, names?.[i]);
  if (lost.size) expectations.creationAnswerLost(key);
  return res;
}

/** How soon a sync waiting for its pod cache to show lost creates looks again (ms). */
export const LostCreatesRecheckMs = 500;

/**
 * Called by a sync before it reads the owner's expectations: creates whose answers were lost stay
 * expected until the pod cache (cacheRevision: its informer's resourceVersion) is past the apiserver's
 * revision read after the loss, so that the cache shows each of them that landed. Resolves false while
 * the cache is not there yet (sync again soon); the read fails while the apiserver is still down.
 */
export async function settleLostCreates(expectations: Expectations, key: string, client: KubeClient, namespace: string | undefined, cacheRevision: () => string): Promise<boolean> {
  const need = expectations.lostCreatesNeed(key);
  if (need === undefined) return true;
  if (need === 'unread') {
    // A list's resourceVersion is the apiserver's revision when it was read (one item is enough).
    const now = await client.list<Pod>(Resources.pods, { namespace, limit: 1 });
    expectations.lostCreatesRevision(key, Number(now.metadata?.resourceVersion ?? 0));
  }
  return expectations.settleLostCreates(key, Number(cacheRevision() || 0));
}

/** Deletes pods under the owner's expectations; a refused delete (the pod already gone included) is un-expected. */
export async function deleteExpectedPods(control: PodControl, expectations: Expectations, key: string, owner: KubeObject, pods: Pod[]): Promise<DeletePodsResult> {
  expectations.expectDeletions(key, pods.map((p) => p.metadata?.uid ?? ''));
  const res = await control.deletePods(owner, pods);
  for (const p of res.notDeleted) expectations.deletionObserved(key, p.metadata?.uid ?? '');
  return res;
}
