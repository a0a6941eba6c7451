// Pure pod status computation: container states, readiness, conditions and kubelet's phase rules.
import type { Pod } from 'kubernetes-types/core/v1';
import { ObservedContainer, ObservedPod } from './observed';
import { computePodStatus, podPhase } from './status';
import { noProbes, ProbeView } from './sync';

const NOW = Date.parse('2026-11-23T10:00:00Z');

function pod(restartPolicy = 'Always', extra: Partial<Pod['spec']> = {}, status: Pod['status'] = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { restartPolicy: restartPolicy as 'Always', containers: [{ name: 'a', image: 'img:1' }], ...extra },
    status,
  };
}

function c(name: string, state: ObservedContainer['state'], over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${name}-${over.attempt ?? 0}`,
    podSandboxId: 's',
    name,
    init: false,
    ephemeral: false,
    attempt: 0,
    state,
    createdAt: NOW - 10_000 + (over.attempt ?? 0),
    startedAt: NOW - 9000,
    finishedAt: state === 'CONTAINER_EXITED' ? NOW - 1000 : 0,
    exitCode: 0,
    reason: '',
    message: '',
    image: 'img:1',
    imageRef: 'img@sha256:abc',
    hash: '',
    logPath: '',
    ...over,
  };
}

function obs(containers: ObservedContainer[], ip = '10.1.1.1'): ObservedPod {
  return { uid: 'u', sandboxes: [{ id: 's', attempt: 0, state: 'SANDBOX_READY', createdAt: NOW - 20_000, ip }], containers };
}

const ctx = (probes: Partial<ProbeView> = {}, waiting = {}) => ({ now: NOW, runtimeName: 'containerd', hostIP: '192.0.2.1', probes: { ...noProbes, ...probes }, waiting });

describe('computePodStatus', () => {
  test('not created yet: Pending, ContainerCreating, not ready', () => {
    const s = computePodStatus(pod(), { uid: 'u', sandboxes: [], containers: [] }, ctx());
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses![0].state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(s.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a]' });
    expect(s.podIP).toBeUndefined();
    expect(s.startTime).toBe('2026-11-23T10:00:00Z');
  });

  test('running: Running, ready, IPs, containerID, imageID, conditions True', () => {
    const s = computePodStatus(pod(), obs([c('a', 'CONTAINER_RUNNING')]), ctx());
    expect(s.phase).toBe('Running');
    const cs = s.containerStatuses![0];
    expect(cs).toMatchObject({ ready: true, started: true, restartCount: 0, containerID: 'containerd://a-0', imageID: 'img@sha256:abc', image: 'img:1' });
    expect(cs.state?.running?.startedAt).toBe('2026-11-23T09:59:51Z');
    expect(s.podIP).toBe('10.1.1.1');
    expect(s.podIPs).toEqual([{ ip: '10.1.1.1' }]);
    expect(s.hostIP).toBe('192.0.2.1');
    for (const t of ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) expect(s.conditions!.find((x) => x.type === t)?.status).toBe('True');
    expect(s.qosClass).toBe('BestEffort');
  });

  test("a failed start's waiting reason shows only for a container that starts again; one that stays exited shows how it ended", () => {
    const waiting = { a: { reason: 'PostStartHookError', message: 'hook failed' } };
    const exited = obs([c('a', 'CONTAINER_EXITED', { exitCode: 137, finishedAt: NOW - 1000 })]);
    const never = computePodStatus(pod('Never'), exited, ctx({}, waiting));
    expect(never.containerStatuses![0].state).toMatchObject({ terminated: { exitCode: 137, reason: 'Error' } });
    expect(never.phase).toBe('Failed');
    const always = computePodStatus(pod('Always'), exited, ctx({}, waiting));
    expect(always.containerStatuses![0].state).toEqual({ waiting: { reason: 'PostStartHookError', message: 'hook failed' } });
    expect(always.containerStatuses![0].lastState).toMatchObject({ terminated: { exitCode: 137 } });
    const completed = computePodStatus(pod('OnFailure'), obs([c('a', 'CONTAINER_EXITED', { exitCode: 0, finishedAt: NOW - 1000 })]), ctx({}, waiting));
    expect(completed.containerStatuses![0].state).toMatchObject({ terminated: { exitCode: 0 } });
  });

  test("on the host network: the node's IP is the pod's, once its sandbox is ready", () => {
    const p = pod('Always', { containers: [{ name: 'a', image: 'img:1' }], hostNetwork: true });
    const s = computePodStatus(p, obs([c('a', 'CONTAINER_RUNNING')], ''), ctx());
    expect([s.podIP, s.podIPs, s.hostIP]).toEqual(['192.0.2.1', [{ ip: '192.0.2.1' }], '192.0.2.1']);
    expect(computePodStatus(p, { uid: 'u', sandboxes: [], containers: [] }, ctx()).podIP).toBeUndefined();
  });

  test('readiness probe not passed yet: running but not ready', () => {
    const p = pod('Always', { containers: [{ name: 'a', image: 'img:1', readinessProbe: { exec: { command: ['true'] } } }] });
    const s = computePodStatus(p, obs([c('a', 'CONTAINER_RUNNING')]), ctx({ readiness: () => 'failure' }));
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses![0].ready).toBe(false);
    expect(s.conditions!.find((x) => x.type === 'Ready')?.status).toBe('False');
  });

  test('restarted: restartCount from the attempt, lastState from the previous instance', () => {
    const s = computePodStatus(pod(), obs([c('a', 'CONTAINER_RUNNING', { attempt: 1 }), c('a', 'CONTAINER_EXITED', { exitCode: 137, reason: 'Error' })]), ctx());
    const cs = s.containerStatuses![0];
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error', containerID: 'containerd://a-0' });
  });

  test('CrashLoopBackOff: waiting with lastState terminated; phase stays Running under Always', () => {
    const s = computePodStatus(
      pod(),
      obs([c('a', 'CONTAINER_EXITED', { exitCode: 1, attempt: 2 })]),
      ctx({}, { a: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=a pod=p_default(u)' } }),
    );
    const cs = s.containerStatuses![0];
    expect(cs.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs.lastState?.terminated?.exitCode).toBe(1);
    expect(s.phase).toBe('Running');
  });

  test('transition times are kept while a condition does not change', () => {
    const first = computePodStatus(pod(), obs([c('a', 'CONTAINER_RUNNING')]), ctx());
    const later = computePodStatus(pod('Always', {}, first), obs([c('a', 'CONTAINER_RUNNING')]), { ...ctx(), now: NOW + 60_000 });
    expect(later).toEqual(first);
  });

  test('a terminal phase is never left', () => {
    const s = computePodStatus(pod('Never', {}, { phase: 'Succeeded' }), obs([c('a', 'CONTAINER_RUNNING')]), ctx());
    expect(s.phase).toBe('Succeeded');
  });

  test('init containers: PodInitializing until done; Initialized False names them', () => {
    const p = pod('Always', { initContainers: [{ name: 'i', image: 'b' }] });
    const s = computePodStatus(p, obs([c('i', 'CONTAINER_RUNNING', { init: true })]), ctx());
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses![0].state?.waiting?.reason).toBe('PodInitializing');
    expect(s.initContainerStatuses![0].state?.running).toBeDefined();
    expect(s.conditions!.find((x) => x.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [i]' });
  });

  test('qosClass Guaranteed when requests equal limits', () => {
    const p = pod('Always', { containers: [{ name: 'a', image: 'i', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
    expect(computePodStatus(p, obs([]), ctx()).qosClass).toBe('Guaranteed');
    const b = pod('Always', { containers: [{ name: 'a', image: 'i', resources: { requests: { cpu: '100m' } } }] });
    expect(computePodStatus(b, obs([]), ctx()).qosClass).toBe('Burstable');
  });
  test('ephemeral containers: a status each, never ready, never in the phase or the conditions', () => {
    const p = pod();
    p.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox' }, { name: 'later', image: 'busybox' }];
    const s = computePodStatus(p, obs([c('a', 'CONTAINER_RUNNING'), c('debugger', 'CONTAINER_EXITED', { ephemeral: true, exitCode: 1 })]), ctx());
    expect(s.phase).toBe('Running');
    expect(s.conditions!.find((x) => x.type === 'Ready')!.status).toBe('True');
    expect(s.ephemeralContainerStatuses).toEqual([
      expect.objectContaining({ name: 'debugger', ready: false, restartCount: 0, containerID: 'containerd://debugger-0', state: { terminated: expect.objectContaining({ exitCode: 1, reason: 'Error' }) } }),
      expect.objectContaining({ name: 'later', ready: false, state: { waiting: { reason: 'ContainerCreating' } } }),
    ]);
    const running = computePodStatus(p, obs([c('a', 'CONTAINER_RUNNING'), c('debugger', 'CONTAINER_RUNNING', { ephemeral: true })]), ctx());
    expect(running.ephemeralContainerStatuses![0]).toMatchObject({ ready: false, state: { running: {} } });
    expect(computePodStatus(pod(), obs([c('a', 'CONTAINER_RUNNING')]), ctx()).ephemeralContainerStatuses).toBeUndefined();
  });
});

describe('podPhase (kubelet getPhase)', () => {
  const run = { state: { running: {} } };
  const ok = { state: { terminated: { exitCode: 0 } } };
  const bad = { state: { terminated: { exitCode: 2 } } };
  const wait = { state: { waiting: { reason: 'ContainerCreating' } } };
  const cases: [string, string, object[], object[], string][] = [
    ['all running', 'Always', [], [run, run], 'Running'],
    ['one waiting', 'Always', [], [run, wait], 'Pending'],
    ['all succeeded, Never', 'Never', [], [ok, ok], 'Succeeded'],
    ['one failed, Never', 'Never', [], [ok, bad], 'Failed'],
    ['one failed, OnFailure', 'OnFailure', [], [ok, bad], 'Running'],
    ['all succeeded, OnFailure', 'OnFailure', [], [ok], 'Succeeded'],
    ['stopped, Always', 'Always', [], [ok], 'Running'],
    ['init failed, Never', 'Never', [bad], [wait], 'Failed'],
    ['init failed, Always', 'Always', [bad], [wait], 'Pending'],
    ['init running', 'Always', [run], [wait], 'Pending'],
    ['init done, app running', 'Always', [ok], [run], 'Running'],
  ];
  for (const [name, policy, init, regular, want] of cases) {
    test(name, () => {
      expect(podPhase(pod(policy), init as never, regular as never)).toBe(want);
    });
  }
});

describe('sidecars (init containers with restartPolicy Always)', () => {
  const side = { name: 's', image: 'proxy:1', restartPolicy: 'Always' as const };
  const sidecarPod = (policy = 'Always', extra: Partial<Pod['spec']> = {}) => pod(policy, { initContainers: [side], ...extra });
  const sc = (state: ObservedContainer['state'], over: Partial<ObservedContainer> = {}) => c('s', state, { init: true, ...over });

  test('running beside the containers: initialized, ready, counted in Ready, the pod Running', () => {
    const s = computePodStatus(sidecarPod(), obs([sc('CONTAINER_RUNNING'), c('a', 'CONTAINER_RUNNING')]), ctx());
    expect(s.initContainerStatuses![0]).toMatchObject({ name: 's', ready: true, started: true, state: { running: {} } });
    expect(s.phase).toBe('Running');
    for (const t of ['Initialized', 'Ready', 'ContainersReady']) expect(s.conditions!.find((x) => x.type === t)?.status).toBe('True');
  });

  test('started, the containers not created yet: initialized, the containers ContainerCreating, Pending', () => {
    const s = computePodStatus(sidecarPod(), obs([sc('CONTAINER_RUNNING')]), ctx());
    expect(s.conditions!.find((x) => x.type === 'Initialized')?.status).toBe('True');
    expect(s.containerStatuses![0].state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(s.phase).toBe('Pending');
  });

  test('not ready (its readiness probe): the pod is not Ready, naming it', () => {
    const p = pod('Always', { initContainers: [{ ...side, readinessProbe: { exec: { command: ['x'] } } }] });
    const s = computePodStatus(p, obs([sc('CONTAINER_RUNNING'), c('a', 'CONTAINER_RUNNING')]), ctx({ readiness: () => 'failure' }));
    expect(s.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [s]' });
    expect(s.conditions!.find((x) => x.type === 'Initialized')?.status).toBe('True');
  });

  test('not started yet: not initialized; stopped after the containers finished (Never): Succeeded', () => {
    const starting = computePodStatus(sidecarPod(), obs([]), ctx());
    expect(starting.conditions!.find((x) => x.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [s]' });
    expect(starting.containerStatuses![0].state).toEqual({ waiting: { reason: 'PodInitializing' } });
    const done = computePodStatus(sidecarPod('Never'), obs([sc('CONTAINER_EXITED', { exitCode: 137, finishedAt: NOW - 500 }), c('a', 'CONTAINER_EXITED', { exitCode: 0, finishedAt: NOW - 1000 })]), ctx());
    expect(done.phase).toBe('Succeeded');
    const running = computePodStatus(sidecarPod('Never'), obs([sc('CONTAINER_RUNNING'), c('a', 'CONTAINER_EXITED', { exitCode: 0, finishedAt: NOW - 1000 })]), ctx());
    expect(running.phase).toBe('Running');
  });
});
