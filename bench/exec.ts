// Interactive pods on real containerd, every figure next to its floor measured in the same run:
//   1. `exec -- true` round trip (WebSocket v4 connect → final Status → close) through steer — the
//      apiserver's pods/exec, the node agent's /exec, CRI Exec, containerd's streaming server — next to the
//      raw floor: CRI Exec called directly and the same WebSocket to the URL it answers (goal ≤ 1.3×);
//      rounds alternate the two; p50/p99;
//   2. port-forward throughput: a 64 MiB HTTP/1.0 download from a busybox httpd through pods/portforward
//      (WebSocket, one per connection; and kubectl 1.20's and the current kubectl's SPDY) next to the same
//      download from the pod IP (goal ≥ 0.5×), and through containerd's own port-forward (which the agent
//      no longer relays to: it serves port-forward itself, node-agent/portforward.ts); each client in a
//      child process, with the CPU each process spent per MiB; medians;
//   3. memory per open session: RSS of this process (the apiserver and the node agent; the clients run in
//      a child process) before and after opening N idle exec sessions (`sleep`), divided by N.
// The apiserver and agent serve plain HTTP here (the TLS cost is the apiserver benchmark's subject).
// Usage (one real-containerd run at a time): npm run build && flock /tmp/steer-e2e.lock node --expose-gc dist/bench/exec.js
//        [--rounds 40] [--pf-rounds 5] [--sessions 50] [--only exec|portforward] [--kubectl PATH] [--kubectl-new PATH] [--state-dir DIR]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer } from '../apiserver';
import { KubeClient } from '../lib/client/client';
import { writeKubeconfig } from '../lib/client/kubeconfig';
import { Resources } from '../lib/api/resources';
import { CriRuntime, IMAGES, teardownRuntime } from '../node-agent';
import { ensureBenchRuntime } from './bench-cluster';
import { startCriBenchAgent } from './cri-agent';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const rounds = Number(arg('rounds', '40'));
const pfRounds = Number(arg('pf-rounds', '5'));
/** One part only: exec, portforward (default: all three). */
const only = arg('only', '');
const kubectl = arg('kubectl', path.join(__dirname, '..', '..', 'tools', 'kubectl', 'usr', 'bin', 'kubectl'));
const kubectlNew = arg('kubectl-new', '/usr/bin/kubectl');
const sessions = Number(arg('sessions', '50'));
const stateDir = arg('state-dir', '/var/lib/steer-bench/exec');
const ns = 'default';
const BIG = 64 * 1024 * 1024;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => pct(xs, 50);

/** One WebSocket v4 session to its close: ms from the connect to the close. */
function wsRoundTrip(url: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v4.channel.k8s.io'], { perMessageDeflate: false });
    let status = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] === 3) status = d.subarray(1).toString();
    });
    ws.on('close', () => (status.includes('Success') ? resolve(performance.now() - start) : reject(new Error(`no Success status: ${status}`))));
    ws.on('error', reject);
    ws.on('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

interface Download {
  mibPerS: number;
  /** CPU ms per MiB: the client (a child), this process (the apiserver and agent), containerd. */
  clientCpu: number;
  ourCpu: number;
  containerdCpu: number;
  /** Mean bytes per read (TCP) or per message (WebSocket) at the client. */
  chunk: number;
}

/** utime + stime of a process, ms. */
function processCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
}

/** One download of /big by the bench's client in a child process (exec-download.ts), and who spent the CPU. */
function childDownload(args: string[], containerdPid: number): Promise<Download> {
  const ours = process.cpuUsage();
  const theirs = processCpuMs(containerdPid);
  const child = spawn(process.execPath, [path.join(__dirname, 'exec-download.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const [bytes, ms, clientCpu, chunks] = out.trim().split(' ').map(Number);
      if (code !== 0) return reject(new Error(`download ${args.join(' ')}: ${err.trim() || `exit ${code}`}`));
      if (!(bytes >= BIG)) return reject(new Error(`short download ${args.join(' ')}: ${bytes} bytes`));
      const mib = bytes / 1048576;
      const our = process.cpuUsage(ours);
      resolve({
        mibPerS: mib / (ms / 1000),
        clientCpu: clientCpu / mib,
        ourCpu: (our.user + our.system) / 1000 / mib,
        containerdCpu: (processCpuMs(containerdPid) - theirs) / mib,
        chunk: bytes / chunks,
      });
    });
  });
}

