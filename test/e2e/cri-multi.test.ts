// Several runtimes ("hosts") on one machine, as multi-node tests use them: concurrent setup (the
// locking), concurrent ensureRuntime on one state dir giving one containerd, pods of one host reaching
// pods of the other, and the teardown of one host leaving the other working.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { ContainerConfig, PodSandboxConfig } from '../../node-agent/runtime/runtime';
import { ensureRuntime, IMAGES, teardownRuntime } from '../../node-agent/runtime-setup';
import { httpGet } from './helpers/net';
import { startTestRuntime, TestRuntime } from './helpers/runtime';

jest.setTimeout(240000);

/** The HTTP status of GET http://host:port/path. */
const statusOf = (host: string, port: number, urlPath = '/') => httpGet(host, port, urlPath).then((r) => r.status);

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Host {
  rt: TestRuntime;
  cri: CriRuntime;
}

async function runPod(h: Host, name: string, container: Omit<ContainerConfig, 'attempt' | 'workingDir' | 'mounts' | 'labels' | 'annotations' | 'resources' | 'logPath'>) {
  const uid = crypto.randomUUID();
  const sandbox: PodSandboxConfig = {
    name,
    namespace: 'default',
    uid,
    attempt: 0,
    hostname: name,
    logDirectory: path.join(h.rt.podLogDir, `default_${name}_${uid}`),
    portMappings: [],
    labels: {},
    annotations: {},
    cgroupParent: h.rt.cgroupParentFor(uid),
  };
  await h.cri.pullImage(container.image);
  const sandboxId = await h.cri.runPodSandbox(sandbox);
  const containerId = await h.cri.createContainer(
    sandboxId,
    { ...container, attempt: 0, workingDir: '', mounts: [], labels: {}, annotations: {}, resources: {}, logPath: `${container.name}/0.log` },
    sandbox,
  );
  await h.cri.startContainer(containerId);
  return { sandboxId, containerId, ip: (await h.cri.podSandboxStatus(sandboxId)).ip };
}

describe('two runtimes on one machine', () => {
  const hosts: Host[] = [];

  beforeAll(async () => {
    // concurrently, as two test files or two agents would
    const rts = await Promise.all([startTestRuntime('multi-a'), startTestRuntime('multi-b')]);
    for (const rt of rts) hosts.push({ rt, cri: new CriRuntime(rt.criSocket) });
  });
  afterAll(async () => {
    for (const h of hosts) {
      h.cri.close();
      await h.rt.stop().catch(() => undefined);
    }
  });

  test('each has its own containerd, socket, bridge, subnet and cgroup root', () => {
    const [a, b] = hosts.map((h) => h.rt);
    expect(a.pids.containerd).not.toBe(b.pids.containerd);
    expect(a.criSocket).not.toBe(b.criSocket);
    expect(a.bridge).not.toBe(b.bridge);
    expect(a.podSubnet).not.toBe(b.podSubnet);
    expect(a.cgroupRoot).not.toBe(b.cgroupRoot);
    expect(a.pids.registry).toBe(b.pids.registry);
  });

  test('concurrent ensureRuntime calls on one state dir share one containerd', async () => {
    const a = hosts[0].rt;
    const opts = { stateDir: a.stateDir, bridge: a.bridge, podSubnet: a.podSubnet, nodeName: `multi-a-${a.slot}` };
    const results = await Promise.all([ensureRuntime(opts), ensureRuntime(opts), ensureRuntime(opts)]);
    expect(new Set(results.map((r) => r.pids.containerd))).toEqual(new Set([a.pids.containerd]));
  });

  test("a pod on one host reaches a pod on the other; one host's teardown leaves the other serving", async () => {
    const [a, b] = hosts;
    const server = await runPod(b, 'server', { name: 'nginx', image: IMAGES.nginx, command: [], args: [], env: [] });
    expect(await waitFor(() => statusOf(server.ip, 80), 10000, 'nginx on host b')).toBe(200);

    const client = await runPod(a, 'client', {
      name: 'wget',
      image: IMAGES.busybox,
      command: ['sh', '-c'],
      args: [`timeout 10 wget -q -O - http://${server.ip}/ && echo fetched-ok`],
      env: [],
    });
    const st = await waitFor(async () => {
      const s = await a.cri.containerStatus(client.containerId);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, 20000, 'the client pod to finish');
    expect(fs.readFileSync(st.logPath, 'utf8')).toContain('fetched-ok');
    expect(st.exitCode).toBe(0);

    a.cri.close();
    // asking to stop the shared registry while host b lives leaves it serving
    await teardownRuntime(a.rt.stateDir, { stopRegistry: true });
    await a.rt.stop();
    hosts.shift();
    expect(await statusOf('127.0.0.1', 5000, '/v2/')).toBe(200);
    expect(await statusOf(server.ip, 80)).toBe(200);
    expect((await b.cri.status()).networkReady).toBe(true);
    const again = await runPod(b, 'after', { name: 'nginx', image: IMAGES.nginx, command: [], args: [], env: [] });
    expect(await waitFor(() => statusOf(again.ip, 80), 10000, 'a new pod on host b')).toBe(200);
  });
});
