// PodActions on the fake runtime with no apiserver: the ConfigMap/Secret source, the pod deleter and
// the event recorder are small fakes. Table tests of the start failure paths (the waiting reason apply
// returns, the event, the start block the core then sees), plus the once-per-sync data fetch, pull
// policies, and what finalizeDeletion and forget leave behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { HeldEvents } from './images';
import type { HookRunner } from './lifecycle';
import { emptyObserved } from './observed';
import { newSyncState, PodActions, SyncState } from './pod-actions';
import { Pleg } from './pleg';
import type { PodData } from './podspec';
import { ProbeManager } from './probes';
import { FakeRuntime } from './runtime/fake-runtime';
import { RuntimeError } from './runtime/runtime';
import type { PodAction } from './sync';

const NODE = 'unit-node';

interface Harness {
  actions: PodActions;
  runtime: FakeRuntime;
  pleg: Pleg;
  /** "type reason message" of every event recorded. */
  events: string[];
  /** How often the pod's ConfigMaps and Secrets were fetched. */
  dataCalls(): number;
  deleted: string[];
  forgotten: string[];
}

let stateDir: string;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-pod-actions-'));
});
afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

function harness(o: { images?: string[]; missingImages?: string[]; data?: PodData; dataGate?: Promise<void>; volumeRefreshIntervalMs?: number; hooks?: HookRunner; runtimeClasses?: Record<string, string> } = {}): Harness {
  const runtime = new FakeRuntime({ images: o.images ?? ['busybox:1.35'], missingImages: o.missingImages });
  const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 1000, onChange: () => undefined });
  const probes = new ProbeManager({ nodeName: NODE, prober: { run: async () => ({ ok: true, output: '' }) }, onChange: () => undefined });
  const events: string[] = [];
  const deleted: string[] = [];
  const forgotten: string[] = [];
  let dataCalls = 0;
  const actions = new PodActions({
    nodeName: NODE,
    hostIP: '192.0.2.1',
    runtime,
    recorder: { event: (_obj, type, reason, message) => void events.push(`${type} ${reason} ${message}`) },
    pleg,
    probes,
    data: {
      podData: async () => {
        dataCalls++;
        await o.dataGate;
        return o.data ?? { configMaps: {}, secrets: {} };
      },
      runtimeHandler: async (name) => {
        const handler = o.runtimeClasses?.[name];
        if (handler === undefined) throw new Error(`runtimeclasses.node.k8s.io "${name}" not found`);
        return handler;
      },
    },
    deleter: { deletePod: async (p) => void deleted.push(p.metadata!.name!) },
    stateDir,
    sandbox: { nodeName: NODE, logRoot: path.join(stateDir, 'logs'), cgroupRoot: '/steerpods', clusterDNS: [], clusterDomain: 'cluster.local', hostDns: { servers: [], searches: [], options: [] } },
    cgroupFs: false,
    imageBackoff: { initialMs: 1000, maxMs: 4000 },
    onForget: (uid) => forgotten.push(uid),
    volumeRefreshIntervalMs: o.volumeRefreshIntervalMs,
    hooks: o.hooks,
  });
  return { actions, runtime, pleg, events, dataCalls: () => dataCalls, deleted, forgotten };
}

function pod(...containers: Container[]): Pod {
  return { metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { nodeName: NODE, containers } };
}

const start = (name: string, attempt = 0): PodAction => ({ type: 'StartContainer', name, init: false, attempt });

/** Creates the sandbox, then applies the start; returns the start's result and the sync state. */
async function createAndStart(h: Harness, p: Pod, name = 'c') {
  const state = newSyncState(emptyObserved('uid-1'));
  expect(await h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state)).toEqual({ ok: true });
  return { result: await h.actions.apply(p, start(name), state), state };
}

