// LeaderElector: client-go's leader election on a coordination.k8s.io/v1 Lease. A candidate takes the
// Lease when it is free or its holder has not renewed it for leaseDurationSeconds (measured on the
// candidate's own clock from when it last saw the record change, so clock skew does not matter); the
// leader renews every retryPeriod and steps down when it could not renew within renewDeadline.
//
// steer's defaults are shorter than Kubernetes' 15 s / 10 s / 2 s, so that a crashed leader is replaced
// within 8 s: a candidate sees the holder's last renewal at most one retry period late and takes the
// Lease on its first attempt after leaseDuration has passed since, so ≤ 6 + 1 + 1 s. A graceful stop
// releases the Lease (≤ 1 s). Never two at once: the leader stops working when renewDeadline (4 s) has
// passed since its last successful renewal — even if a renewal request hangs — while nobody else can
// take the Lease before leaseDuration (6 s) has passed since that renewal on their own clock; and
// writes made through fencedClient() are refused from the moment the leader is no longer sure it holds
// the Lease, so a deposed leader's queued work cannot reach the apiserver.
import type { Lease } from 'kubernetes-types/coordination/v1';
import { isAlreadyExists, isConflict, isNotFound, KubeClient } from './client';
import { Resources } from '../api/resources';
import { microTime } from '../api/time';

/** steer's leader election timing (seconds): see the top of this file. */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 } as const;

/** A write refused because its component no longer holds its Lease. */
export class LeaseLostError extends Error {
  constructor(lease: string) {
    super(`not the leader of ${lease}: write refused`);
    this.name = 'LeaseLostError';
  }
}

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  /** Called when another holder is observed (including at start). */
  onNewLeader?: (identity: string) => void;
  /** Give the Lease up on stop() so a successor need not wait out the duration (default true). */
  releaseOnStop?: boolean;
}

export class LeaderElector {
  private leader = false;
  private stopped = false;
  private observedRecord = '';
  private observedAt = 0;
  private observedHolder = '';
  private lastRenew = 0;
  private wake?: () => void;
  private runPromise?: Promise<void>;
  private releaseOnStop = true;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectorOptions,
  ) {
    if (opts.renewDeadlineSeconds >= opts.leaseDurationSeconds) throw new Error('renewDeadlineSeconds must be less than leaseDurationSeconds');
    if (opts.retryPeriodSeconds <= 0) throw new Error('retryPeriodSeconds must be positive');
  }

  isLeader(): boolean {
    return this.leader;
  }

  /**
   * True while this candidate leads and its last successful renewal is younger than the renew deadline:
   * no other candidate can have taken the Lease yet (they wait leaseDuration from that renewal).
   */
  holdsLease(): boolean {
    return this.leader && Date.now() - this.lastRenew < this.opts.renewDeadlineSeconds * 1000;
  }

  /** A client sharing `client`'s connections whose writes fail with LeaseLostError unless holdsLease(). */
  fencedClient(client: KubeClient = this.client): KubeClient {
    return client.withWriteFence(() => this.holdsLease(), () => new LeaseLostError(`${this.opts.namespace}/${this.opts.name}`));
  }

  /** The holder last observed on the Lease ('' if none). */
  currentLeader(): string {
    return this.observedHolder;
  }

  /** Campaigns until stop(): acquire, lead while renewals succeed, step down, campaign again. */
  run(): Promise<void> {
    if (!this.runPromise) this.runPromise = this.loop();
    return this.runPromise;
  }

  /** Stops campaigning; a leader steps down (and releases the Lease). Resolves when done. */
  async stop(release = this.opts.releaseOnStop !== false): Promise<void> {
    this.releaseOnStop = release;
    this.stopped = true;
    this.wake?.();
    await this.runPromise;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    const retryMs = this.opts.retryPeriodSeconds * 1000;
    while (!this.stopped) {
      // Campaign.
      let acquiredAt = 0;
      while (!this.stopped) {
        const attempt = Date.now();
        if (await this.tryAcquireOrRenew()) {
          acquiredAt = attempt;
          break;
        }
        await this.sleep(retryMs * (1 + Math.random() * 0.2));
      }
      if (this.stopped) break;
      this.leader = true;
      this.lastRenew = acquiredAt;
      await this.safely(this.opts.onStartedLeading);
      // Lead: renew every retry period; give up when no renewal succeeded within the renew deadline. An
      // attempt that hangs (an apiserver that died without closing its connections) is not waited for
      // past the deadline.
      const deadlineMs = this.opts.renewDeadlineSeconds * 1000;
      while (!this.stopped) {
        await this.sleep(Math.min(retryMs, Math.max(0, this.lastRenew + deadlineMs - Date.now())));
        if (this.stopped) break;
        const left = this.lastRenew + deadlineMs - Date.now();
        if (left <= 0) break;
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const renewed = await Promise.race([this.tryAcquireOrRenew(), new Promise<false>((r) => (timer = setTimeout(() => r(false), left)))]);
        clearTimeout(timer);
        if (renewed) {
          // Counted from when the attempt started: the apiserver may have stored it at any time since.
          this.lastRenew = started;
          continue;
        }
        if (Date.now() - this.lastRenew >= deadlineMs || this.observedHolder !== this.opts.identity) break;
      }
      this.leader = false;
      if (this.stopped && this.releaseOnStop) await this.release();
      await this.safely(this.opts.onStoppedLeading);
    }
  }

  private async safely(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      console.error(`leader election ${this.opts.namespace}/${this.opts.name}: callback failed:`, err);
    }
  }

  private observe(lease: Lease): void {
    const spec = lease.spec || {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds, spec.acquireTime]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity || '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder && this.opts.onNewLeader) this.opts.onNewLeader(holder);
    }
  }

  /** One attempt; true when this candidate holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    const now = microTime();
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(Resources.leases, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) return false;
      try {
        const created = await this.client.create<Lease>(Resources.leases, namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        this.observe(created);
        return true;
      } catch (e) {
        if (!isAlreadyExists(e) && !isConflict(e)) console.error(`leader election ${namespace}/${name}: create failed: ${(e as Error).message}`);
        return false;
      }
    }
    this.observe(lease);
    const spec = lease.spec || {};
    const holder = spec.holderIdentity || '';
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && this.observedAt + duration > Date.now()) return false;
    const mine = holder === identity;
    const updated: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        acquireTime: mine ? spec.acquireTime ?? now : now,
        leaseTransitions: mine ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      const res = await this.client.update<Lease>(Resources.leases, updated);
      this.observe(res);
      return true;
    } catch {
      return false;
    }
  }

  /** Hands the Lease back: empty holder and a 1 s duration, so the next candidate takes it at once. */
  private async release(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    try {
      const lease = await this.client.get<Lease>(Resources.leases, namespace, name);
      if (lease.spec?.holderIdentity !== identity) return;
      await this.client.update<Lease>(Resources.leases, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() },
      });
    } catch {
      /* best effort: the Lease expires on its own */
    }
  }
}
