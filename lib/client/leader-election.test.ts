import type { Lease } from 'kubernetes-types/coordination/v1';
import { ApiError, KubeClient } from './client';
import { LeaderElector, LeaderElectorOptions } from './leader-election';
import { microTime } from '../api/time';

/** An in-memory Lease store with the apiserver's optimistic concurrency (409 on a stale RV). */
class FakeLeases {
  lease?: Lease;
  rv = 0;
  async get(): Promise<Lease> {
    if (!this.lease) throw new ApiError(404, { kind: 'Status', code: 404, reason: 'NotFound' });
    return JSON.parse(JSON.stringify(this.lease));
  }
  async create(_r: unknown, _ns: string, l: Lease): Promise<Lease> {
    if (this.lease) throw new ApiError(409, { kind: 'Status', code: 409, reason: 'AlreadyExists' });
    this.lease = { ...l, metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
    return this.get();
  }
  async update(_r: unknown, l: Lease): Promise<Lease> {
    if (l.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw new ApiError(409, { kind: 'Status', code: 409, reason: 'Conflict' });
    this.lease = { ...l, metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
    return this.get();
  }
}

function elector(api: FakeLeases, identity: string, log: string[], extra: Partial<LeaderElectorOptions> = {}): LeaderElector {
  return new LeaderElector(api as unknown as KubeClient, {
    namespace: 'kube-system',
    name: 'steer-controllers',
    identity,
    leaseDurationSeconds: 0.4,
    renewDeadlineSeconds: 0.3,
    retryPeriodSeconds: 0.05,
    onStartedLeading: () => void log.push(`start ${identity}`),
    onStoppedLeading: () => void log.push(`stop ${identity}`),
    ...extra,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LeaderElector', () => {
  it('formats MicroTime with microseconds', () => {
    expect(microTime(new Date('2026-11-23T10:00:00.123Z'))).toBe('2026-11-23T10:00:00.123000Z');
  });

  it('elects exactly one of two candidates and fails over when the leader stops (released)', async () => {
    const api = new FakeLeases();
    const log: string[] = [];
    const a = elector(api, 'a', log);
    const b = elector(api, 'b', log);
    void a.run();
    await sleep(30);
    void b.run();
    await sleep(200);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(api.lease?.spec?.holderIdentity).toBe('a');
    await a.stop();
    expect(log).toEqual(['start a', 'stop a']);
    await sleep(150); // released: b takes over well within the lease duration
    expect(b.isLeader()).toBe(true);
    expect(api.lease?.spec?.leaseTransitions).toBe(1);
    await b.stop();
  });

  it('takes over from a crashed leader only after the lease duration', async () => {
    const api = new FakeLeases();
    const log: string[] = [];
    // A leader that renewed just now and then died (nobody renews).
    const now = microTime();
    api.lease = { metadata: { name: 'steer-controllers', namespace: 'kube-system', resourceVersion: '1' }, spec: { holderIdentity: 'dead', leaseDurationSeconds: 0.4, renewTime: now, acquireTime: now } };
    const b = elector(api, 'b', log);
    const t0 = Date.now();
    void b.run();
    while (!b.isLeader()) await sleep(10);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(380);
    expect(waited).toBeLessThan(1500);
    await b.stop();
  });

  it('steps down when renewals fail past the renew deadline', async () => {
    const api = new FakeLeases();
    const log: string[] = [];
    const a = elector(api, 'a', log);
    void a.run();
    while (!a.isLeader()) await sleep(10);
    // Someone else grabs the lease behind a's back (e.g. a's clock stalled).
    api.lease = { ...api.lease!, metadata: { ...api.lease!.metadata, resourceVersion: String(++api.rv) }, spec: { ...api.lease!.spec, holderIdentity: 'z', renewTime: microTime() } };
    await sleep(150);
    expect(a.isLeader()).toBe(false);
    expect(log).toEqual(['start a', 'stop a']);
    await a.stop();
  });

  it('steps down at the renew deadline while a renewal hangs, and its fenced writes are refused from then on', async () => {
    const api = new FakeLeases();
    const log: string[] = [];
    const a = elector(api, 'a', log);
    void a.run();
    while (!a.isLeader()) await sleep(10);
    expect(a.holdsLease()).toBe(true);
    // Every request from now on hangs (an apiserver that froze without closing its connections).
    const hang = () => new Promise<never>(() => undefined);
    api.get = hang;
    api.update = hang;
    const t0 = Date.now();
    while (a.isLeader()) await sleep(10);
    // Stepped down by the deadline (0.3 s from the last renewal), before the Lease (0.4 s) could be taken.
    expect(Date.now() - t0).toBeLessThan(400);
    expect(log).toEqual(['start a', 'stop a']);
    expect(a.holdsLease()).toBe(false);
    const writes: string[] = [];
    const client = { request: async (method: string) => void writes.push(method), watchPath: async () => ({ stop: () => undefined }) };
    const fenced = a.fencedClient(Object.assign(Object.create(KubeClient.prototype) as KubeClient, client));
    await expect(fenced.request('POST', '/api/v1/namespaces/default/pods')).rejects.toThrow(/not the leader of kube-system\/steer-controllers/);
    await fenced.request('GET', '/api/v1/pods');
    expect(writes).toEqual(['GET']);
    void a.stop(false);
  });
});