describe('a container that cannot start: the waiting reason apply returns, its event and start block', () => {
  interface Row {
    what: string;
    container: Container;
    setup?: (h: Harness) => void;
    reason: string;
    message: string;
    event: string;
    /** The start block the core sees afterwards (undefined: none). */
    block?: { reason: string; maxMs: number };
  }
  const rows: Row[] = [
    {
      what: 'ErrImageNeverPull: policy Never and the image is not on the node',
      container: { name: 'c', image: 'absent:1', imagePullPolicy: 'Never' },
      reason: 'ErrImageNeverPull',
      message: 'Container image "absent:1" is not present with pull policy of Never',
      event: 'Warning ErrImageNeverPull Container image "absent:1" is not present with pull policy of Never',
      block: { reason: 'ErrImageNeverPull', maxMs: 10_000 },
    },
    {
      what: 'ErrImagePull, then ImagePullBackOff: the pull fails',
      container: { name: 'c', image: 'nope:1', imagePullPolicy: 'IfNotPresent' },
      reason: 'ErrImagePull',
      message: 'Back-off pulling image "nope:1"',
      event: 'Warning Failed Failed to pull image "nope:1": failed to resolve reference "nope:1": not found',
      block: { reason: 'ImagePullBackOff', maxMs: 1000 },
    },
    {
      what: 'CreateContainerConfigError: the env names a ConfigMap that does not exist',
      container: { name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'x' } } }] },
      reason: 'CreateContainerConfigError',
      message: 'configmap "settings" not found',
      event: 'Warning Failed Error: configmap "settings" not found',
      block: { reason: 'CreateContainerConfigError', maxMs: 2000 },
    },
    {
      what: 'CreateContainerError: the runtime refuses the create',
      container: { name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' },
      setup: (h) => h.runtime.failNext('createContainer', new RuntimeError('no space left on device')),
      reason: 'CreateContainerError',
      message: 'no space left on device',
      event: 'Warning Failed Error: no space left on device',
      block: { reason: 'CreateContainerError', maxMs: 2000 },
    },
    {
      what: 'RunContainerError: the runtime refuses the start (the core replaces the container, no block)',
      container: { name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' },
      setup: (h) => h.runtime.failNext('startContainer', new RuntimeError('exec format error')),
      reason: 'RunContainerError',
      message: 'exec format error',
      event: 'Warning Failed Error: exec format error',
    },
  ];

  test.each(rows)('$what', async (row) => {
    const h = harness({ missingImages: ['nope:1'] });
    row.setup?.(h);
    const { result, state } = await createAndStart(h, pod(row.container));
    expect(result).toEqual({ ok: false, waiting: { reason: row.reason, message: row.message } });
    expect(h.events).toContain(row.event);
    expect(h.events.some((e) => e.startsWith('Normal Started'))).toBe(false);
    expect(state.started).toEqual([]);
    expect(state.needsRelist).toBe(true);
    const blocked = h.actions.syncContext().startBlocked('uid-1/c', Date.now());
    if (!row.block) expect(blocked).toBeUndefined();
    else {
      expect(blocked).toMatchObject({ reason: row.block.reason, message: row.message });
      expect(blocked!.remainingMs).toBeGreaterThan(0);
      expect(blocked!.remainingMs).toBeLessThanOrEqual(row.block.maxMs);
    }
  });

  test('a later successful start lifts the block', async () => {
    const h = harness();
    h.runtime.failNext('createContainer', new RuntimeError('transient'));
    const c: Container = { name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' };
    const { state } = await createAndStart(h, pod(c));
    expect(h.actions.syncContext().startBlocked('uid-1/c', Date.now())).toBeDefined();
    expect(await h.actions.apply(pod(c), start('c'), state)).toEqual({ ok: true });
    expect(h.actions.syncContext().startBlocked('uid-1/c', Date.now())).toBeUndefined();
  });
});

describe('a sync that starts containers', () => {
  test('fetches the ConfigMaps and Secrets once, and knows what it created without a relist', async () => {
    const data: PodData = { configMaps: { settings: { x: '1' } }, secrets: {} };
    const h = harness({ data });
    const env = [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'x' } } }];
    const p = pod({ name: 'a', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', env }, { name: 'b', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', env });
    const state: SyncState = newSyncState(emptyObserved('uid-1'));
    expect(await h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state)).toEqual({ ok: true });
    expect(await h.actions.apply(p, start('a'), state)).toEqual({ ok: true });
    expect(await h.actions.apply(p, start('b'), state)).toEqual({ ok: true });
    expect(h.dataCalls()).toBe(1);
    expect(state.needsRelist).toBe(false);
    expect(state.createdSandbox?.state).toBe('SANDBOX_READY');
    expect(state.started.map((c) => c.name).sort()).toEqual(['a', 'b']);
    expect(h.runtime.containerConfig(state.started[0].id).env).toEqual([{ name: 'X', value: '1' }]);
    expect(h.actions.lastChanged('uid-1')).toBeGreaterThan(0);
    // A second sync fetches again (no cache across syncs yet).
    const next = newSyncState(await h.pleg.observe('uid-1', Date.now()));
    await h.actions.apply(p, { type: 'KillContainer', id: state.started[0].id, name: 'a', gracePeriodSeconds: 0, reason: 'SpecChanged', message: '' }, next);
    await h.actions.apply(p, start('a', 1), next);
    expect(h.dataCalls()).toBe(2);
  });

  test("the pod's RuntimeClass names the sandbox's handler; a class that does not exist creates no sandbox", async () => {
    const h = harness({ runtimeClasses: { sandboxed: 'runsc' } });
    const handlers: Array<string | undefined> = [];
    const run = h.runtime.runPodSandbox.bind(h.runtime);
    h.runtime.runPodSandbox = (cfg) => {
      handlers.push(cfg.runtimeHandler);
      return run(cfg);
    };
    const withClass = (name: string, uid: string): Pod => {
      const p = pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
      return { ...p, metadata: { ...p.metadata, name: uid, uid }, spec: { ...p.spec!, runtimeClassName: name } };
    };
    expect(await h.actions.apply(withClass('sandboxed', 'uid-rc'), { type: 'CreateSandbox', attempt: 0 }, newSyncState(emptyObserved('uid-rc')))).toEqual({ ok: true });
    expect(handlers).toEqual(['runsc']);
    const missing = await h.actions.apply(withClass('nope', 'uid-none'), { type: 'CreateSandbox', attempt: 0 }, newSyncState(emptyObserved('uid-none'))).catch((err: Error) => err);
    expect(String(missing)).toContain('runtimeclasses.node.k8s.io "nope" not found');
    expect(handlers).toEqual(['runsc']);
    expect(h.events).toContain('Warning FailedCreatePodSandBox Failed to create pod sandbox: runtimeclasses.node.k8s.io "nope" not found');
    // A pod without a class: the runtime's default handler.
    await createAndStart(h, pod({ name: 'd', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }));
    expect(handlers).toEqual(['runsc', undefined]);
  });

  test.each([
    ['IfNotPresent', 'busybox:1.35', false],
    ['Always', 'busybox:1.35', true],
    ['IfNotPresent', 'other:2', true],
    ['Never', 'busybox:1.35', false],
  ])('pull policy %s for %s pulls: %s', async (policy, image, pulls) => {
    const h = harness();
    const { result } = await createAndStart(h, pod({ name: 'c', image, imagePullPolicy: policy }));
    expect(result).toEqual({ ok: true });
    expect(h.runtime.calls.includes(`pullImage ${image}`)).toBe(pulls);
  });
});