/** A `kubectl port-forward` (SPDY, its own process) to the pod's :8080; resolves with its local port. */
function kubectlForward(kubectl: string, kubeconfig: string, pod: string): Promise<{ port: number; stop(): void }> {
  const child = spawn(kubectl, ['--kubeconfig', kubeconfig, 'port-forward', `pod/${pod}`, ':8080'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: path.dirname(kubeconfig) } });
  let out = '';
  return new Promise((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d.toString();
      const m = /127\.0\.0\.1:(\d+) -> 8080/.exec(out);
      if (m) resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${out}`)));
  });
}

function directDownload(ip: string, containerdPid: number): Promise<Download> {
  return childDownload(['tcp', ip, '8080'], containerdPid);
}

/** N idle exec sessions held by a child process (so their client memory is not ours); resolves once all are open. */
function holdSessions(url: string, n: number): Promise<{ release(): void }> {
  const script = `
    const WebSocket = require(${JSON.stringify(require.resolve('ws'))});
    let open = 0;
    for (let i = 0; i < ${n}; i++) {
      const ws = new WebSocket(${JSON.stringify(url)}, ['v4.channel.k8s.io'], { perMessageDeflate: false });
      ws.on('open', () => { if (++open === ${n}) console.log('open'); });
      ws.on('error', (e) => { console.error(e.message); process.exit(1); });
    }
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('open')) resolve({ release: () => child.stdin.end() });
    });
    child.on('exit', (code) => reject(new Error(`session holder exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const info = await ensureBenchRuntime({ stateDir, bridge: 'steerbench4', podSubnet: '10.212.0.0/24' });
  const cri = new CriRuntime(info.criSocket);
  const api = await startApiServer({ host: '127.0.0.1', port: 0 });
  const client = KubeClient.forServer(api.url);
  const agent = await startCriBenchAgent(client, cri, info, stateDir, 'bench-exec-node', {
    streamingLimits: { maxSessions: sessions + 16, maxSessionsPerPod: sessions + 16 },
  });
  try {
    await client.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'bb' },
      spec: {
        nodeName: 'bench-exec-node',
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'bb', image: IMAGES.busybox, command: ['sh', '-c', `mkdir -p /www && head -c ${BIG} /dev/urandom > /www/big && exec httpd -f -p 8080 -h /www`] }],
      },
    });
    let pod: Pod;
    for (;;) {
      pod = await client.get<Pod>(Resources.pods, ns, 'bb');
      if (pod.status?.phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const containerId = pod.status!.containerStatuses![0].containerID!.replace(/^containerd:\/\//, '');
    const ip = pod.status!.podIP!;
    // The file is written before httpd starts: wait until it serves it whole.
    for (;;) {
      const ok = await directDownload(ip, info.pids.containerd).then(() => true, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    // 1. exec -- true: the raw floor, the agent's /exec alone (agent → containerd), the apiserver's
    //    pods/exec (apiserver → agent → containerd), alternating; and what the agent asks containerd
    //    besides CRI Exec (the task's process list, for ending a session whose client left).
    if (only !== 'portforward') {
      const query = 'command=true&stdout=true&stderr=true';
      const ways: Array<{ name: string; run: () => Promise<number> }> = [
        {
          name: 'raw CRI Exec + streaming server (floor)',
          run: async () => {
            const start = performance.now();
            const url = await cri.exec(containerId, { cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: true });
            await wsRoundTrip(url.replace(/^http/, 'ws'));
            return performance.now() - start;
          },
        },
        { name: "agent's /exec", run: () => wsRoundTrip(`${agent.url.replace(/^http/, 'ws')}/exec/${ns}/bb/bb?${query}`) },
        { name: 'through steer (apiserver → agent)', run: () => wsRoundTrip(`${api.url.replace(/^http/, 'ws')}/api/v1/namespaces/${ns}/pods/bb/exec?${query}`) },
        {
          name: '(containerd task ListPids alone)',
          run: async () => {
            const start = performance.now();
            await cri.execProcesses(containerId);
            return performance.now() - start;
          },
        },
      ];
      const times = ways.map(() => [] as number[]);
      for (let i = 0; i < 3; i++) for (const w of ways) await w.run();
      for (let i = 0; i < rounds; i++) for (const [j, w] of ways.entries()) times[j].push(await w.run());
      console.log(`exec -- true round trip, ${rounds} each (alternating), WebSocket v4`);
      for (const [j, w] of ways.entries()) {
        const ratio = j === 1 || j === 2 ? `   ${(median(times[j]) / median(times[0])).toFixed(2)}× p50, ${(pct(times[j], 99) / pct(times[0], 99)).toFixed(2)}× p99${j === 2 ? ' (goal ≤ 1.3×)' : ''}` : '';
        console.log(`  ${w.name.padEnd(40)} p50 ${median(times[j]).toFixed(1).padStart(6)} ms   p99 ${pct(times[j], 99).toFixed(1).padStart(6)} ms${ratio}`);
      }
    }
    if (only === 'exec') return;

    // 2. port-forward throughput, every client in a child process: the pod IP (the floor); containerd's
    //    own port-forward, over WebSocket v4 and over SPDY (the CRI PortForward URL, for comparison); the
    //    agent's /portForward (the agent dials the pod, WebSocket); the apiserver's pods/portforward
    //    (apiserver → agent → pod, WebSocket: client-node's and steer's way); kubectl 1.20's and the
    //    current kubectl's port-forward (SPDY, one session for every connection, as a user runs it).
    const sandbox = (await cri.listPodSandboxes()).find((s) => s.name === 'bb' && s.namespace === ns && s.state === 'SANDBOX_READY');
    if (!sandbox) throw new Error('no ready sandbox for bb');
    const wsOf = (u: string) => u.replace(/^http/, 'ws');
    const pid = info.pids.containerd;
    type Way = { name: string; download: () => Promise<Download>; protocol?: 'ws' | 'spdy'; steer?: boolean };
    const ways: Way[] = [
      { name: 'pod IP directly (floor)', download: () => directDownload(ip, pid) },
      { name: "containerd's own, WebSocket", protocol: 'ws', download: async () => childDownload(['ws', wsOf(await cri.portForward(sandbox.id, [8080]))], pid) },
      { name: "containerd's own, SPDY", protocol: 'spdy', download: async () => childDownload(['spdy', await cri.portForward(sandbox.id, []), '8080'], pid) },
      { name: "agent's /portForward, WebSocket", protocol: 'ws', steer: true, download: () => childDownload(['ws', `${wsOf(agent.url)}/portForward/${ns}/bb?ports=8080`], pid) },
      { name: "apiserver's pods/portforward, WebSocket", protocol: 'ws', steer: true, download: () => childDownload(['ws', `${wsOf(api.url)}/api/v1/namespaces/${ns}/pods/bb/portforward?ports=8080`], pid) },
    ];
    const forwards: Array<{ port: number; stop(): void }> = [];
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'steer-bench-exec-')), 'kubeconfig');
    writeKubeconfig(kubeconfig, { server: api.url, namespace: ns });
    // kubectl 1.20 (SPDY) and the machine's current one (WebSocket tunnelling refused, then SPDY).
    for (const [bin, name] of [
      [kubectl, 'kubectl 1.20 port-forward, SPDY'],
      [kubectlNew, `${path.basename(kubectlNew)} (current) port-forward`],
    ] as const) {
      if (!fs.existsSync(bin)) continue;
      const forward = await kubectlForward(bin, kubeconfig, 'bb');
      forwards.push(forward);
      ways.push({ name, protocol: 'spdy', steer: true, download: () => childDownload(['tcp', '127.0.0.1', String(forward.port)], pid) });
    }
    const runs = ways.map(() => [] as Download[]);
    try {
      for (let i = 0; i < pfRounds; i++) for (const [j, w] of ways.entries()) runs[j].push(await w.download());
    } finally {
      for (const f of forwards) f.stop();
    }
    const med = (j: number, k: keyof Download) => median(runs[j].map((r) => r[k]));
    const floorSpeed = med(0, 'mibPerS');
    const runtimeSpeed = (protocol: Way['protocol']) => med(ways.findIndex((w) => w.protocol === protocol && !w.steer), 'mibPerS');
    console.log(`port-forward: ${BIG / 1048576} MiB HTTP download, ${pfRounds} each (alternating), clients in child processes, medians`);
    console.log(`  ${''.padEnd(40)} ${'MiB/s'.padStart(6)}  CPU ms/MiB: client  apiserver+agent  containerd   bytes/read`);
    for (const [j, w] of ways.entries()) {
      const m = med(j, 'mibPerS');
      const cpu = `${med(j, 'clientCpu').toFixed(2).padStart(19)}${med(j, 'ourCpu').toFixed(2).padStart(17)}${med(j, 'containerdCpu').toFixed(2).padStart(12)}${med(j, 'chunk').toFixed(0).padStart(13)}`;
      let ratios = j === 0 ? '' : `   ${(m / floorSpeed).toFixed(2)}× pod IP`;
      if (w.steer) ratios += `, ${(m / runtimeSpeed(w.protocol)).toFixed(2)}× containerd's own${w.name.startsWith('agent') ? '' : ' (goal ≥ 0.5× pod IP)'}`;
      console.log(`  ${w.name.padEnd(40)} ${m.toFixed(0).padStart(6)}  ${cpu}${ratios}`);
    }
    if (only === 'portforward') return;

    // 3. memory per open session
    const sleepUrl = `${api.url.replace(/^http/, 'ws')}/api/v1/namespaces/${ns}/pods/bb/exec?command=sleep&command=600&stdout=true&stderr=true`;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) console.log('  (run with node --expose-gc for a memory figure without garbage-collection noise)');
    const settle = async () => {
      gc?.();
      await new Promise((r) => setTimeout(r, 1000));
      gc?.();
      const m = process.memoryUsage();
      return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
    };
    const before = await settle();
    const held = await holdSessions(sleepUrl, sessions);
    const after = await settle();
    held.release();
    const kib = (n: number) => `${(n / sessions / 1024).toFixed(1)} KiB`;
    console.log(`memory: ${sessions} open exec sessions (apiserver + agent in this process; clients in a child)`);
    console.log(`  RSS ${(before.rss / 1048576).toFixed(1)} MiB → ${(after.rss / 1048576).toFixed(1)} MiB: ${kib(after.rss - before.rss)} per session; JS heap + buffers ${kib(after.heap - before.heap)} per session`);
  } finally {
    await agent.stop();
    cri.close();
    await api.close();
    client.close();
    await teardownRuntime(info.stateDir);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
