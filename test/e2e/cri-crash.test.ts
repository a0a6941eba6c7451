// containerd gone (crashed or killed) while its pods still run: ensureRuntime brings it back with the
// pods intact; and teardown without it leaves nothing of the runtime — no pod process, shim, netns,
// bridge, mount, cgroup dir or iptables rule.
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { PodSandboxConfig } from '../../node-agent/runtime/runtime';
import { ensureRuntime, IMAGES } from '../../node-agent/runtime-setup';
import { startTestRuntime, TestRuntime } from './helpers/runtime';

jest.setTimeout(180000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Zombies (exited, not yet reaped by PID 1) count as gone. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function netnsInode(pid: number): number {
  return fs.statSync(`/proc/${pid}/ns/net`).ino;
}

describe('teardown after containerd died with pods running', () => {
  let rt: TestRuntime;
  let stopped = false;
  afterAll(async () => {
    if (rt && !stopped) await rt.stop();
  });

  test('ensureRuntime restarts a dead containerd that finds its pods again; teardown without containerd kills the pods and removes everything', async () => {
    rt = await startTestRuntime('cri-crash');
    const cri = new CriRuntime(rt.criSocket);
    const uid = crypto.randomUUID();
    const sandbox: PodSandboxConfig = {
      name: 'orphan',
      namespace: 'default',
      uid,
      attempt: 0,
      hostname: 'orphan',
      logDirectory: path.join(rt.podLogDir, uid),
      portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 20000 + (process.pid % 20000), hostIp: '127.0.0.1' }],
      labels: {},
      annotations: {},
      cgroupParent: rt.cgroupParentFor(uid),
    };
    await cri.pullImage(IMAGES.nginx);
    const sandboxId = await cri.runPodSandbox(sandbox);
    const ip = (await cri.podSandboxStatus(sandboxId)).ip;
    const containerId = await cri.createContainer(
      sandboxId,
      { name: 'nginx', attempt: 0, image: IMAGES.nginx, command: [], args: [], workingDir: '', env: [], mounts: [], logPath: 'nginx.log', labels: {}, annotations: {}, resources: {} },
      sandbox,
    );
    await cri.startContainer(containerId);
    const nginxPid = (await cri.containerStatus(containerId)).pid!;
    const podNetns = netnsInode(nginxPid);
    cri.close();

    // containerd dies; ensureRuntime starts a new one on the same root, which finds the pod again
    process.kill(rt.pids.containerd, 'SIGKILL');
    for (let i = 0; i < 50 && alive(rt.pids.containerd); i++) await new Promise((r) => setTimeout(r, 100));
    expect(running(nginxPid)).toBe(true); // the shim keeps the pod running without containerd
    const restarted = await ensureRuntime({ stateDir: rt.stateDir, bridge: rt.bridge, podSubnet: rt.podSubnet, nodeName: `cri-crash-${rt.slot}` });
    expect(restarted.pids.containerd).not.toBe(rt.pids.containerd);
    const cri2 = new CriRuntime(restarted.criSocket);
    try {
      const st = await cri2.containerStatus(containerId);
      expect(st).toMatchObject({ state: 'CONTAINER_RUNNING', pid: nginxPid, podSandboxId: sandboxId });
      expect((await cri2.podSandboxStatus(sandboxId)).ip).toBe(ip);
    } finally {
      cri2.close();
    }

    // and dies again: teardown must clean up without it
    process.kill(restarted.pids.containerd, 'SIGKILL');
    for (let i = 0; i < 50 && alive(restarted.pids.containerd); i++) await new Promise((r) => setTimeout(r, 100));
    expect(running(nginxPid)).toBe(true);

    stopped = true;
    await rt.stop();

    expect(running(nginxPid)).toBe(false);
    const shims = execFileSync('bash', ['-c', `pgrep -f '[c]ontainerd-shim-runc-v2 .*-address ${rt.criSocket}' || true`], { encoding: 'utf8' }).trim();
    expect(shims).toBe('');
    const netnsLeft = fs.existsSync('/var/run/netns')
      ? fs.readdirSync('/var/run/netns').filter((n) => {
          try {
            return fs.statSync(path.join('/var/run/netns', n)).ino === podNetns;
          } catch {
            return false;
          }
        })
      : [];
    expect(netnsLeft).toEqual([]);
    expect(() => execFileSync('ip', ['link', 'show', rt.bridge], { stdio: 'ignore' })).toThrow();
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(` ${rt.stateDir}/`));
    expect(mounts).toEqual([]);
    expect(fs.readdirSync('/sys/fs/cgroup').filter((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, rt.cgroupRoot)))).toEqual([]);
    const rules = execFileSync('bash', ['-c', 'iptables -S; iptables -t nat -S'], { encoding: 'utf8' });
    expect(rules).not.toContain(`"${rt.networkName}"`);
    expect(rules).not.toContain(`${ip}/32`);
  });
});
