// The hook handlers as the kubelet runs them (exec through the runtime, httpGet to a loopback server here,
// sleep; tcpSocket refused), and the preStop grace accounting.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LifecycleHandler } from 'kubernetes-types/core/v1';
import { DefaultHookRunner, HookRunner, HookTarget, HookTimeoutError, MIN_GRACE_SECONDS, runPreStop } from './lifecycle';
import { FakeRuntime } from './runtime/fake-runtime';

const target = (port = 0): HookTarget => ({
  pod: { metadata: { name: 'web' } },
  container: { name: 'app', ports: [{ name: 'admin', containerPort: port }] },
  containerId: 'c-1',
  podIP: '127.0.0.1',
});

describe('DefaultHookRunner', () => {
  let server: http.Server;
  let port: number;
  const seen: Array<{ url?: string; headers: http.IncomingHttpHeaders }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      res.writeHead(req.url === '/fail' ? 500 : 200);
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('exec: through the runtime; a non-zero exit fails with the command and its output', async () => {
    const calls: string[][] = [];
    const runtime = new FakeRuntime({ images: ['img'], exec: (_id, cmd) => (calls.push(cmd), { exitCode: cmd[0] === 'bad' ? 3 : 0, stdout: Buffer.from('out'), stderr: Buffer.from('') }) });
    const sb = { name: 'web', namespace: 'd', uid: 'u', attempt: 0, hostname: 'web', logDirectory: '/l', portMappings: [], labels: {}, annotations: {}, cgroupParent: '/x' };
    const ctr = { name: 'app', attempt: 0, image: 'img', command: [], args: [], workingDir: '', env: [], mounts: [], logPath: 'app/0.log', labels: {}, annotations: {}, resources: {} };
    const id = await runtime.createContainer(await runtime.runPodSandbox(sb), ctr, sb);
    await runtime.startContainer(id);
    const runner = new DefaultHookRunner(runtime);
    await runner.run({ exec: { command: ['good', 'x'] } }, { ...target(), containerId: id }, 0);
    await expect(runner.run({ exec: { command: ['bad'] } }, { ...target(), containerId: id }, 0)).rejects.toThrow('Exec lifecycle hook (["bad"]) for Container "app" in Pod "web" failed - error: command exited with 3, message: "out"');
    expect(calls).toEqual([['good', 'x'], ['bad']]);
  });

  test('httpGet: to the pod IP and a named port, with its path and headers; any answer passes, no connection fails', async () => {
    const runner = new DefaultHookRunner(new FakeRuntime());
    await runner.run({ httpGet: { port: 'admin', path: 'drain?now=1', httpHeaders: [{ name: 'X-Why', value: 'stop' }] } }, target(port), 0);
    await runner.run({ httpGet: { port, path: '/fail' } }, target(port), 0);
    expect(seen.map((s) => [s.url, s.headers['x-why'], s.headers['user-agent']])).toEqual([
      ['/drain?now=1', 'stop', 'kube-lifecycle/1.30'],
      ['/fail', undefined, 'kube-lifecycle/1.30'],
    ]);
    const closed = await new Promise<number>((r) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    await expect(runner.run({ httpGet: { port: closed, path: '/x' } }, target(), 0)).rejects.toThrow(/^HTTP lifecycle hook \(\/x\) for Container "app" in Pod "web" failed - error: connect ECONNREFUSED/);
  });

  test('sleep: as long as asked, at most the limit; tcpSocket is refused', async () => {
    const runner = new DefaultHookRunner(new FakeRuntime());
    const t0 = Date.now();
    await runner.run({ sleep: { seconds: 0.2 } } as LifecycleHandler, target(), 0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    await expect(runner.run({ sleep: { seconds: 60 } }, target(), 100)).rejects.toThrow('the sleep hook did not complete within 0.1 s');
    await expect(runner.run({ tcpSocket: { port: 80 } }, target(), 0)).rejects.toThrow('Cannot run handler: invalid handler');
  });
});

describe('runPreStop', () => {
  const runner = (o: { ms: number; fail?: boolean }): HookRunner => ({
    run: (_h, _t, timeoutMs) =>
      new Promise((resolve, reject) =>
        setTimeout(() => (o.ms > timeoutMs ? reject(new HookTimeoutError('still running')) : o.fail ? reject(new Error('boom')) : resolve()), Math.min(o.ms, timeoutMs)),
      ),
  });
  const hook: LifecycleHandler = { exec: { command: ['x'] } };

  test.each([
    ['a quick hook leaves the grace period whole', { ms: 10 }, 30, 30, []],
    ['a failure is reported; the time it took comes off', { ms: 1100, fail: true }, 30, 29, ['boom']],
    ['a hook still running when the grace period ends: no failure, the stop still gets the minimum', { ms: 60_000 }, 1, MIN_GRACE_SECONDS, []],
  ])('%s', async (_, o, grace, want, failures) => {
    const seen: string[] = [];
    expect(await runPreStop(runner(o), hook, target(), grace, (e) => seen.push(e.message))).toBe(want);
    expect(seen).toEqual(failures);
  });
});
