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
