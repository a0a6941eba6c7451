import type { Pod } from 'kubernetes-types/core/v1';
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, KubeClient, KubeList, WatchEvent, WatchHandle, WatchOptions } from './client';
import { Informer, ObjectStore, objectKey, splitKey } from './informer';
import { Resources } from '../api/resources';

function pod(name: string, rv: string, extra: Partial<Pod['spec']> = {}, ns = 'default', ownerUid?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, resourceVersion: rv, ownerReferences: ownerUid ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: ownerUid }] : undefined },
    spec: { containers: [], ...extra },
  };
}

describe('objectKey / splitKey', () => {
  it('uses namespace/name for namespaced objects and name otherwise', () => {
    expect(objectKey(pod('a', '1'))).toBe('default/a');
    expect(objectKey({ metadata: { name: 'node1' } })).toBe('node1');
    expect(splitKey('default/a')).toEqual({ namespace: 'default', name: 'a' });
    expect(splitKey('node1')).toEqual({ name: 'node1' });
  });
});

describe('ObjectStore', () => {
  it('adds, updates, skips same-RV updates and deletes', () => {
    const s = new ObjectStore<Pod>();
    expect(s.applyEvent({ type: 'ADDED', object: pod('a', '1') })).toMatchObject({ type: 'add' });
    expect(s.applyEvent({ type: 'MODIFIED', object: pod('a', '1') })).toBeUndefined();
    const upd = s.applyEvent({ type: 'MODIFIED', object: pod('a', '2', { nodeName: 'n1' }) });
    expect(upd).toMatchObject({ type: 'update' });
    if (upd?.type === 'update') expect(upd.old.metadata?.resourceVersion).toBe('1');
    expect(s.byIndex('nodeName', 'n1').map((p) => p.metadata?.name)).toEqual(['a']);
    expect(s.applyEvent({ type: 'DELETED', object: pod('a', '3', { nodeName: 'n1' }) })).toMatchObject({ type: 'delete' });
    expect(s.applyEvent({ type: 'DELETED', object: pod('a', '3') })).toBeUndefined();
    expect(s.byIndex('nodeName', 'n1')).toEqual([]);
    expect(s.size).toBe(0);
  });

  it('maintains namespace and ownerUid indexes across updates', () => {
    const s = new ObjectStore<Pod>();
    s.upsert(pod('a', '1', {}, 'ns1', 'u1'));
    s.upsert(pod('b', '1', {}, 'ns2', 'u1'));
    expect(s.byIndex('ownerUid', 'u1')).toHaveLength(2);
    s.upsert(pod('b', '2', {}, 'ns2', 'u2'));
    expect(s.byIndex('ownerUid', 'u1').map(objectKey)).toEqual(['ns1/a']);
    expect(s.byIndex('ownerUid', 'u2').map(objectKey)).toEqual(['ns2/b']);
    expect(s.byIndex('namespace', 'ns2').map(objectKey)).toEqual(['ns2/b']);
    expect(() => s.byIndex('nope', 'x')).toThrow();
  });

  it('replace yields adds, updates and deletes', () => {
    const s = new ObjectStore<Pod>();
    s.replace([pod('a', '1'), pod('b', '1')]);
    const deltas = s.replace([pod('a', '1'), pod('b', '2'), pod('c', '1')]);
    expect(deltas.map((d) => `${d.type}:${d.obj.metadata?.name}`).sort()).toEqual(['add:c', 'update:b']);
    const gone = s.replace([pod('c', '1')]);
    expect(gone.map((d) => `${d.type}:${d.obj.metadata?.name}`).sort()).toEqual(['delete:a', 'delete:b']);
  });

  it('custom index added later covers existing objects', () => {
    const s = new ObjectStore<Pod>();
    s.upsert(pod('a', '1', { schedulerName: 'x' }));
    s.addIndex('scheduler', (p) => (p.spec?.schedulerName ? [p.spec.schedulerName] : []));
    expect(s.byIndex('scheduler', 'x')).toHaveLength(1);
  });
});

