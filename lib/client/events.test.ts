import type { Event, Pod } from 'kubernetes-types/core/v1';
import { ApiError, KubeClient } from './client';
import { EventRecorder } from './events';

class FakeEventsApi {
  created: Event[] = [];
  patches: Array<{ name: string; body: Record<string, unknown> }> = [];
  failPatchWith404 = false;
  async create(_r: unknown, _ns: string, ev: Event): Promise<Event> {
    this.created.push(ev);
    return ev;
  }
  async patch(_r: unknown, _ns: string, name: string, body: Record<string, unknown>): Promise<Event> {
    if (this.failPatchWith404) throw new ApiError(404, { kind: 'Status', code: 404, message: 'not found' });
    this.patches.push({ name, body });
    return {} as Event;
  }
}

const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', uid: 'u1' } };

describe('EventRecorder', () => {
  it('creates an Event with involvedObject, source and count 1', async () => {
    const api = new FakeEventsApi();
    const rec = new EventRecorder(api as unknown as KubeClient, { component: 'replicaset-controller', host: 'h1' });
    rec.event(pod, 'Normal', 'SuccessfulCreate', 'Created pod: web-1');
    await rec.flush();
    expect(api.created).toHaveLength(1);
    const ev = api.created[0];
    expect(ev.metadata?.namespace).toBe('prod');
    expect(ev.metadata?.name).toMatch(/^web-1\.[0-9a-f]+$/);
    expect(ev.involvedObject).toMatchObject({ kind: 'Pod', name: 'web-1', namespace: 'prod', uid: 'u1' });
    expect(ev).toMatchObject({ type: 'Normal', reason: 'SuccessfulCreate', count: 1, source: { component: 'replicaset-controller', host: 'h1' } });
    expect(ev.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('writes an Event writeDelayMs after it was recorded, stamped with when it was recorded; events recorded together wait once', async () => {
    const api = new FakeEventsApi();
    const rec = new EventRecorder(api as unknown as KubeClient, { component: 'c', writeDelayMs: 1500 });
    const recorded = Date.now();
    rec.event(pod, 'Normal', 'A', 'first');
    rec.event(pod, 'Normal', 'B', 'second');
    await new Promise((r) => setTimeout(r, 1000));
    expect(api.created).toHaveLength(0);
    await rec.flush();
    const elapsed = Date.now() - recorded;
    expect(api.created.map((e) => e.reason)).toEqual(['A', 'B']);
    expect(elapsed).toBeGreaterThanOrEqual(1490);
    expect(elapsed).toBeLessThan(2500);
    // Stamped with the recording's second, not the write's.
    const stamped = Date.parse(api.created[0].firstTimestamp!);
    expect(stamped).toBeGreaterThanOrEqual(Math.floor(recorded / 1000) * 1000);
    expect(stamped).toBeLessThan(recorded + 1000);
  });

  it('aggregates repeats into count and starts over when the Event is gone', async () => {
    const api = new FakeEventsApi();
    const rec = new EventRecorder(api as unknown as KubeClient, { component: 'c' });
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    rec.event(pod, 'Warning', 'FailedCreate', 'other message');
    await rec.flush();
    expect(api.created).toHaveLength(2);
    expect(api.patches.map((p) => p.body.count)).toEqual([2, 3]);
    expect(api.patches[0].name).toBe(api.created[0].metadata?.name);
    api.failPatchWith404 = true;
    rec.event(pod, 'Warning', 'FailedCreate', 'quota');
    await rec.flush();
    expect(api.created).toHaveLength(3);
  });

  it('never throws to the caller when the API fails', async () => {
    const client = { create: async () => Promise.reject(new Error('down')) } as unknown as KubeClient;
    const rec = new EventRecorder(client, { component: 'c' });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => rec.event(pod, 'Normal', 'X', 'y')).not.toThrow();
    await rec.flush();
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('EventRecorder aggregation (client-go EventAggregator)', () => {
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'prod', uid: 'rs-1' } };

  it('combines similar events of one object after 9 distinct messages into one Event whose count grows', async () => {
    const api = new FakeEventsApi();
    const rec = new EventRecorder(api as unknown as KubeClient, { component: 'replicaset-controller' });
    for (let i = 0; i < 30; i++) rec.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-abc-${i}`);
    await rec.flush();
    // 9 as they are, then one combined Event bumped for the remaining 20.
    expect(api.created).toHaveLength(10);
    expect(api.created.slice(0, 9).map((e) => e.message)).toEqual(Array.from({ length: 9 }, (_, i) => `Created pod: web-abc-${i}`));
    expect(api.created[9].message).toBe('(combined from similar events): Created pod: web-abc-9');
    expect(api.patches).toHaveLength(20);
    expect(api.patches.every((p) => p.name === api.created[9].metadata?.name)).toBe(true);
    expect(api.patches[19].body).toMatchObject({ count: 21, message: '(combined from similar events): Created pod: web-abc-29' });
    // A repeat of one of the first nine still bumps its own Event.
    rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-abc-3');
    await rec.flush();
    expect(api.patches[20]).toMatchObject({ name: api.created[3].metadata?.name, body: { count: 2 } });
    // Another reason, or another object, is not combined with these.
    rec.event(rs, 'Normal', 'SuccessfulDelete', 'Deleted pod: web-abc-0');
    rec.event({ ...rs, metadata: { ...rs.metadata, name: 'web-def', uid: 'rs-2' } }, 'Normal', 'SuccessfulCreate', 'Created pod: web-def-0');
    await rec.flush();
    expect(api.created.slice(10).map((e) => e.message)).toEqual(['Deleted pod: web-abc-0', 'Created pod: web-def-0']);
  });

  it('forgets everything about an object that is gone', async () => {
    const api = new FakeEventsApi();
    const rec = new EventRecorder(api as unknown as KubeClient, { component: 'kubelet' });
    const other: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-2', namespace: 'prod', uid: 'u2' } };
    for (const p of [pod, other]) {
      rec.event(p, 'Normal', 'Pulled', 'Container image "nginx" already present on machine');
      rec.event(p, 'Normal', 'Started', 'Started container nginx');
    }
    await rec.flush();
    expect(rec.cached()).toEqual({ seen: 4, similar: 4 });
    expect(rec.cached('Pod')).toEqual({ seen: 4, similar: 4 });
    expect(rec.cached('Node')).toEqual({ seen: 0, similar: 0 });
    rec.forgetObject('u1');
    await rec.flush();
    expect(rec.cached()).toEqual({ seen: 2, similar: 2 });
    rec.forgetObject('u2');
    await rec.flush();
    expect(rec.cached()).toEqual({ seen: 0, similar: 0 });
  });
});

it('drops events beyond its queue while the API is slower than they come, and records again once it caught up', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const created: Event[] = [];
  const client = {
    create: async (_r: unknown, _ns: string, ev: Event) => {
      await gate;
      created.push(ev);
      return ev;
    },
  } as unknown as KubeClient;
  const rec = new EventRecorder(client, { component: 'c', maxQueued: 5 });
  const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  for (let i = 0; i < 8; i++) rec.event({ ...pod, metadata: { ...pod.metadata, uid: `u-${i}` } }, 'Normal', 'Started', 'Started container c');
  release();
  await rec.flush();
  expect(created).toHaveLength(5);
  expect(spy).toHaveBeenCalledWith(expect.stringContaining('dropped'));
  rec.event(pod, 'Normal', 'Started', 'again');
  await rec.flush();
  expect(created).toHaveLength(6);
  spy.mockRestore();
});
