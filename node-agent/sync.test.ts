// Table tests of the pure pod sync core: what the agent decides for a pod given what the runtime shows.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { Backoff } from './backoff';
import { ObservedContainer, ObservedPod, ObservedSandbox } from './observed';
import { PodAction, ProbeView, SyncContext, computePodActions, containerHash, noProbes } from './sync';

const UID = 'uid-1';
const NOW = 1_000_000_000;

function pod(over: { containers?: Container[]; initContainers?: Container[]; restartPolicy?: string; deleting?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: UID,
      ...(over.deleting ? { deletionTimestamp: '2026-11-23T00:00:00Z', deletionGracePeriodSeconds: 5 } : {}),
    },
    spec: {
      nodeName: 'n1',
      restartPolicy: (over.restartPolicy as 'Always') || 'Always',
      containers: over.containers || [{ name: 'app', image: 'nginx' }],
      initContainers: over.initContainers,
    },
    status: over.phase ? { phase: over.phase as 'Running' } : {},
  };
}

function sandbox(over: Partial<ObservedSandbox> = {}): ObservedSandbox {
  return { id: 'sb1', attempt: 0, state: 'SANDBOX_READY', createdAt: NOW - 60_000, ip: '10.88.0.2', ...over };
}

function ctr(name: string, over: Partial<ObservedContainer> = {}, spec: Container = { name, image: 'nginx' }): ObservedContainer {
  return {
    id: `${name}-${over.attempt ?? 0}`,
    podSandboxId: 'sb1',
    name,
    init: false,
    ephemeral: false,
    attempt: 0,
    state: 'CONTAINER_RUNNING',
    createdAt: NOW - 50_000 + (over.attempt ?? 0),
    startedAt: NOW - 50_000,
    finishedAt: 0,
    exitCode: 0,
    reason: '',
    message: '',
    image: 'nginx',
    imageRef: 'sha256:1',
    hash: containerHash(spec),
    logPath: '/x',
    ...over,
  };
}

function exited(name: string, exitCode: number, over: Partial<ObservedContainer> = {}, spec?: Container): ObservedContainer {
  return ctr(name, { state: 'CONTAINER_EXITED', exitCode, finishedAt: NOW - 1000, reason: exitCode ? 'Error' : 'Completed', ...over }, spec);
}

function observed(sandboxes: ObservedSandbox[], containers: ObservedContainer[]): ObservedPod {
  return { uid: UID, sandboxes, containers };
}

function ctx(over: { backoff?: Backoff; probes?: Partial<ProbeView>; now?: number } = {}): SyncContext {
  const b = over.backoff || new Backoff();
  return {
    now: over.now ?? NOW,
    backoffRemaining: (k, t, n) => b.remaining(k, t, n),
    backoffDelay: (k) => b.delay(k),
    probes: { ...noProbes, ...over.probes },
    startBlocked: () => undefined,
  };
}

function types(actions: PodAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'StartContainer':
        return `Start ${a.init ? 'init ' : ''}${a.name}#${a.attempt}`;
      case 'KillContainer':
        return `Kill ${a.name}`;
      case 'CreateSandbox':
        return `CreateSandbox#${a.attempt}`;
      case 'RemoveContainer':
        return `Remove ${a.id}`;
      case 'RemoveSandbox':
        return `RemoveSandbox ${a.id}`;
      default:
        return a.type;
    }
  });
}