/** A fake API: list returns the given items; each watch call is recorded and driven by the test. */
class FakeApi {
  items: Pod[] = [];
  rv = '10';
  lists = 0;
  listError?: Error;
  watches: Array<{ opts: WatchOptions; onEvent: (e: WatchEvent<Pod>) => void; onClose: (err?: Error) => void; stopped: boolean }> = [];
  async list(): Promise<KubeList<Pod>> {
    this.lists++;
    if (this.listError) throw this.listError;
    return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: this.rv }, items: this.items.map((p) => ({ ...p, kind: undefined, apiVersion: undefined })) };
  }
  async watch(_r: unknown, opts: WatchOptions, onEvent: (e: WatchEvent<Pod>) => void, onClose: (err?: Error) => void): Promise<WatchHandle> {
    const w = { opts, onEvent, onClose, stopped: false };
    this.watches.push(w);
    return { stop: () => (w.stopped = true) };
  }
  last() {
    return this.watches[this.watches.length - 1];
  }
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Informer', () => {
  it('lists, syncs, watches from the list RV and dispatches events', async () => {
    const api = new FakeApi();
    api.items = [pod('a', '5')];
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods, { minRetryMs: 1 });
    const log: string[] = [];
    inf.onAdd((p) => log.push(`add ${p.metadata?.name}`));
    inf.onUpdate((o, n) => log.push(`update ${o.metadata?.resourceVersion}->${n.metadata?.resourceVersion}`));
    inf.onDelete((p) => log.push(`delete ${p.metadata?.name}`));
    await inf.start();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.get('default', 'a')?.kind).toBe('Pod'); // kind filled in from the list
    await until(() => api.watches.length === 1);
    expect(api.last().opts.resourceVersion).toBe('10');
    api.last().onEvent({ type: 'ADDED', object: pod('b', '11') });
    api.last().onEvent({ type: 'MODIFIED', object: pod('b', '11') }); // same RV: skipped
    api.last().onEvent({ type: 'MODIFIED', object: pod('b', '12') });
    api.last().onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '14' } } as Pod });
    api.last().onEvent({ type: 'DELETED', object: pod('a', '15') });
    expect(log).toEqual(['add a', 'add b', 'update 11->12', 'delete a']);
    expect(inf.list().map(objectKey)).toEqual(['default/b']);
    expect(inf.list('other')).toEqual([]);
    // A clean close resumes from the last RV without a re-list.
    api.last().onClose();
    await until(() => api.watches.length === 2);
    expect(api.last().opts.resourceVersion).toBe('15');
    expect(api.lists).toBe(1);
    inf.stop();
  });

  it('pauses longer after each broken watch in a row, and starts over after a watch that delivered events', async () => {
    const api = new FakeApi();
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods, { minRetryMs: 1, maxRetryMs: 64 });
    const pauses: number[] = [];
    const sleeper = inf as unknown as { sleepUnlessStopped(ms: number): Promise<void> };
    const sleep = sleeper.sleepUnlessStopped.bind(inf);
    jest.spyOn(sleeper, 'sleepUnlessStopped').mockImplementation((ms: number) => {
      pauses.push(ms);
      return sleep(ms);
    });
    await inf.start();
    for (let i = 1; i <= 4; i++) {
      await until(() => api.watches.length === i);
      api.last().onClose(new Error('ECONNRESET'));
    }
    await until(() => api.watches.length === 5);
    api.last().onEvent({ type: 'ADDED', object: pod('b', '11') });
    api.last().onClose(new Error('ECONNRESET'));
    await until(() => api.watches.length === 6);
    api.last().onClose(new Error('ECONNRESET'));
    await until(() => api.watches.length === 7);
    expect(pauses).toEqual([1, 2, 4, 8, 1, 2]);
    expect(api.lists).toBe(1);
    inf.stop();
  });

  it('caches listed and watched objects without managedFields, leaving the received objects untouched', async () => {
    const managed = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }] } });
    const api = new FakeApi();
    api.items = [managed(pod('a', '5'))];
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods, { minRetryMs: 1 });
    const added: Pod[] = [];
    inf.onAdd((p) => added.push(p));
    await inf.start();
    await until(() => api.watches.length === 1);
    const b = managed(pod('b', '11'));
    api.last().onEvent({ type: 'ADDED', object: b });
    expect(inf.get('default', 'a')?.metadata).toEqual({ name: 'a', namespace: 'default', resourceVersion: '5', ownerReferences: undefined });
    expect(inf.get('default', 'b')?.metadata?.managedFields).toBeUndefined();
    expect(added.map((p) => 'managedFields' in (p.metadata ?? {}))).toEqual([false, false]);
    expect(b.metadata?.managedFields).toHaveLength(1); // the event's own object is not changed
    inf.stop();
  });

  it('re-lists on 410 (as an ERROR event or an error answer) and reconciles the cache', async () => {
    const api = new FakeApi();
    api.items = [pod('a', '5'), pod('b', '6')];
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods, { minRetryMs: 1 });
    const deleted: string[] = [];
    inf.onDelete((p) => deleted.push(p.metadata!.name!));
    await inf.start();
    await until(() => api.watches.length === 1);
    api.items = [pod('b', '20')];
    api.rv = '20';
    const gone: Status = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' };
    api.last().onEvent({ type: 'ERROR', object: gone as unknown as Pod });
    await until(() => api.watches.length === 2);
    expect(api.lists).toBe(2);
    expect(deleted).toEqual(['a']);
    expect(api.last().opts.resourceVersion).toBe('20');
    api.last().onClose(new ApiError(410, gone));
    await until(() => api.watches.length === 3);
    expect(api.lists).toBe(3);
    inf.stop();
  });

  it('retries the watch from the last RV after a broken connection', async () => {
    const api = new FakeApi();
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods, { minRetryMs: 1 });
    await inf.start();
    await until(() => api.watches.length === 1);
    api.last().onEvent({ type: 'ADDED', object: pod('x', '11') });
    api.last().onClose(new Error('ECONNRESET'));
    await until(() => api.watches.length === 2);
    expect(api.last().opts.resourceVersion).toBe('11');
    expect(api.lists).toBe(1);
    inf.stop();
    expect(api.last().stopped).toBe(true);
  });

  it('replays cached objects to add handlers registered after sync', async () => {
    const api = new FakeApi();
    api.items = [pod('a', '1'), pod('b', '2')];
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods);
    await inf.start();
    const seen: string[] = [];
    inf.onAdd((p) => seen.push(p.metadata!.name!));
    expect(seen.sort()).toEqual(['a', 'b']);
    inf.stop();
  });

  it('rejects start() on a 4xx list answer such as a bad selector', async () => {
    const api = new FakeApi();
    api.listError = new ApiError(400, { kind: 'Status', code: 400, message: 'bad selector' });
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods);
    await expect(inf.start()).rejects.toThrow('bad selector');
  });

  it('keeps retrying a list that fails with a connection error', async () => {
    const api = new FakeApi();
    api.listError = new Error('ECONNREFUSED');
    const inf = new Informer<Pod>(api as unknown as KubeClient, Resources.pods, { minRetryMs: 1, maxRetryMs: 5 });
    const started = inf.start();
    await until(() => api.lists >= 3);
    api.listError = undefined;
    await started;
    expect(inf.hasSynced()).toBe(true);
    inf.stop();
  });
});
