// Interactive pods on real containerd, every figure next to its floor measured in the same run:
//   1. `exec -- true` round trip (WebSocket v4 connect → final Status → close) through steer — the
//      apiserver's pods/exec, the node agent's /exec, CRI Exec, containerd's streaming server — next to the
//      raw floor: CRI Exec called directly and the same WebSocket to the URL it answers (goal ≤ 1.3×);
//      rounds alternate the two; p50/p99;
//   2. port-forward throughput: a 64 MiB HTTP/1.0 download from a busybox httpd through pods/portforward
//      (WebSocket, one per connection) next to the same download from the pod IP (goal ≥ 0.5×); medians;
//   3. memory per open session: RSS of this process (the apiserver and the node agent; the clients run in
//      a child process) before and after opening N idle exec sessions (`sleep`), divided by N.
// The apiserver and agent serve plain HTTP here (the TLS cost is the apiserver benchmark's subject).
// Usage (one real-containerd run at a time): npm run build && flock /tmp/steer-e2e.lock node --expose-gc dist/bench/exec.js
//        [--rounds 40] [--sessions 50] [--state-dir DIR]
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import WebSocket from 'ws';
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer } from '../apiserver';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CriRuntime, ensureRuntime, IMAGES, teardownRuntime } from '../node-agent';
import { startCriBenchAgent } from './cri-agent';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const rounds = Number(arg('rounds', '40'));
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

/** Bytes of an HTTP/1.0 GET of /big over a duplex, until its end: MiB/s. */
function download(send: (b: Buffer) => void, onData: (cb: (b: Buffer) => void) => void, onEnd: (cb: () => void) => void): Promise<number> {
  const start = performance.now();
  let bytes = 0;
  return new Promise((resolve, reject) => {
    onData((b) => (bytes += b.length));
    onEnd(() => (bytes >= BIG ? resolve(bytes / 1048576 / ((performance.now() - start) / 1000)) : reject(new Error(`short download: ${bytes} bytes`))));
    send(Buffer.from('GET /big HTTP/1.0\r\n\r\n'));
  });
}

function directDownload(ip: string): Promise<number> {
  const sock = net.connect(8080, ip);
  return new Promise((resolve, reject) => {
    sock.on('error', reject);
    sock.on('connect', () => {
      download((b) => sock.write(b), (cb) => sock.on('data', cb), (cb) => sock.on('end', cb)).then(resolve, reject);
    });
  });
}

function forwardedDownload(apiUrl: string, pod: string): Promise<number> {
  const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/api/v1/namespaces/${ns}/pods/${pod}/portforward?ports=8080`, ['v4.channel.k8s.io'], { perMessageDeflate: false });
  const prefixSeen = [false, false];
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => {
      download(
        (b) => ws.send(Buffer.concat([Buffer.from([0]), b])),
        (cb) =>
          ws.on('message', (d: Buffer) => {
            const ch = d[0];
            if (ch !== 0 && ch !== 1) return;
            let payload = d.subarray(1);
            if (!prefixSeen[ch]) {
              prefixSeen[ch] = true;
              payload = payload.subarray(2); // the port, two bytes
            }
            if (ch === 0 && payload.length) cb(payload);
          }),
        (cb) => ws.on('close', cb),
      ).then(resolve, reject);
    });
  });
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
  const info = await ensureRuntime({ stateDir, bridge: 'steerbench4', podSubnet: '10.212.0.0/24' });
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
      const ok = await directDownload(ip).then(() => true, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    // 1. exec -- true
    const steerUrl = `${api.url.replace(/^http/, 'ws')}/api/v1/namespaces/${ns}/pods/bb/exec?command=true&stdout=true&stderr=true`;
    const floor: number[] = [];
    const steer: number[] = [];
    const raw = async () => {
      const start = performance.now();
      const url = await cri.exec(containerId, { cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: true });
      await wsRoundTrip(url.replace(/^http/, 'ws'));
      return performance.now() - start;
    };
    for (let i = 0; i < 3; i++) {
      await raw();
      await wsRoundTrip(steerUrl);
    }
    for (let i = 0; i < rounds; i++) {
      floor.push(await raw());
      steer.push(await wsRoundTrip(steerUrl));
    }
    console.log(`exec -- true round trip, ${rounds} each (alternating), WebSocket v4`);
    console.log(`  raw CRI Exec + streaming server (floor)   p50 ${median(floor).toFixed(1)} ms   p99 ${pct(floor, 99).toFixed(1)} ms`);
    console.log(`  through steer (apiserver → agent)         p50 ${median(steer).toFixed(1)} ms   p99 ${pct(steer, 99).toFixed(1)} ms   ${(median(steer) / median(floor)).toFixed(2)}× p50, ${(pct(steer, 99) / pct(floor, 99)).toFixed(2)}× p99 (goal ≤ 1.3×)`);

    // 2. port-forward throughput
    const direct: number[] = [];
    const forwarded: number[] = [];
    for (let i = 0; i < 5; i++) {
      direct.push(await directDownload(ip));
      forwarded.push(await forwardedDownload(api.url, 'bb'));
    }
    console.log(`port-forward: ${BIG / 1048576} MiB HTTP download, 5 each (alternating), medians`);
    console.log(`  pod IP directly (floor)                   ${median(direct).toFixed(0)} MiB/s`);
    console.log(`  through steer's pods/portforward          ${median(forwarded).toFixed(0)} MiB/s   ${(median(forwarded) / median(direct)).toFixed(2)}× (goal ≥ 0.5×)`);

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