describe('computePodActions', () => {
  const cases: { name: string; pod: Pod; obs: ObservedPod; expect: string[]; waiting?: string[] }[] = [
    { name: 'new pod: sandbox then container', pod: pod(), obs: observed([], []), expect: ['CreateSandbox#0', 'Start app#0'] },
    {
      name: 'two containers start together',
      pod: pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }),
      obs: observed([], []),
      expect: ['CreateSandbox#0', 'Start a#0', 'Start b#0'],
    },
    { name: 'running and healthy: nothing to do', pod: pod(), obs: observed([sandbox()], [ctr('app')]), expect: [] },
    { name: 'sandbox ready, container missing: start it', pod: pod(), obs: observed([sandbox()], []), expect: ['Start app#0'] },
    { name: 'first crash restarts at once (Always)', pod: pod(), obs: observed([sandbox()], [exited('app', 137)]), expect: ['Start app#1'] },
    {
      name: 'clean exit restarts under Always',
      pod: pod(),
      obs: observed([sandbox()], [exited('app', 0)]),
      expect: ['Start app#1'],
    },
    {
      name: 'OnFailure: failure restarts',
      pod: pod({ restartPolicy: 'OnFailure' }),
      obs: observed([sandbox()], [exited('app', 1)]),
      expect: ['Start app#1'],
    },
    {
      name: 'OnFailure: success finishes the pod (sandbox stopped)',
      pod: pod({ restartPolicy: 'OnFailure' }),
      obs: observed([sandbox()], [exited('app', 0)]),
      expect: ['KillPod'],
    },
    {
      name: 'Never: failure finishes the pod',
      pod: pod({ restartPolicy: 'Never' }),
      obs: observed([sandbox()], [exited('app', 2)]),
      expect: ['KillPod'],
    },
    {
      name: 'Never: finished pod with stopped sandbox stays down',
      pod: pod({ restartPolicy: 'Never' }),
      obs: observed([sandbox({ state: 'SANDBOX_NOTREADY' })], [exited('app', 0)]),
      expect: [],
    },
    {
      name: 'OnFailure: succeeded pod with stopped sandbox is not brought back',
      pod: pod({ restartPolicy: 'OnFailure' }),
      obs: observed([sandbox({ state: 'SANDBOX_NOTREADY' })], [exited('app', 0)]),
      expect: [],
    },
    {
      name: 'sandbox died: kill, new sandbox with next attempt, restart',
      pod: pod(),
      obs: observed([sandbox({ state: 'SANDBOX_NOTREADY' })], [exited('app', 137)]),
      expect: ['CreateSandbox#1', 'Start app#1'],
    },
    {
      name: 'sandbox without IP is replaced',
      pod: pod(),
      obs: observed([sandbox({ ip: '' })], [ctr('app')]),
      expect: ['KillPod', 'CreateSandbox#1', 'Start app#1'],
    },
    {
      name: 'two ready sandboxes (duplicate): replaced by one',
      pod: pod(),
      obs: observed([sandbox({ id: 'sb2', attempt: 1 }), sandbox()], [ctr('app')]),
      expect: ['KillPod', 'CreateSandbox#2', 'Start app#1'],
    },
    {
      name: 'spec changed: container killed and restarted',
      pod: pod({ containers: [{ name: 'app', image: 'nginx:2' }] }),
      obs: observed([sandbox()], [ctr('app')]),
      expect: ['Kill app', 'Start app#1'],
    },
    {
      name: 'created but never started: replaced',
      pod: pod(),
      obs: observed([sandbox()], [ctr('app', { state: 'CONTAINER_CREATED' })]),
      expect: ['Kill app', 'Start app#1'],
    },
    {
      name: 'init containers: first one first',
      pod: pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] }),
      obs: observed([], []),
      expect: ['CreateSandbox#0', 'Start init i1#0'],
    },
    {
      name: 'init containers: wait while one runs',
      pod: pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] }),
      obs: observed([sandbox()], [ctr('i1', { init: true })]),
      expect: [],
    },
    {
      name: 'init containers: next after success',
      pod: pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] }),
      obs: observed([sandbox()], [exited('i1', 0, { init: true })]),
      expect: ['Start init i2#0'],
    },
    {
      name: 'init containers: app after all succeeded',
      pod: pod({ initContainers: [{ name: 'i1', image: 'b' }] }),
      obs: observed([sandbox()], [exited('i1', 0, { init: true })]),
      expect: ['Start app#0'],
    },
    {
      name: 'init container failed, Always: retried',
      pod: pod({ initContainers: [{ name: 'i1', image: 'b' }] }),
      obs: observed([sandbox()], [exited('i1', 1, { init: true })]),
      expect: ['Start init i1#1'],
    },
    {
      name: 'init container failed, Never: pod fails',
      pod: pod({ restartPolicy: 'Never', initContainers: [{ name: 'i1', image: 'b' }] }),
      obs: observed([sandbox()], [exited('i1', 1, { init: true })]),
      expect: ['KillPod'],
    },
    {
      name: 'deletion: running pod is killed',
      pod: pod({ deleting: true }),
      obs: observed([sandbox()], [ctr('app')]),
      expect: ['KillPod'],
    },
    {
      name: 'deletion: stopped pod is finalized',
      pod: pod({ deleting: true }),
      obs: observed([sandbox({ state: 'SANDBOX_NOTREADY' })], [exited('app', 143)]),
      expect: ['FinalizeDeletion'],
    },
    { name: 'deletion: nothing ever ran', pod: pod({ deleting: true }), obs: observed([], []), expect: ['FinalizeDeletion'] },
    {
      name: 'deletion: no container runs, the sandbox does: finalized (the sandbox is garbage after the object)',
      pod: pod({ deleting: true }),
      obs: observed([sandbox()], [exited('app', 0)]),
      expect: ['FinalizeDeletion'],
    },
    {
      name: 'deletion: with host ports, a running sandbox is stopped first',
      pod: pod({ deleting: true, containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
      obs: observed([sandbox()], [exited('app', 0)]),
      expect: ['KillPod'],
    },
    {
      name: 'deletion: with host ports, a stopped sandbox is finalized',
      pod: pod({ deleting: true, containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
      obs: observed([sandbox({ state: 'SANDBOX_NOTREADY' })], [exited('app', 0)]),
      expect: ['FinalizeDeletion'],
    },
    {
      name: 'terminal phase: running leftovers are stopped',
      pod: pod({ phase: 'Succeeded' }),
      obs: observed([sandbox()], [ctr('app')]),
      expect: ['KillPod'],
    },
    {
      name: 'old dead instances are garbage collected (newest two kept)',
      pod: pod(),
      obs: observed([sandbox()], [ctr('app', { attempt: 3 }), exited('app', 1, { attempt: 2 }), exited('app', 1, { attempt: 1 }), exited('app', 1, { attempt: 0 })]),
      expect: ['Remove app-1', 'Remove app-0'],
    },
    {
      name: 'stopped old sandbox without kept containers is removed',
      pod: pod(),
      obs: observed([sandbox({ id: 'sb2', attempt: 1 }), sandbox({ state: 'SANDBOX_NOTREADY' })], [ctr('app', { podSandboxId: 'sb2', attempt: 1 })]),
      expect: ['RemoveSandbox sb1'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = computePodActions(c.pod, c.obs, ctx());
      expect(types(r.actions)).toEqual(c.expect);
    });
  }

  test('deletion uses the deletion grace period', () => {
    const r = computePodActions(pod({ deleting: true }), observed([sandbox()], [ctr('app')]), ctx());
    expect(r.actions[0]).toMatchObject({ type: 'KillPod', gracePeriodSeconds: 5 });
  });

  test('a restart after a crash carries the back-off key and crash time', () => {
    const r = computePodActions(pod(), observed([sandbox()], [exited('app', 1)]), ctx());
    expect(r.actions[0]).toMatchObject({ type: 'StartContainer', backoffKey: `${UID}/app`, crashedAt: NOW - 1000 });
  });
});

describe('CrashLoopBackOff', () => {
  test('second crash within the window waits 10s, then 20s, then the cap', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 40_000 });
    const key = `${UID}/app`;
    // crash 1 at t0: restarts at once, back-off recorded
    const t0 = NOW;
    let r = computePodActions(pod(), observed([sandbox()], [exited('app', 1, { finishedAt: t0 })]), ctx({ backoff: b, now: t0 + 5 }));
    expect(types(r.actions)).toEqual(['Start app#1']);
    b.next(key, t0);
    // crash 2 one second later: waits
    const t1 = t0 + 1000;
    r = computePodActions(pod(), observed([sandbox()], [exited('app', 1, { attempt: 1, finishedAt: t1 })]), ctx({ backoff: b, now: t1 + 100 }));
    expect(types(r.actions)).toEqual([]);
    expect(r.waiting.app.reason).toBe('CrashLoopBackOff');
    expect(r.waiting.app.message).toBe(`back-off 10s restarting failed container=app pod=web_default(${UID})`);
    expect(r.requeueAfterMs).toBe(9900);
    // after the 10 s: starts, and the next delay is 20 s
    r = computePodActions(pod(), observed([sandbox()], [exited('app', 1, { attempt: 1, finishedAt: t1 })]), ctx({ backoff: b, now: t1 + 10_000 }));
    expect(types(r.actions)).toEqual(['Start app#2']);
    expect(b.next(key, t1)).toBe(20_000);
    expect(b.next(key, t1 + 1)).toBe(40_000);
    expect(b.next(key, t1 + 2)).toBe(40_000); // capped
  });

  test('a crash after running clean longer than the reset window restarts at once with the initial delay', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000 });
    const key = `${UID}/app`;
    b.next(key, NOW);
    b.next(key, NOW + 1); // 20 s
    const later = NOW + 11 * 60_000; // > 10 min (2 × max)
    expect(b.remaining(key, later, later + 1)).toBe(0);
    expect(b.next(key, later)).toBe(10_000);
  });

  test('a container in back-off keeps the sandbox (no KillPod)', () => {
    const b = new Backoff();
    b.next(`${UID}/app`, NOW - 2000);
    const r = computePodActions(pod(), observed([sandbox()], [exited('app', 1, { finishedAt: NOW - 1000 })]), ctx({ backoff: b }));
    expect(r.actions).toEqual([]);
  });

  test('an image pull failure blocks the start with its reason', () => {
    const c = ctx();
    c.startBlocked = () => ({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"', remainingMs: 5000 });
    const r = computePodActions(pod(), observed([sandbox()], []), c);
    expect(r.actions).toEqual([]);
    expect(r.waiting.app).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' });
    expect(r.requeueAfterMs).toBe(5000);
  });
});

