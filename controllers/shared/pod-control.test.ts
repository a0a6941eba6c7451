import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import type { EventRecorder } from '../../lib/client/events';
import { FakeKubeClient } from '../../test/fixtures/fake-client';
import { Expectations } from './expectations';
import { ApiPodControl, createExpectedPods, slowStartBatch } from './pod-control';

describe('slowStartBatch', () => {
  test('batches of 1, 2, 4, … until done', async () => {
    // Calls of one batch start together; a new batch starts only when the last one has settled.
    const batches: number[][] = [];
    let pending = 0;
    const outcomes = await slowStartBatch(10, 1, async (i) => {
      if (pending === 0) batches.push([]);
      batches[batches.length - 1].push(i);
      pending++;
      await new Promise((resolve) => setImmediate(resolve));
      pending--;
      return i;
    });
    expect(batches).toEqual([[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]]);
    expect(outcomes.map((o) => (o?.status === 'fulfilled' ? o.value : undefined))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('stops after the first batch with a failure; the rest is skipped', async () => {
    const called: number[] = [];
    const outcomes = await slowStartBatch(10, 1, async (i) => {
      called.push(i);
      if (i === 2) throw new Error('no');
      return i;
    });
    // Batches [0], [1, 2]: the second fails, so 3 … 9 are never tried.
    expect(called).toEqual([0, 1, 2]);
    expect(outcomes.map((o) => o?.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', ...Array(7).fill(undefined)]);
  });
});

describe('ApiPodControl', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' } };
  const template = (): Pod => ({ metadata: { generateName: 'web-', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

  function setup() {
    const client = new FakeKubeClient();
    const events: string[] = [];
    const recorder = { event: (_o: unknown, type: string, reason: string, message: string) => events.push(`${type} ${reason} ${message}`) } as unknown as EventRecorder;
    return { client, events, control: new ApiPodControl(client, recorder) };
  }

  test('creates pods in the owner namespace and records SuccessfulCreate for each', async () => {
    const { client, events, control } = setup();
    const res = await control.createPods(owner, 3, template);
    expect(res.created).toHaveLength(3);
    expect(res.notCreated).toEqual([]);
    expect(client.stored(Resources.pods, 'default')).toHaveLength(3);
    expect(events).toEqual(res.created.map((p) => `Normal SuccessfulCreate Created pod: ${p.metadata?.name}`));
  });

  test('a failed create: one FailedCreate, the failed and skipped pods reported as not created', async () => {
    const { client, events, control } = setup();
    client.add(Resources.pods, { metadata: { name: 'taken', namespace: 'default' } });
    const named = (i: number): Pod => (i === 1 ? { ...template(), metadata: { name: 'taken' } } : template());
    const res = await control.createPods(owner, 5, named);
    expect(res.created).toHaveLength(2); // batch [0], then [1, 2] where 1 fails
    expect(res.notCreated).toEqual([1, 3, 4]);
    expect(res.error?.message).toMatch(/already exists/);
    expect(events.filter((e) => e.startsWith('Warning'))).toEqual([`Warning FailedCreate Error creating: ${res.error?.message}`]);
  });

  test('deletes on the pod uid; a pod already gone or a namesake is reported, only the namesake is an error', async () => {
    const { client, events, control } = setup();
    const kept = client.add<Pod>(Resources.pods, { metadata: { name: 'a', namespace: 'default' } });
    const namesake = client.add<Pod>(Resources.pods, { metadata: { name: 'b', namespace: 'default' } });
    const gone: Pod = { metadata: { name: 'c', namespace: 'default', uid: 'uid-c' } };
    const res = await control.deletePods(owner, [kept, { ...namesake, metadata: { ...namesake.metadata, uid: 'older-b' } }, gone]);
    expect(res.notDeleted.map((p) => p.metadata?.name)).toEqual(['b', 'c']);
    expect(res.error).toBeDefined();
    expect(client.stored<Pod>(Resources.pods).map((p) => p.metadata?.name)).toEqual(['b']);
    expect(events).toEqual(['Normal SuccessfulDelete Deleted pod: a']);
  });

  test('createExpectedPods expects by name and un-expects what was not created', async () => {
    const { client, control } = setup();
    client.add(Resources.pods, { metadata: { name: 'taken', namespace: 'default' } });
    const e = new Expectations();
    await createExpectedPods(control, e, 'k', owner, 3, (i) => (i === 0 ? { ...template(), metadata: { name: 'taken' } } : template()), ['n1', 'n2', 'n3']);
    expect(e.satisfied('k')).toBe(true); // the first batch failed: nothing was created, nothing is awaited
  });
});