test('a deleted pod: containers stopped with the grace period; its directories and object go while its sandbox still runs, then the sandbox, with one network teardown, and its logs', async () => {
  const h = harness();
  const p: Pod = { ...pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }), metadata: { name: 'web', namespace: 'default', uid: 'uid-1', deletionTimestamp: '2026-01-01T00:00:00Z' } };
  await createAndStart(h, p);
  const logDir = path.join(stateDir, 'logs', 'default_web_uid-1');
  expect(fs.existsSync(logDir)).toBe(true);
  const graces: number[] = [];
  const stop = h.runtime.stopContainer.bind(h.runtime);
  h.runtime.stopContainer = async (id, grace) => {
    graces.push(grace);
    return stop(id, grace);
  };
  h.runtime.calls.length = 0;
  await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 30, reason: 'deleted' }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  expect(graces).toEqual([30]);
  expect(h.runtime.calls.map((c) => c.split(' ')[0])).toEqual(['stopContainer']);
  expect(h.events).toContain('Normal Killing Stopping container c');
  // No container runs: the object goes, with the pod's directory; the sandbox is garbage from now on.
  const after = await h.pleg.observe('uid-1', Date.now());
  expect(after.sandboxes.map((s) => s.state)).toEqual(['SANDBOX_READY']);
  expect(after.containers.filter((c) => c.state === 'CONTAINER_RUNNING')).toEqual([]);
  await h.actions.finalizeDeletion(p, after);
  expect(h.deleted).toEqual(['web']);
  expect(h.forgotten).toEqual(['uid-1']);
  expect(fs.existsSync(path.join(stateDir, 'pods', 'uid-1'))).toBe(false);
  expect(h.runtime.networkTeardowns).toBe(0);
  // The delete notification's sync removes the sandbox (one CNI DEL) and the logs.
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', Date.now()))).toEqual({});
  expect(h.runtime.counts()).toEqual({ sandboxes: 0, containers: 0, running: 0 });
  expect(h.runtime.calls.filter((c) => c.startsWith('removePodSandbox'))).toHaveLength(1);
  expect(h.runtime.calls.filter((c) => c.startsWith('stopPodSandbox'))).toHaveLength(0);
  expect(h.runtime.networkTeardowns).toBe(1);
  expect(fs.existsSync(logDir)).toBe(false);
});

test("a deleted pod's sandbox waits for the kills and starts in flight, then goes even though it was never stopped", async () => {
  const h = harness();
  const p: Pod = { ...pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }), metadata: { name: 'web', namespace: 'default', uid: 'uid-1', deletionTimestamp: '2026-01-01T00:00:00Z' } };
  await createAndStart(h, p);
  await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 0, reason: 'deleted' }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  await h.actions.finalizeDeletion(p, await h.pleg.observe('uid-1', Date.now()));
  // Another pod's sandbox is being created: the garbage waits.
  let release = () => undefined as void;
  const gate = new Promise<void>((r) => (release = r));
  const run = h.runtime.runPodSandbox.bind(h.runtime);
  h.runtime.runPodSandbox = async (...args) => {
    await gate;
    return run(...args);
  };
  const other: Pod = { ...pod({ name: 'c', image: 'busybox:1.35' }), metadata: { name: 'other', namespace: 'default', uid: 'uid-2' } };
  const creating = h.actions.apply(other, { type: 'CreateSandbox', attempt: 0 }, newSyncState(emptyObserved('uid-2')));
  const now = Date.now();
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', now), now)).toEqual({ retryAfterMs: expect.any(Number) });
  expect(h.runtime.counts().sandboxes).toBe(1);
  release();
  expect(await creating).toEqual({ ok: true });
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', Date.now()))).toEqual({});
  expect(h.runtime.counts().sandboxes).toBe(1); // uid-2's
});