describe('probes in sync', () => {
  const spec: Container = { name: 'app', image: 'nginx', livenessProbe: { tcpSocket: { port: 80 } }, startupProbe: { exec: { command: ['true'] } } };
  test('liveness failure kills and restarts without back-off', () => {
    const b = new Backoff();
    b.next(`${UID}/app`, NOW - 100);
    const r = computePodActions(pod({ containers: [spec] }), observed([sandbox()], [ctr('app', {}, spec)]), ctx({ backoff: b, probes: { liveness: () => 'failure' } }));
    expect(types(r.actions)).toEqual(['Kill app', 'Start app#1']);
    expect(r.actions[0]).toMatchObject({ reason: 'LivenessProbeFailed', gracePeriodSeconds: 30 });
  });
  test('startup failure kills', () => {
    const r = computePodActions(pod({ containers: [spec] }), observed([sandbox()], [ctr('app', {}, spec)]), ctx({ probes: { startup: () => 'failure' } }));
    expect(types(r.actions)).toEqual(['Kill app', 'Start app#1']);
  });
  test('liveness failure under Never kills without restart (and the finished pod is stopped)', () => {
    const r = computePodActions(pod({ containers: [spec], restartPolicy: 'Never' }), observed([sandbox()], [ctr('app', {}, spec)]), ctx({ probes: { liveness: () => 'failure' } }));
    expect(types(r.actions)).toEqual(['Kill app', 'KillPod']);
  });
  test('unknown liveness (not yet probed) keeps the container', () => {
    const r = computePodActions(pod({ containers: [spec] }), observed([sandbox()], [ctr('app', {}, spec)]), ctx({ probes: { liveness: () => 'unknown', startup: () => 'unknown' } }));
    expect(r.actions).toEqual([]);
  });
});

