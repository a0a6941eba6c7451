// Probe semantics with a scripted prober and fake timers: initial results, thresholds, startup gating,
// and the real httpGet/tcpSocket/exec handlers against local servers and the fake runtime.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { DefaultProber, ProbeKind, ProbeManager } from '../../node-agent/probes';

function podWith(c: Container): Pod {
  return { metadata: { name: 'p', namespace: 'd', uid: 'u' }, spec: { containers: [c] } };
}

describe('ProbeManager', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  function manager(script: Record<ProbeKind, boolean[]>) {
    const changes: string[] = [];
    const calls: ProbeKind[] = [];
    const m = new ProbeManager({
      nodeName: 'n',
      prober: {
        run: async (kind) => {
          calls.push(kind);
          const next = script[kind].length > 1 ? script[kind].shift()! : script[kind][0];
          return { ok: next, output: next ? '' : 'HTTP probe failed with statuscode: 500' };
        },
      },
      onChange: (uid) => changes.push(uid),
    });
    return { m, changes, calls };
  }

  test('readiness starts as failure and flips after one success; liveness flips after failureThreshold', async () => {
    const readiness: Probe = { exec: { command: ['x'] }, periodSeconds: 1 };
    const liveness: Probe = { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 2 };
    const { m, changes } = manager({ readiness: [true], liveness: [false], startup: [true] });
    m.syncPod(podWith({ name: 'c', readinessProbe: readiness, livenessProbe: liveness }), [{ containerId: 'id', name: 'c', startedAt: Date.now() }], '10.0.0.1');
    expect(m.readiness('id')).toBe('failure');
    expect(m.liveness('id')).toBe('success');
    await jest.advanceTimersByTimeAsync(10);
    expect(m.readiness('id')).toBe('success');
    expect(m.liveness('id')).toBe('success'); // one failure < threshold 2
    await jest.advanceTimersByTimeAsync(1000);
    expect(m.liveness('id')).toBe('failure');
    expect(changes.length).toBeGreaterThanOrEqual(2);
    m.stop();
  });

  test('initialDelaySeconds delays the first probe', async () => {
    const { m, calls } = manager({ readiness: [true], liveness: [true], startup: [true] });
    m.syncPod(podWith({ name: 'c', readinessProbe: { exec: { command: ['x'] }, initialDelaySeconds: 5 } }), [{ containerId: 'id', name: 'c', startedAt: Date.now() }], '');
    await jest.advanceTimersByTimeAsync(4900);
    expect(calls).toEqual([]);
    await jest.advanceTimersByTimeAsync(200);
    expect(calls).toEqual(['readiness']);
    m.stop();
  });

  test('liveness waits for the startup probe to succeed', async () => {
    const { m, calls } = manager({ startup: [false, false, true], liveness: [true], readiness: [true] });
    m.syncPod(
      podWith({ name: 'c', startupProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 10 }, livenessProbe: { exec: { command: ['x'] }, periodSeconds: 1 } }),
      [{ containerId: 'id', name: 'c', startedAt: Date.now() }],
      '',
    );
    expect(m.startup('id')).toBe('unknown');
    await jest.advanceTimersByTimeAsync(1500);
    expect(calls.filter((k) => k === 'liveness')).toEqual([]);
    await jest.advanceTimersByTimeAsync(2000);
    expect(m.startup('id')).toBe('success');
    await jest.advanceTimersByTimeAsync(1100);
    expect(calls).toContain('liveness');
    m.stop();
  });

  test('workers of containers that stopped running are removed', () => {
    const { m } = manager({ readiness: [true], liveness: [true], startup: [true] });
    const pod = podWith({ name: 'c', readinessProbe: { exec: { command: ['x'] } } });
    m.syncPod(pod, [{ containerId: 'id', name: 'c', startedAt: Date.now() }], '');
    expect(m.size()).toBe(1);
    m.syncPod(pod, [], '');
    expect(m.size()).toBe(0);
  });
});

describe('DefaultProber', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const rt = new FakeRuntime({ exec: (_id, cmd) => ({ exitCode: cmd[0] === 'true' ? 0 : 1, stdout: Buffer.from('out'), stderr: Buffer.alloc(0) }) });
  const prober = new DefaultProber(rt);
  const target = (c: Container) => ({ pod: podWith(c), container: c, containerId: 'x', podIP: '127.0.0.1' });

  test('httpGet: 2xx/3xx succeed, others fail; named ports resolve', async () => {
    const c: Container = { name: 'c', ports: [{ name: 'web', containerPort: port }] };
    expect((await prober.run('readiness', { httpGet: { path: '/ok', port: 'web' } }, target(c))).ok).toBe(true);
    const bad = await prober.run('readiness', { httpGet: { path: '/bad', port } }, target(c));
    expect(bad).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 503' });
  });

  test('tcpSocket: open port succeeds, closed port fails', async () => {
    const c: Container = { name: 'c' };
    expect((await prober.run('liveness', { tcpSocket: { port } }, target(c))).ok).toBe(true);
    expect((await prober.run('liveness', { tcpSocket: { port: 1 } }, target(c))).ok).toBe(false);
  });

  test('exec: exit code decides (through the runtime)', async () => {
    const sb = { name: 'p', namespace: 'd', uid: 'u', attempt: 0, hostname: 'p', logDirectory: '/l', portMappings: [], labels: {}, annotations: {}, cgroupParent: '/x' };
    const sid = await rt.runPodSandbox(sb);
    await rt.pullImage('img');
    const id = await rt.createContainer(sid, { name: 'c', attempt: 0, image: 'img', command: [], args: [], workingDir: '', env: [], mounts: [], logPath: 'c', labels: {}, annotations: {}, resources: {} }, sb);
    await rt.startContainer(id);
    const t = { ...target({ name: 'c' }), containerId: id };
    expect((await prober.run('liveness', { exec: { command: ['true'] } }, t)).ok).toBe(true);
    expect((await prober.run('liveness', { exec: { command: ['false'] } }, t)).ok).toBe(false);
  });
});