test("a deleted pod with host ports: its sandbox removed by the kill, with one network teardown, before its object goes (a replacement's DNAT rules must not find the old ones)", async () => {
  const h = harness();
  const p: Pod = {
    ...pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, hostPort: 8080 }] }),
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', deletionTimestamp: '2026-01-01T00:00:00Z' },
  };
  await createAndStart(h, p);
  h.runtime.calls.length = 0;
  await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 30, reason: 'deleted' }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  expect(h.runtime.calls.map((c) => c.split(' ')[0])).toEqual(['stopContainer', 'removePodSandbox']);
  expect(h.runtime.networkTeardowns).toBe(1);
  const after = await h.pleg.observe('uid-1', Date.now());
  expect(after.sandboxes).toEqual([]);
  expect(after.containers).toEqual([]);
  await h.actions.finalizeDeletion(p, after);
  expect(h.deleted).toEqual(['web']);
  expect(fs.existsSync(path.join(stateDir, 'logs', 'default_web_uid-1'))).toBe(false);
  // The delete notification's sync finds nothing to remove.
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', Date.now()))).toEqual({});
  expect(h.runtime.calls.filter((c) => c.startsWith('removePodSandbox'))).toHaveLength(1);
});

test('a completed pod is only stopped (its containers kept for logs); deleted later, its object goes at once and cleanupOrphan removes the dead sandbox without a second stop', async () => {
  const h = harness();
  const p = pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
  await createAndStart(h, p);
  h.runtime.failNext('createContainer', new RuntimeError('x'));
  await h.actions.apply(p, start('c', 1), newSyncState(await h.pleg.observe('uid-1', Date.now())));
  expect(h.actions.syncContext().startBlocked('uid-1/c', Date.now())).toBeDefined();
  await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 0, reason: 'completed' }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  expect(h.runtime.counts()).toMatchObject({ sandboxes: 1, containers: 1, running: 0 });
  await h.actions.finalizeDeletion(p, await h.pleg.observe('uid-1', Date.now()));
  // The API object goes once nothing runs; the dead sandbox and containers are left for the GC below.
  expect(h.runtime.counts()).toMatchObject({ sandboxes: 1, running: 0 });
  expect(h.runtime.calls.filter((c) => c.startsWith('removePodSandbox'))).toHaveLength(0);
  expect(h.deleted).toEqual(['web']);
  expect(h.forgotten).toEqual(['uid-1']);
  expect(h.actions.syncContext().startBlocked('uid-1/c', Date.now())).toBeUndefined();
  expect(h.actions.lastChanged('uid-1')).toBe(0);
  // The delete notification's sync: nothing is being killed, so the garbage goes at once.
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', Date.now()))).toEqual({});
  expect(h.runtime.counts()).toEqual({ sandboxes: 0, containers: 0, running: 0 });
  // Stopped once (by KillPod), then only removed: containerd 1.6's removal runs the CNI DEL once more,
  // a StopPodSandbox before it would make that three.
  expect(h.runtime.calls.filter((c) => c.startsWith('stopPodSandbox'))).toHaveLength(1);
  expect(h.runtime.networkTeardowns).toBe(2);
  // Gone from the PLEG cache at once: housekeeping does not take it for an orphan again before the next relist.
  expect(h.pleg.allPods().has('uid-1')).toBe(false);
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', 0))).toEqual({});
  expect(h.runtime.calls.filter((c) => c.startsWith('removePodSandbox'))).toHaveLength(1);
  expect(h.actions.bookkeeping().removalDeferredAt).toBe(0);
});

test('an orphan still running (its object removed with grace 0) is stopped and removed with one network teardown', async () => {
  const h = harness();
  await createAndStart(h, pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }));
  expect(await h.actions.cleanupOrphan('uid-1', await h.pleg.observe('uid-1', Date.now()))).toEqual({});
  expect(h.runtime.counts()).toEqual({ sandboxes: 0, containers: 0, running: 0 });
  expect(h.runtime.calls.filter((c) => c.startsWith('stopPodSandbox'))).toHaveLength(0);
  expect(h.runtime.networkTeardowns).toBe(1);
});

test('an old dead sandbox of a running pod is removed without a stop first (one network teardown)', async () => {
  const h = harness();
  const p = pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
  await createAndStart(h, p);
  await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 0, reason: 'sandbox changed' }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  const old = (await h.pleg.observe('uid-1', Date.now())).sandboxes[0];
  expect(old.state).toBe('SANDBOX_NOTREADY');
  const before = h.runtime.networkTeardowns;
  await h.actions.apply(p, { type: 'RemoveSandbox', id: old.id }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  expect(h.runtime.counts().sandboxes).toBe(0);
  expect(h.runtime.networkTeardowns - before).toBe(1);
  expect(h.runtime.calls.filter((c) => c.startsWith('stopPodSandbox'))).toHaveLength(1); // the kill's
});