describe('ephemeral containers (kubectl debug)', () => {
  const debugging = (over: { restartPolicy?: string; phase?: string } = {}): Pod => {
    const p = pod(over);
    p.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox', targetContainerName: 'app' }];
    return p;
  };
  const eph = (over: Partial<ObservedContainer> = {}) => ctr('debugger', { ephemeral: true, ...over }, { name: 'debugger', image: 'busybox' });

  test('started once in the running pod, after its containers', () => {
    const r = computePodActions(debugging(), observed([sandbox()], [ctr('app')]), ctx());
    expect(r.actions).toEqual([{ type: 'StartContainer', name: 'debugger', init: false, ephemeral: true, attempt: 0 }]);
  });
  test('running or exited: never started again, whatever the restart policy', () => {
    expect(computePodActions(debugging(), observed([sandbox()], [eph(), ctr('app')]), ctx()).actions).toEqual([]);
    expect(computePodActions(debugging(), observed([sandbox()], [exited('debugger', 1, { ephemeral: true }), ctr('app')]), ctx()).actions).toEqual([]);
  });
  test('a running ephemeral container does not keep a finished pod running: it is stopped with it', () => {
    const r = computePodActions(debugging({ restartPolicy: 'Never' }), observed([sandbox()], [eph(), exited('app', 0)]), ctx());
    expect(types(r.actions)).toEqual(['KillPod']);
  });
  test('not before the pod has a sandbox and its containers', () => {
    expect(types(computePodActions(debugging(), observed([], []), ctx()).actions)).toEqual(['CreateSandbox#0', 'Start app#0']);
  });
});

