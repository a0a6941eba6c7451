// End to end on the real containerd: runtime setup from scratch (idempotent), then one nginx pod driven
// through CriRuntime, checked from the host (pod IP, hostPort, cgroup files, log file, kill → exit 137),
// removed, and the runtime torn down without leftovers.
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ContainerExitEvent, CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { ContainerConfig, PodSandboxConfig } from '../../node-agent/runtime/runtime';
import { ensureRuntime, IMAGES } from '../../node-agent/runtime-setup';
import { freePort, httpGet } from './helpers/net';
import { startTestRuntime, TestRuntime } from './helpers/runtime';

jest.setTimeout(180000);

async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(dir + '/'));
}

function linkExists(name: string): boolean {
  try {
    execFileSync('ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CRI runtime on real containerd', () => {
  let rt: TestRuntime;
  let cri: CriRuntime;
  const uid = crypto.randomUUID();
  let hostPort: number;
  let sandboxConfig: PodSandboxConfig;
  let sandboxId = '';
  let containerId = '';
  let podIp = '';
  let stopped = false;

  beforeAll(async () => {
    rt = await startTestRuntime('cri-e2e');
    cri = new CriRuntime(rt.criSocket);
    hostPort = await freePort();
    sandboxConfig = {
      name: 'nginx-e2e',
      namespace: 'default',
      uid,
      attempt: 0,
      hostname: 'nginx-e2e',
      logDirectory: path.join(rt.podLogDir, `default_nginx-e2e_${uid}`),
      portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort, hostIp: '127.0.0.1' }],
      labels: { app: 'nginx', 'steer.test/uid': uid },
      annotations: { 'steer.test/note': 'cri e2e' },
      cgroupParent: rt.cgroupParentFor(uid),
    };
  });

  afterAll(async () => {
    cri?.close();
    if (rt && !stopped) await rt.stop();
  });

  test('setup is idempotent: a second ensureRuntime reuses the same containerd and registry', async () => {
    const t0 = Date.now();
    const again = await ensureRuntime({ stateDir: rt.stateDir, bridge: rt.bridge, podSubnet: rt.podSubnet, nodeName: `cri-e2e-${rt.slot}` });
    const elapsed = Date.now() - t0;
    expect(again.criSocket).toBe(rt.criSocket);
    expect(again.pids.containerd).toBe(rt.pids.containerd);
    expect(again.registry).toBe('127.0.0.1:5000');
    expect(alive(again.pids.containerd)).toBe(true);
    expect(elapsed).toBeLessThan(5000);
    // the same state dir with other settings is refused rather than silently reconfigured
    await expect(ensureRuntime({ stateDir: rt.stateDir, bridge: rt.bridge, podSubnet: '10.211.250.0/24' })).rejects.toThrow(/other settings/);
  });

  test('the runtime reports containerd over CRI v1 and becomes ready', async () => {
    const v = await cri.version();
    expect(v.runtimeName).toBe('containerd');
    expect(v.runtimeApiVersion).toBe('v1');
    const st = await eventually(async () => {
      const s = await cri.status();
      return s.runtimeReady && s.networkReady ? s : undefined;
    }, 20000, 'RuntimeReady and NetworkReady');
    expect(st.networkReady).toBe(true);
  });

  test('pulls nginx from the local registry', async () => {
    const ref = await cri.pullImage(IMAGES.nginx);
    expect(ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await cri.imageStatus(IMAGES.nginx)).toBe(ref);
    expect(await cri.imageStatus('127.0.0.1:5000/does-not-exist:1')).toBeUndefined();
  });

  test('lists its images (id, tags, size) and removes one by id, as image garbage collection does', async () => {
    const nginx = (await cri.listImages()).find((i) => i.repoTags.includes(IMAGES.nginx));
    expect(nginx?.id).toBe(await cri.imageStatus(IMAGES.nginx));
    expect(nginx!.sizeBytes).toBeGreaterThan(1024 * 1024);
    const busybox = await cri.pullImage(IMAGES.busybox);
    await cri.removeImage(busybox);
    expect(await cri.imageStatus(IMAGES.busybox)).toBeUndefined();
    expect((await cri.listImages()).some((i) => i.id === busybox)).toBe(false);
  });

  test('runs a sandbox and an nginx container that answers on its pod IP and on the hostPort', async () => {
    sandboxId = await cri.runPodSandbox(sandboxConfig);
    const container: ContainerConfig = {
      name: 'nginx',
      attempt: 0,
      image: IMAGES.nginx,
      command: [],
      args: [],
      workingDir: '',
      env: [{ name: 'GREETING', value: 'hello' }],
      mounts: [],
      logPath: 'nginx/0.log',
      labels: { 'steer.test/container': 'nginx' },
      annotations: {},
      resources: { memoryLimitInBytes: 64 * 1024 * 1024, cpuPeriod: 100000, cpuQuota: 50000, cpuShares: 512 },
    };
    containerId = await cri.createContainer(sandboxId, container, sandboxConfig);
    await cri.startContainer(containerId);

    const sb = await cri.podSandboxStatus(sandboxId);
    expect(sb.state).toBe('SANDBOX_READY');
    expect(sb.uid).toBe(uid);
    expect(sb.labels.app).toBe('nginx');
    podIp = sb.ip;
    expect(podIp).toMatch(new RegExp(`^10\\.210\\.${rt.slot}\\.\\d+$`));

    const listed = await cri.listContainers({ podSandboxId: sandboxId });
    expect(listed.map((c) => [c.id, c.name, c.state])).toEqual([[containerId, 'nginx', 'CONTAINER_RUNNING']]);
    expect((await cri.listPodSandboxes()).map((s) => s.id)).toContain(sandboxId);

    const viaPodIp = await eventually(() => httpGet(podIp, 80).catch(() => undefined), 10000, 'nginx on the pod IP');
    expect(viaPodIp.status).toBe(200);
    expect(viaPodIp.body).toContain('hello from nginx');
    const viaHostPort = await eventually(() => httpGet('127.0.0.1', hostPort).catch(() => undefined), 10000, 'nginx on the hostPort');
    expect(viaHostPort.status).toBe(200);
    expect(viaHostPort.body).toContain('hello from nginx');
  });

  test("limits land in the container's cgroup files", async () => {
    const st = await cri.containerStatus(containerId);
    expect(st.state).toBe('CONTAINER_RUNNING');
    expect(st.podSandboxId).toBe(sandboxId);
    expect(st.pid).toBeGreaterThan(1);
    const procCgroup = fs.readFileSync(`/proc/${st.pid}/cgroup`, 'utf8');
    const leaf = `${sandboxConfig.cgroupParent}/${containerId}`;
    if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      // cgroup v2 only (not the machines runtime.md measured, which are v1 hybrid)
      expect(procCgroup).toContain(`0::${leaf}`);
      expect(fs.readFileSync(path.join('/sys/fs/cgroup', leaf, 'memory.max'), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      expect(fs.readFileSync(path.join('/sys/fs/cgroup', leaf, 'cpu.max'), 'utf8').trim()).toBe('50000 100000');
    } else {
      expect(procCgroup).toMatch(new RegExp(`^\\d+:memory:${leaf}$`, 'm'));
      expect(fs.readFileSync(path.join('/sys/fs/cgroup/memory', leaf, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
      expect(fs.readFileSync(path.join('/sys/fs/cgroup/cpu', leaf, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('50000');
      expect(fs.readFileSync(path.join('/sys/fs/cgroup/cpu', leaf, 'cpu.shares'), 'utf8').trim()).toBe('512');
    }
    // its own PID namespace (pid: CONTAINER on the container too): nginx is PID 1 in it
    const nsPid = fs.readFileSync(`/proc/${st.pid}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m)![1].trim().split(/\s+/);
    expect(nsPid[nsPid.length - 1]).toBe('1');
  });

  test("the CRI log file has nginx's access line for our request", async () => {
    const st = await cri.containerStatus(containerId);
    expect(st.logPath).toBe(path.join(sandboxConfig.logDirectory, 'nginx/0.log'));
    const line = await eventually(async () => {
      const text = fs.readFileSync(st.logPath, 'utf8');
      return text.split('\n').find((l) => /^\S+Z stdout F .*"GET \/ HTTP\/1\.1" 200 /.test(l));
    }, 5000, 'the access log line');
    expect(line).toContain('"GET / HTTP/1.1" 200');
  });

  test('execSync runs a command in the container', async () => {
    // the nginx image has no shell: run nginx itself
    const res = await cri.execSync(containerId, ['/usr/sbin/nginx', '-t'], 10);
    expect(res.exitCode).toBe(0);
    expect(res.stderr.toString()).toContain('syntax is ok');
    const stats = await cri.containerStats();
    expect(stats.find((s) => s.id === containerId)?.memoryWorkingSetBytes).toBeGreaterThan(0);
  });

  test('a second container in the pod gets env, command and args, reaches nginx over localhost, and reports its exit code', async () => {
    await cri.pullImage(IMAGES.busybox);
    const id = await cri.createContainer(
      sandboxId,
      {
        name: 'client',
        attempt: 0,
        image: IMAGES.busybox,
        command: ['sh', '-c'],
        args: ['echo "greeting=$GREETING in $(pwd)"; wget -q -O - http://127.0.0.1/; exit 3'],
        workingDir: '/tmp',
        env: [{ name: 'GREETING', value: 'hello from env' }],
        mounts: [],
        logPath: 'client/0.log',
        labels: {},
        annotations: {},
        resources: {},
      },
      sandboxConfig,
    );
    await cri.startContainer(id);
    const st = await eventually(async () => {
      const s = await cri.containerStatus(id);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, 10000, 'the client container to exit');
    expect(st.exitCode).toBe(3);
    expect(st.reason).toBe('Error');
    const log = fs.readFileSync(st.logPath, 'utf8');
    expect(log).toMatch(/ stdout F greeting=hello from env in \/tmp$/m);
    expect(log).toContain('hello from nginx');
    await cri.removeContainer(id);
  });

  test('killing the container process from the host gives CONTAINER_EXITED with exit code 137', async () => {
    const { pid } = await cri.containerStatus(containerId);
    const exits: ContainerExitEvent[] = [];
    const errors: Error[] = [];
    const stopWatch = cri.watchContainerExits((e) => exits.push(e), (err) => errors.push(err));
    await new Promise((r) => setTimeout(r, 300)); // let the subscription reach containerd
    const killedAt = Date.now();
    process.kill(pid!, 'SIGKILL');
    const exit = await eventually(async () => exits.find((e) => e.containerId === containerId), 5000, 'the /tasks/exit event');
    stopWatch();
    expect(exit).toMatchObject({ containerId, pid, exitStatus: 137 });
    expect(exit.exitedAt).toBeGreaterThanOrEqual(killedAt - 1000);
    expect(errors).toEqual([]);
    const st = await eventually(async () => {
      const s = await cri.containerStatus(containerId);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, 10000, 'the container to exit');
    expect(st.exitCode).toBe(137);
    expect(st.finishedAt).toBeGreaterThanOrEqual(st.startedAt);
    expect(st.pid).toBeUndefined();
  });

  test('stop and remove: gone from containerd, per-pod cgroup dirs removed everywhere', async () => {
    await cri.stopContainer(containerId, 2);
    await cri.removeContainer(containerId);
    expect(await cri.listContainers({ podSandboxId: sandboxId })).toEqual([]);
    await cri.stopPodSandbox(sandboxId);
    await cri.removePodSandbox(sandboxId);
    expect((await cri.listPodSandboxes()).map((s) => s.id)).not.toContain(sandboxId);
    await expect(cri.podSandboxStatus(sandboxId)).rejects.toMatchObject({ code: 5 });
    const leftovers = fs
      .readdirSync('/sys/fs/cgroup')
      .map((h) => path.join('/sys/fs/cgroup', h, sandboxConfig.cgroupParent))
      .concat(path.join('/sys/fs/cgroup', sandboxConfig.cgroupParent)) // cgroup v2
      .filter((d) => fs.existsSync(d));
    expect(leftovers).toEqual([]);
    // removing again is not an error (CRI: idempotent)
    await cri.removePodSandbox(sandboxId);
  });

  test('teardown leaves no process, bridge, mount, cgroup or iptables rule of the runtime', async () => {
    // a pod still running at teardown must be cleaned up too
    const uid2 = crypto.randomUUID();
    const cfg2: PodSandboxConfig = { ...sandboxConfig, name: 'left-running', uid: uid2, portMappings: [], cgroupParent: rt.cgroupParentFor(uid2), logDirectory: path.join(rt.podLogDir, uid2) };
    const sb2 = await cri.runPodSandbox(cfg2);
    const sbInfo = await cri.podSandboxStatus(sb2);
    cri.close();
    const containerdPid = rt.pids.containerd;
    stopped = true;
    await rt.stop();
    expect(alive(containerdPid)).toBe(false);
    const shims = execFileSync('bash', ['-c', `pgrep -f '[c]ontainerd-shim-runc-v2 .*-address ${rt.criSocket}' || true`], { encoding: 'utf8' }).trim();
    expect(shims).toBe('');
    expect(linkExists(rt.bridge)).toBe(false);
    expect(mountsUnder(rt.stateDir)).toEqual([]);
    expect(fs.readdirSync('/sys/fs/cgroup').filter((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, rt.cgroupRoot)))).toEqual([]);
    expect(fs.existsSync(path.join('/sys/fs/cgroup', rt.cgroupRoot))).toBe(false);
    const rules = execFileSync('bash', ['-c', 'iptables -S; iptables -t nat -S'], { encoding: 'utf8' });
    expect(rules).not.toContain(`"${rt.networkName}"`);
    expect(rules).not.toContain(`${sbInfo.ip}/32`);
    expect(fs.existsSync(rt.stateDir)).toBe(false);
  });
});