test('a dead sandbox waits for the kills in flight before it is removed, at most 10 s; a running orphan never waits', async () => {
  const h = harness();
  const p = pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
  await createAndStart(h, p);
  // A completed pod (stopped, its dead sandbox kept) deleted.
  await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 0, reason: 'completed' }, newSyncState(await h.pleg.observe('uid-1', Date.now())));
  await h.actions.finalizeDeletion(p, await h.pleg.observe('uid-1', Date.now()));
  // Another pod is being killed, its StopContainer held.
  const other: Pod = { ...pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }), metadata: { name: 'other', namespace: 'default', uid: 'uid-2' } };
  const state2 = newSyncState(emptyObserved('uid-2'));
  await h.actions.apply(other, { type: 'CreateSandbox', attempt: 0 }, state2);
  await h.actions.apply(other, start('c'), state2);
  let release = () => undefined as void;
  const gate = new Promise<void>((r) => (release = r));
  const stop = h.runtime.stopContainer.bind(h.runtime);
  h.runtime.stopContainer = async (id, grace) => {
    await gate;
    return stop(id, grace);
  };
  const killing = h.actions.apply(other, { type: 'KillPod', gracePeriodSeconds: 30, reason: 'deleted' }, newSyncState(await h.pleg.observe('uid-2', Date.now())));
  const dead = await h.pleg.observe('uid-1', Date.now());
  const t0 = Date.now();
  expect(await h.actions.cleanupOrphan('uid-1', dead, t0)).toEqual({ retryAfterMs: 250 });
  expect(await h.actions.cleanupOrphan('uid-1', dead, t0 + 9_999)).toEqual({ retryAfterMs: 250 });
  expect(h.actions.bookkeeping().removalDeferredAt).toBe(1);
  expect(h.runtime.counts().sandboxes).toBe(2);
  // Put off no longer than 10 s, kills or not.
  expect(await h.actions.cleanupOrphan('uid-1', dead, t0 + 10_000)).toEqual({});
  expect(h.runtime.counts().sandboxes).toBe(1);
  expect(h.actions.bookkeeping().removalDeferredAt).toBe(0);
  // A pod whose object vanished while it still runs is stopped and removed at once, kill in flight or not.
  const running = await h.pleg.observe('uid-2', Date.now());
  expect(running.containers.some((c) => c.state === 'CONTAINER_RUNNING')).toBe(true);
  release();
  await killing;
  expect(await h.actions.cleanupOrphan('uid-2', await h.pleg.observe('uid-2', Date.now()))).toEqual({});
  expect(h.runtime.counts()).toEqual({ sandboxes: 0, containers: 0, running: 0 });
});

/** Holds every call of one of the runtime's methods until the returned function is called. */
function hold<R extends object, K extends keyof R>(runtime: R, method: K): () => void {
  let release = () => undefined as void;
  const gate = new Promise<void>((r) => (release = r));
  const original = (runtime[method] as (...args: unknown[]) => Promise<unknown>).bind(runtime);
  runtime[method] = (async (...args: unknown[]) => {
    await gate;
    return original(...args);
  }) as R[K];
  return release;
}

test('dead sandboxes wait for a container start in flight, then go two at a time', async () => {
  const h = harness();
  const dead: string[] = [];
  for (const n of [1, 2, 3]) {
    const uid = `uid-d${n}`;
    const p: Pod = { ...pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }), metadata: { name: `d${n}`, namespace: 'default', uid } };
    const st = newSyncState(emptyObserved(uid));
    await h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, st);
    await h.actions.apply(p, start('c'), st);
    await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 0, reason: 'completed' }, newSyncState(await h.pleg.observe(uid, Date.now())));
    await h.actions.finalizeDeletion(p, await h.pleg.observe(uid, Date.now()));
    dead.push(uid);
  }
  // A killed container's restart is in flight (its StartContainer held).
  const live: Pod = { ...pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }), metadata: { name: 'live', namespace: 'default', uid: 'uid-live' } };
  const liveState = newSyncState(emptyObserved('uid-live'));
  await h.actions.apply(live, { type: 'CreateSandbox', attempt: 0 }, liveState);
  const release = hold(h.runtime, 'startContainer');
  const starting = h.actions.apply(live, start('c'), liveState);
  const observed = await Promise.all(dead.map((uid) => h.pleg.observe(uid, Date.now())));
  expect(await h.actions.cleanupOrphan(dead[0], observed[0])).toEqual({ retryAfterMs: 250 });
  release();
  await starting;
  // Nothing urgent now: two removals at once, the third asks again.
  const releaseRemove = hold(h.runtime, 'removePodSandbox');
  const first = h.actions.cleanupOrphan(dead[0], observed[0]);
  const second = h.actions.cleanupOrphan(dead[1], observed[1]);
  expect(await h.actions.cleanupOrphan(dead[2], observed[2])).toEqual({ retryAfterMs: 250 });
  releaseRemove();
  expect(await first).toEqual({});
  expect(await second).toEqual({});
  expect(await h.actions.cleanupOrphan(dead[2], observed[2])).toEqual({});
  expect(h.runtime.counts().sandboxes).toBe(1);
});