describe('sidecars (init containers with restartPolicy Always)', () => {
  const side: Container = { name: 'side', image: 'proxy', restartPolicy: 'Always' };
  const sideWithStartup: Container = { ...side, startupProbe: { exec: { command: ['true'] } } };
  const setup: Container = { name: 'setup', image: 'busybox' };
  const sideInit = (name: string, over: Partial<ObservedContainer> = {}, spec: Container = side) => ctr(name, { init: true, ...over }, spec);
  const p = (over: { initContainers?: Container[]; restartPolicy?: string; deleting?: boolean } = {}) => pod({ initContainers: [side, setup], ...over });
  const cases: { name: string; pod: Pod; obs: ObservedPod; probes?: Partial<ProbeView>; expect: string[]; waiting?: string[] }[] = [
    { name: 'a new pod starts the sidecar first', pod: p(), obs: observed([], []), expect: ['CreateSandbox#0', 'Start init side#0'] },
    { name: 'the sidecar running (no startup probe): the next init container starts', pod: p(), obs: observed([sandbox()], [sideInit('side')]), expect: ['Start init setup#0'] },
    {
      name: 'the sidecar running but its startup probe not passed yet: the next init container waits',
      pod: p({ initContainers: [sideWithStartup, setup] }),
      obs: observed([sandbox()], [sideInit('side', {}, sideWithStartup)]),
      probes: { startup: () => 'unknown' },
      expect: [],
    },
    {
      name: 'the init containers done, the sidecar running: the containers start beside it',
      pod: p(),
      obs: observed([sandbox()], [sideInit('side'), exited('setup', 0, { init: true })]),
      expect: ['Start app#0'],
    },
    {
      name: 'the sidecar exited before the next init container: started again first',
      pod: p(),
      obs: observed([sandbox()], [sideInit('side', { state: 'CONTAINER_EXITED', exitCode: 1, finishedAt: NOW - 1000 })]),
      expect: ['Start init side#1'],
    },
    {
      name: 'initialized, the sidecar exited: started again whatever the restart policy; the containers run on',
      pod: p({ restartPolicy: 'Never' }),
      obs: observed([sandbox()], [sideInit('side', { state: 'CONTAINER_EXITED', exitCode: 0, finishedAt: NOW - 1000 }), exited('setup', 0, { init: true }), ctr('app')]),
      expect: ['Start init side#1'],
    },
    {
      name: 'initialized, the sidecar failed its liveness probe: stopped and started again',
      pod: p({ initContainers: [{ ...side, livenessProbe: { exec: { command: ['x'] } } }, setup] }),
      obs: observed([sandbox()], [sideInit('side', {}, { ...side, livenessProbe: { exec: { command: ['x'] } } }), exited('setup', 0, { init: true }), ctr('app')]),
      probes: { liveness: () => 'failure' },
      expect: ['Kill side', 'Start init side#1'],
    },
    {
      name: 'the containers finished (Never): the pod finishes and its running sidecar is stopped with it',
      pod: p({ restartPolicy: 'Never' }),
      obs: observed([sandbox()], [sideInit('side'), exited('setup', 0, { init: true }), exited('app', 0)]),
      expect: ['KillPod'],
    },
    {
      name: 'the containers finished (OnFailure) while the sidecar is in back-off: the pod still finishes',
      pod: p({ restartPolicy: 'OnFailure' }),
      obs: observed([sandbox()], [sideInit('side', { state: 'CONTAINER_EXITED', exitCode: 1, finishedAt: NOW - 1000 }), exited('setup', 0, { init: true }), exited('app', 0)]),
      expect: ['KillPod'],
    },
  ];
  test.each(cases)('$name', (c) => {
    const r = computePodActions(c.pod, c.obs, ctx({ probes: c.probes }));
    expect(types(r.actions)).toEqual(c.expect);
  });
});
