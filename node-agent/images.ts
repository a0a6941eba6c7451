// Image pulls (kubelet's pkg/kubelet/images): the container's imagePullPolicy, as the apiserver
// defaulted it, decides whether to pull — Never (the image must be on the node), IfNotPresent, Always —
// with kubelet's events (Pulling, Pulled, Failed, ErrImageNeverPull). A failed pull backs off per
// container, so a missing image is not pulled again on every sync.
import type { Pod } from 'kubernetes-types/core/v1';
import type { EventRecorder } from '../lib/client/events';
import { Backoff, BackoffOptions } from './backoff';
import type { ContainerRuntime } from './runtime/runtime';

/** Why the image is not there yet, and how long the container's start should wait before trying again. */
export type PullResult = { ok: true } | { ok: false; reason: 'ErrImageNeverPull' | 'ImagePullBackOff'; message: string; retryAfterMs: number };

export type ImageEventRecorder = Pick<EventRecorder, 'event'>;

/**
 * Holds a pod's events back until `release`. Image events: until the container's start uses the check
 * they came from (a check begun while the sandbox is created would otherwise report "already present"
 * on every retry of a pod whose sandbox or volumes fail, where the kubelet reports it once it starts the
 * container). A start's Created and Started events: until the status showing the container running is
 * written (pod-actions.ts).
 */
export class HeldEvents implements ImageEventRecorder {
  private readonly held: Array<Parameters<EventRecorder['event']>> = [];
  event(...args: Parameters<EventRecorder['event']>): void {
    this.held.push(args);
  }
  /** Sends the held events, in order, to `to`. */
  release(to: ImageEventRecorder): void {
    for (const args of this.held.splice(0)) to.event(...args);
  }
}

/** How long a container waits after ErrImageNeverPull before the image is checked again. */
const NEVER_PULL_RETRY_MS = 10_000;

export class ImageManager {
  private readonly backoff: Backoff;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly recorder: ImageEventRecorder,
    backoff?: BackoffOptions,
  ) {
    this.backoff = new Backoff(backoff);
  }

  /**
   * Makes sure the image is on the node for the container with back-off key `key`. An unset policy
   * (a pod that skipped the apiserver's defaulting) counts as IfNotPresent. Its events go to `recorder`
   * (by default the pod's event recorder; a check run ahead of the container's start holds them back).
   */
  async ensureImage(pod: Pod, image: string, policy: string | undefined, key: string, recorder: ImageEventRecorder = this.recorder): Promise<PullResult> {
    const present = await this.runtime.imageStatus(image);
    if (policy === 'Never') {
      if (present) return { ok: true };
      const message = `Container image "${image}" is not present with pull policy of Never`;
      recorder.event(pod, 'Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message, retryAfterMs: NEVER_PULL_RETRY_MS };
    }
    if (present && policy !== 'Always') {
      recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true };
    }
    recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = Date.now();
    try {
      await this.runtime.pullImage(image);
    } catch (err) {
      recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${(err as Error).message}`);
      const delay = this.backoff.next(key, Date.now());
      return { ok: false, reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`, retryAfterMs: delay };
    }
    this.backoff.delete(key);
    recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${((Date.now() - t0) / 1000).toFixed(3)}s`);
    return { ok: true };
  }

  /** Drops the back-off of every container of a pod. */
  forgetPod(uid: string): void {
    this.backoff.deletePrefix(`${uid}/`);
  }

  /** Drops expired back-off entries. */
  gc(now: number): void {
    this.backoff.gc(now);
  }
}