test('running pods’ volumes follow their ConfigMaps: at once after an agent restart, then every refresh interval', async () => {
  const data: PodData = { configMaps: { cfg: { key: 'v1' } }, secrets: {} };
  const h = harness({ data, volumeRefreshIntervalMs: 60_000 });
  const p: Pod = { ...pod({ name: 'c', image: 'busybox:1.35' }), spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35' }], volumes: [{ name: 'conf', configMap: { name: 'cfg' } }] } };
  const file = path.join(stateDir, 'pods', 'uid-1', 'volumes', 'kubernetes.io~configmap', 'conf', 'key');
  // An agent that adopted a running pod has never written its volumes: the first refresh does.
  await h.actions.refreshVolumes(p, newSyncState(emptyObserved('uid-1')));
  expect(fs.readFileSync(file, 'utf8')).toBe('v1');
  data.configMaps.cfg = { key: 'v2' };
  await h.actions.refreshVolumes(p, newSyncState(emptyObserved('uid-1')));
  expect(fs.readFileSync(file, 'utf8')).toBe('v1'); // not yet: the interval has not passed
  const later = Date.now() + 61_000;
  const realNow = Date.now;
  Date.now = () => later;
  try {
    await h.actions.refreshVolumes(p, newSyncState(emptyObserved('uid-1')));
  } finally {
    Date.now = realNow;
  }
  expect(fs.readFileSync(file, 'utf8')).toBe('v2');
  expect(fs.readlinkSync(path.join(path.dirname(file), 'key'))).toBe('..data/key');
});

test('a secret volume goes to the memory dir; a pod an earlier agent set up keeps it in its pod dir, where its containers mount it', async () => {
  const data: PodData = { configMaps: {}, secrets: { creds: { user: 'admin' } } };
  const h = harness({ data });
  const p: Pod = { ...pod(), spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35', volumeMounts: [{ name: 'creds', mountPath: '/creds' }] }], volumes: [{ name: 'creds', secret: { secretName: 'creds' } }] } };
  const { result, state } = await createAndStart(h, p);
  expect(result).toEqual({ ok: true });
  const memoryPath = path.join(stateDir, 'memory', 'uid-1', 'volumes', 'kubernetes.io~secret', 'creds');
  expect(fs.readFileSync(path.join(memoryPath, 'user'), 'utf8')).toBe('admin');
  const mountOf = (runtime: FakeRuntime, id: string) => runtime.containerConfig(id).mounts.find((m) => m.containerPath === '/creds');
  expect(mountOf(h.runtime, state.started[0].id)).toEqual({ containerPath: '/creds', hostPath: memoryPath, readonly: true });
  expect(fs.existsSync(path.join(stateDir, 'pods', 'uid-1', 'volumes'))).toBe(false);

  // The same pod as an earlier agent left it: its secret under the pod dir.
  fs.rmSync(path.join(stateDir, 'memory'), { recursive: true, force: true });
  const diskPath = path.join(stateDir, 'pods', 'uid-1', 'volumes', 'kubernetes.io~secret', 'creds');
  fs.mkdirSync(diskPath, { recursive: true });
  const adopted = harness({ data: { configMaps: {}, secrets: { creds: { user: 'root' } } } });
  await adopted.actions.refreshVolumes(p, newSyncState(emptyObserved('uid-1')));
  expect(fs.readFileSync(path.join(diskPath, 'user'), 'utf8')).toBe('root');
  expect(fs.existsSync(memoryPath)).toBe(false);
  const again = await createAndStart(adopted, p);
  expect(mountOf(adopted.runtime, again.state.started[0].id)).toEqual({ containerPath: '/creds', hostPath: diskPath, readonly: true });
});

test('a sync holding its start events: each container\'s Created and Started go out when the next start begins, the last one\'s when released; a failed start sends its Created before Failed', async () => {
  const h = harness();
  const p = pod({ name: 'a', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' }, { name: 'b', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
  const state = newSyncState(emptyObserved('uid-1'));
  state.startEvents = new HeldEvents();
  expect(await h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state)).toEqual({ ok: true });
  expect(await h.actions.apply(p, start('a'), state)).toEqual({ ok: true });
  const started = (name: string) => [`Normal Created Created container ${name}`, `Normal Started Started container ${name}`];
  expect(h.events.filter((e) => / (Created|Started) /.test(e))).toEqual([]);
  expect(await h.actions.apply(p, start('b'), state)).toEqual({ ok: true });
  expect(h.events.filter((e) => / (Created|Started) /.test(e))).toEqual(started('a'));
  state.startEvents.release({ event: (_o, type, reason, message) => void h.events.push(`${type} ${reason} ${message}`) });
  expect(h.events.filter((e) => / (Created|Started) /.test(e))).toEqual([...started('a'), ...started('b')]);

  // A start the runtime refuses: the held Created goes out first, then the failure.
  const failing = newSyncState(await h.pleg.observe('uid-1', Date.now()));
  failing.startEvents = new HeldEvents();
  h.events.length = 0;
  h.runtime.failNext('startContainer');
  expect((await h.actions.apply(p, start('a', 1), failing)).ok).toBe(false);
  expect(h.events.filter((e) => !/ Pulled /.test(e))).toEqual(['Normal Created Created container a', 'Warning Failed Error: injected startContainer failure']);
});

test('a prefetched image check runs while the sandbox is created, and the start uses it instead of checking again', async () => {
  const h = harness();
  const order: string[] = [];
  const imageStatus = h.runtime.imageStatus.bind(h.runtime);
  h.runtime.imageStatus = (image) => {
    order.push('image status');
    return imageStatus(image);
  };
  const runPodSandbox = h.runtime.runPodSandbox.bind(h.runtime);
  h.runtime.runPodSandbox = async (cfg) => {
    order.push('sandbox begins');
    await new Promise((r) => setTimeout(r, 20)); // the runtime at work
    const id = await runPodSandbox(cfg);
    order.push('sandbox ready');
    return id;
  };
  const p = pod({ name: 'c', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
  const state = newSyncState(emptyObserved('uid-1'));
  h.actions.prefetchImage(p, { type: 'StartContainer', name: 'c', init: false, attempt: 0 }, state);
  expect(await h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state)).toEqual({ ok: true });
  expect(await h.actions.apply(p, start('c'), state)).toEqual({ ok: true });
  expect(order.filter((x) => x === 'image status')).toHaveLength(1);
  expect(order.indexOf('image status')).toBeLessThan(order.indexOf('sandbox ready'));
  expect(h.events).toContain('Normal Pulled Container image "busybox:1.35" already present on machine');
  expect(state.pulls?.size ?? 0).toBe(0);
});

test("a new pod's volumes are set up while its sandbox is created, not before it", async () => {
  let releaseData = () => undefined as void;
  const dataGate = new Promise<void>((r) => (releaseData = r));
  const h = harness({ data: { configMaps: { cfg: { key: 'v1' } }, secrets: {} }, dataGate });
  const p: Pod = { ...pod(), spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35' }], volumes: [{ name: 'conf', configMap: { name: 'cfg' } }] } };
  const file = path.join(stateDir, 'pods', 'uid-1', 'volumes', 'kubernetes.io~configmap', 'conf', 'key');
  const state = newSyncState(emptyObserved('uid-1'));
  let settled = false;
  const creating = h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state).finally(() => (settled = true));
  // The pod's ConfigMap has not been read yet, and the sandbox is made meanwhile.
  for (let i = 0; i < 50 && !h.runtime.counts().sandboxes; i++) await new Promise((r) => setTimeout(r, 10));
  expect(h.runtime.counts().sandboxes).toBe(1);
  expect(fs.existsSync(file)).toBe(false);
  await new Promise((r) => setTimeout(r, 20));
  expect(settled).toBe(false); // the create waits for the volumes
  releaseData();
  expect(await creating).toEqual({ ok: true });
  expect(fs.readFileSync(file, 'utf8')).toBe('v1');
});

test('volumes that fail leave no sandbox (the one created beside them is removed); the next tries set them up first and create a sandbox only once they succeed', async () => {
  const data: PodData = { configMaps: {}, secrets: {} };
  const h = harness({ data });
  const p: Pod = { ...pod(), spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35' }], volumes: [{ name: 'conf', configMap: { name: 'cfg' } }] } };
  let created = 0;
  const runPodSandbox = h.runtime.runPodSandbox.bind(h.runtime);
  h.runtime.runPodSandbox = (cfg) => {
    created++;
    return runPodSandbox(cfg);
  };
  const tryCreate = () => {
    const state = newSyncState(emptyObserved('uid-1'));
    return h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state).then(
      (r) => ({ r, state }),
      (err: Error) => ({ err: err.message, state }),
    );
  };
  const first = await tryCreate();
  expect(first).toMatchObject({ err: 'configmap "cfg" not found' });
  expect(first.state.sandbox).toBeUndefined();
  expect(h.runtime.counts().sandboxes).toBe(0);
  expect(created).toBe(1);
  expect(h.events).toEqual(['Warning FailedMount MountVolume.SetUp failed: configmap "cfg" not found']);
  expect(await tryCreate()).toMatchObject({ err: 'configmap "cfg" not found' });
  expect(created).toBe(1); // no sandbox while the volumes still fail
  expect(h.actions.bookkeeping().mountFailed).toBe(1);
  data.configMaps.cfg = { key: 'v1' };
  expect((await tryCreate()).state.sandbox).toBeDefined();
  expect(created).toBe(2);
  expect(h.runtime.counts().sandboxes).toBe(1);
  expect(h.actions.bookkeeping().mountFailed).toBe(0);
  h.actions.forget('uid-1');
});

test('a sandbox that outlived a failed mount (its removal failed too) gets no container before the volumes are set up', async () => {
  const data: PodData = { configMaps: {}, secrets: {} };
  const h = harness({ data });
  const p: Pod = { ...pod(), spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.35' }], volumes: [{ name: 'conf', configMap: { name: 'cfg' } }] } };
  h.runtime.removePodSandbox = async () => {
    throw new Error('injected removal failure');
  };
  await expect(h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, newSyncState(emptyObserved('uid-1')))).rejects.toThrow('configmap "cfg" not found');
  expect(h.runtime.counts().sandboxes).toBe(1);
  const observed = await h.pleg.observe('uid-1', Date.now());
  await expect(h.actions.apply(p, start('c'), newSyncState(observed))).rejects.toThrow('configmap "cfg" not found');
  expect(h.runtime.counts().containers).toBe(0);
  data.configMaps.cfg = { key: 'v1' };
  expect(await h.actions.apply(p, start('c'), newSyncState(observed))).toEqual({ ok: true });
  expect(fs.readFileSync(path.join(stateDir, 'pods', 'uid-1', 'volumes', 'kubernetes.io~configmap', 'conf', 'key'), 'utf8')).toBe('v1');
});

describe('lifecycle hooks: postStart after the start, preStop before the stop within the grace period', () => {
  /** A hook runner that records "hook container podIP" and fails or takes as told. */
  function hooks(o: { fail?: boolean; takesMs?: number } = {}): HookRunner & { ran: string[] } {
    const ran: string[] = [];
    return {
      ran,
      run: async (h, t, timeoutMs) => {
        ran.push(`${h.exec?.command?.join(' ')} ${t.container.name} ${t.podIP} ${timeoutMs}`);
        if (o.takesMs) await new Promise((r) => setTimeout(r, o.takesMs));
        if (o.fail) throw new Error('hook exited with 1');
      },
    };
  }
  const withHooks: Container = {
    name: 'c',
    image: 'busybox:1.35',
    imagePullPolicy: 'IfNotPresent',
    lifecycle: { postStart: { exec: { command: ['post'] } }, preStop: { exec: { command: ['pre'] } } },
  };

  test('postStart runs once the container started, with no time limit, after the Started event', async () => {
    const runner = hooks();
    const h = harness({ hooks: runner });
    const { result } = await createAndStart(h, pod(withHooks));
    expect(result.ok).toBe(true);
    expect(runner.ran).toEqual([expect.stringMatching(/^post c 10\.88\.\d+\.\d+ 0$/)]);
    expect(h.events.filter((e) => !e.includes('Pulled'))).toEqual(['Normal Created Created container c', 'Normal Started Started container c']);
  });

  test('a failed postStart: FailedPostStartHook (no output), preStop, the container stopped, PostStartHookError', async () => {
    const runner = hooks({ fail: true });
    const h = harness({ hooks: runner });
    const stops = jest.spyOn(h.runtime, 'stopContainer');
    const { result } = await createAndStart(h, pod(withHooks));
    expect(result).toEqual({ ok: false, waiting: { reason: 'PostStartHookError', message: 'hook exited with 1' } });
    expect(h.events).toContain('Warning FailedPostStartHook PostStartHook failed');
    expect(runner.ran.map((r) => r.split(' ')[0])).toEqual(['post', 'pre']);
    expect(stops).toHaveBeenCalledTimes(1);
    const [id] = stops.mock.calls[0];
    expect((await h.runtime.containerStatus(id)).state).toBe('CONTAINER_EXITED');
  });

  test("a kill runs preStop within the grace period, then stops with what is left (at least 2 s); a failure is only an event", async () => {
    const runner = hooks({ takesMs: 1100, fail: true });
    const h = harness({ hooks: runner });
    const p = pod({ ...withHooks, lifecycle: { preStop: withHooks.lifecycle!.preStop } }, { name: 'plain', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' });
    const state = newSyncState(emptyObserved('uid-1'));
    await h.actions.apply(p, { type: 'CreateSandbox', attempt: 0 }, state);
    await h.actions.apply(p, start('c'), state);
    await h.actions.apply(p, start('plain'), state);
    const stops = jest.spyOn(h.runtime, 'stopContainer');
    const t0 = Date.now();
    await h.actions.apply(p, { type: 'KillPod', gracePeriodSeconds: 5, reason: 'deleted' }, newSyncState(emptyObserved('uid-1')));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1100);
    expect(runner.ran).toEqual([expect.stringMatching(/^pre c 10\.88\.\d+\.\d+ 5000$/)]);
    expect(stops.mock.calls.map((c) => c[1]).sort()).toEqual([4, 5]); // c: 5 − 1 s of hook; plain: 5
    expect(h.events).toContain('Warning FailedPreStopHook PreStopHook failed');
    runner.ran.length = 0;
    stops.mockClear();
    // A hook that takes the whole grace period leaves the stop the minimum 2 s.
    const slow = harness({ hooks: hooks({ takesMs: 1100 }) });
    const sp = pod({ ...withHooks, lifecycle: { preStop: withHooks.lifecycle!.preStop } });
    const s2 = newSyncState(emptyObserved('uid-1'));
    await slow.actions.apply(sp, { type: 'CreateSandbox', attempt: 0 }, s2);
    await slow.actions.apply(sp, start('c'), s2);
    const slowStops = jest.spyOn(slow.runtime, 'stopContainer');
    const id = (await slow.runtime.listContainers())[0].id;
    await slow.actions.apply(sp, { type: 'KillContainer', id, name: 'c', gracePeriodSeconds: 1, reason: 'Unhealthy', message: 'liveness probe failed' }, s2);
    expect(slowStops.mock.calls).toEqual([[id, 2]]);
  });

  test('no grace period, no preStop', async () => {
    const runner = hooks();
    const h = harness({ hooks: runner });
    const { state } = await createAndStart(h, pod({ ...withHooks, lifecycle: { preStop: withHooks.lifecycle!.preStop } }));
    const id = (await h.runtime.listContainers())[0].id;
    await h.actions.apply(pod(withHooks), { type: 'KillContainer', id, name: 'c', gracePeriodSeconds: 0, reason: 'Unknown', message: 'container in an unknown state' }, state);
    expect(runner.ran).toEqual([]);
  });
});
