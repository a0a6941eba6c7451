// Cluster DNS benchmark. Every process is its own Node.js process, as in a cluster: the apiserver, the
// DNS server under test, the floor, the load generator (this process) and the flood.
//   1. Queries/s and p50/p99 latency for cluster names (A queries for <svc>.bench.svc.cluster.local over
//      500 Services, 100 in flight) against steer's DNS server (ClusterDns: informers, records,
//      handler, sockets), next to the floor measured in the same run: the same packet library
//      (dns-packet) answering a fixed A record from a bare UDP socket. Goal: ≥ 0.8× the floor's q/s.
//      Rounds alternate floor / steer; the medians (and the median of the per-round ratios) are reported.
//   2. Change → new answer: a Service created (or an endpoint added to a headless Service) → the
//      server answers it, polled every 2 ms; p50/p99/max over N changes, from the API request's start.
//   3. Bounded work: a node agent (fake runtime) with its DNS server, M pods bound at once → all
//      Running (after a warm-up batch), without and then during a query flood from another process
//      (500 in flight); the
//      agent's event-loop delay p99 and CPU share, and the queries answered during the flood.
//   4. Network programming latency (Kubernetes' SLI, real containerd, --no-network skips it): an nginx
//      pod becoming Ready (seen through a watch) → the first HTTP answer through its Service's
//      ClusterIP from the host, ×K.
// Usage: npm run build && flock /tmp/steer-e2e.lock node dist/bench/dns.js [--queries 20000]
//        [--rounds 5] [--changes 20] [--pods 50] [--programming 5] [--phases 1,2,3,4] [--no-network]
import { ChildProcess, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as readline from 'node:readline';
import { Command } from 'commander';
import * as dnsPacket from 'dns-packet';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { ClusterDns, CriRuntime, FakeRuntime, IMAGES, startNodeAgent, teardownRuntime } from '../node-agent';
import { ensureBenchRuntime } from './bench-cluster';
import { startCriBenchAgent } from './cri-agent';
import { percentile } from './cri-floor';

const SERVICES = 500;
const NS = 'bench';

// ---------------------------------------------------------------- child processes

/** Runs this script again in another role; resolves once it printed `READY <json>`. */
async function child(role: string, args: string[]): Promise<{ proc: ChildProcess; ready: Record<string, unknown>; lines: readline.Interface }> {
  const proc = spawn(process.execPath, [__filename, '--role', role, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout! });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l.startsWith('READY ')) resolve(JSON.parse(l.slice(6)) as Record<string, unknown>);
    });
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { proc, ready, lines };
}

/** Asks a child for a JSON line: writes `cmd`, resolves with the next `<cmd> <json>` it prints. */
function ask(c: { proc: ChildProcess; lines: readline.Interface }, cmd: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (l: string) => {
      if (!l.startsWith(`${cmd} `)) return;
      c.lines.off('line', on);
      resolve(JSON.parse(l.slice(cmd.length + 1)) as Record<string, unknown>);
    };
    c.lines.on('line', on);
    c.proc.stdin!.write(`${cmd}\n`);
  });
}

function onCommand(handlers: Record<string, () => unknown>): void {
  readline.createInterface({ input: process.stdin }).on('line', (l) => {
    const h = handlers[l.trim()];
    if (h) Promise.resolve(h()).then((v) => console.log(`${l.trim()} ${JSON.stringify(v ?? {})}`));
  });
  process.stdin.on('end', () => process.exit(0));
}

/** The floor: dns-packet answering one fixed A record from a bare UDP socket. */
async function floorRole(): Promise<void> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, r) => {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const answer = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: q.questions,
      answers: [{ name: q.questions![0].name, type: 'A', ttl: 5, data: '10.96.0.20' }],
    });
    s.send(answer, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  onCommand({});
  console.log(`READY ${JSON.stringify({ port: s.address().port })}`);
}

/** steer's DNS server alone: ClusterDns on informers from the apiserver, no iptables. */
async function serverRole(api: string): Promise<void> {
  const client = KubeClient.forServer(api);
  const dns = new ClusterDns({ client, nodeName: 'bench', clusterDomain: 'cluster.local', clusterIPs: [], listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], redirect: false, log: () => undefined });
  await dns.start();
  const [b] = await dns.serving;
  onCommand({});
  console.log(`READY ${JSON.stringify({ port: b.udpPort })}`);
}

/** A node agent on the fake runtime with its DNS server; reports its event-loop delay on request. */
async function agentRole(api: string): Promise<void> {
  const client = KubeClient.forServer(api);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const agent = await startNodeAgent({
    client,
    nodeName: 'dns-bench',
    runtime: new FakeRuntime(),
    stateDir: `/tmp/steer-dns-bench-${process.pid}`,
    cgroupFs: false,
    serve: false,
    address: '127.0.0.1',
    clusterDNS: [],
    dnsServer: { listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], redirect: false, log: () => undefined },
    log: () => undefined,
  });
  const [b] = await agent.dns!.serving;
  let cpuFrom = process.cpuUsage();
  let wallFrom = performance.now();
  onCommand({
    'reset-delay': () => {
      delay.reset();
      cpuFrom = process.cpuUsage();
      wallFrom = performance.now();
    },
    // The event loop's delay and the share of a core this process used since the reset.
    delay: () => {
      const cpu = process.cpuUsage(cpuFrom);
      return { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, cpu: (cpu.user + cpu.system) / 1000 / (performance.now() - wallFrom) };
    },
  });
  console.log(`READY ${JSON.stringify({ port: b.udpPort })}`);
}

/** Floods a DNS server with cluster-name queries, `inFlight` outstanding, until told to stop. */
async function floodRole(port: number, inFlight: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'svc-1.bench.svc.cluster.local', type: 'A' }] });
  let answered = 0;
  let stopped = false;
  const send = () => {
    if (!stopped) s.send(q, port, '127.0.0.1');
  };
  s.on('message', () => {
    answered++;
    send();
  });
  // Answers lost (dropped when the server's socket buffer overflows) are not replaced one by one: when
  // none came back for 100 ms, a new batch goes out, so the flood never dries up.
  let lastAnswered = -1;
  const refill = setInterval(() => {
    if (answered === lastAnswered) for (let i = 0; i < inFlight; i++) send();
    lastAnswered = answered;
  }, 100);
  onCommand({
    stop: () => {
      stopped = true;
      clearInterval(refill);
      return { answered };
    },
  });
  for (let i = 0; i < inFlight; i++) send();
  console.log(`READY ${JSON.stringify({})}`);
}

/** The apiserver in a child process, with its own Service range (no clash with a running cluster). */
async function apiserverRole(): Promise<void> {
  const { startApiServer } = await import('../apiserver');
  const s = await startApiServer({ host: '127.0.0.1', port: 0, serviceClusterIPRange: '10.218.0.0/16' });
  onCommand({});
  console.log(`READY ${JSON.stringify({ url: s.url })}`);
}

// ---------------------------------------------------------------- load generator

interface LoadResult {
  qps: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
}

/** `total` queries with `inFlight` outstanding; latency per answer, lost = no answer within 1 s. */
function load(port: number, total: number, inFlight: number): Promise<LoadResult> {
  const queries = Array.from({ length: SERVICES }, (_, i) => dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: `svc-${i}.${NS}.svc.cluster.local`, type: 'A' }] }));
  const s = dgram.createSocket('udp4');
  const sentAt = new Float64Array(65536);
  const outstanding = new Set<number>();
  const latencies: number[] = [];
  let next = 0;
  let lost = 0;
  let done = 0;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const send = () => {
      if (next >= total) return;
      const id = next % 65536;
      const q = Buffer.from(queries[next % queries.length]);
      q.writeUInt16BE(id, 0);
      next++;
      sentAt[id] = performance.now();
      outstanding.add(id);
      s.send(q, port, '127.0.0.1');
    };
    const finish = () => {
      done++;
      if (done === total) {
        clearInterval(sweep);
        s.close();
        const seconds = (performance.now() - t0) / 1000;
        resolve({ qps: (total - lost) / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), lost });
      } else send();
    };
    s.on('message', (m) => {
      const id = m.readUInt16BE(0);
      if (!outstanding.delete(id)) return;
      latencies.push(performance.now() - sentAt[id]);
      finish();
    });
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const id of [...outstanding]) {
        if (now - sentAt[id] > 1000) {
          outstanding.delete(id);
          lost++;
          finish();
        }
      }
    }, 100);
    for (let i = 0; i < inFlight; i++) send();
  });
}

/** One query; resolves with the decoded answer (undefined after timeoutMs). */
function query(port: number, name: string, timeoutMs = 500): Promise<dnsPacket.DecodedPacket | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
  });
}

/** Polls every 2 ms until the answer for `name` satisfies `ok`; resolves with the time it took. */
async function pollUntil(port: number, name: string, ok: (ips: string[]) => boolean, t0: number, timeoutMs = 10_000): Promise<number> {
  for (;;) {
    const a = await query(port, name);
    const ips = (a?.answers || []).map((x) => String((x as { data: unknown }).data));
    if (ok(ips)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${name}: no answer after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------- the phases

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const median = (xs: number[]) => percentile(xs, 50);

async function throughput(api: string, total: number, rounds: number): Promise<string[][]> {
  const floor = await child('floor', []);
  const server = await child('server', ['--api', api]);
  const floorPort = Number(floor.ready.port);
  const serverPort = Number(server.ready.port);
  // Every Service answered before measuring (the server's informers have them all).
  await pollUntil(serverPort, `svc-${SERVICES - 1}.${NS}.svc.cluster.local`, (ips) => ips.length > 0, performance.now(), 30_000);
  await load(floorPort, 2000, 100);
  await load(serverPort, 2000, 100);
  const runs: { floor: LoadResult[]; steer: LoadResult[] } = { floor: [], steer: [] };
  for (let r = 0; r < rounds; r++) {
    runs.floor.push(await load(floorPort, total, 100));
    runs.steer.push(await load(serverPort, total, 100));
  }
  floor.proc.kill();
  server.proc.kill();
  const m = (xs: LoadResult[], k: keyof LoadResult) => median(xs.map((x) => x[k]));
  // The machine's load drifts between rounds: each round's ratio compares neighbours, the median of them is reported.
  const ratio = median(runs.steer.map((x, i) => x.qps / runs.floor[i].qps));
  return [
    [`cluster-name A queries/s (${total}×${rounds}, 100 in flight; medians)`, `${m(runs.steer, 'qps').toFixed(0)}`, `${m(runs.floor, 'qps').toFixed(0)}`, `${f2(ratio)}×`, '≥ 0.8×'],
    ['latency p50', `${f2(m(runs.steer, 'p50Ms'))} ms`, `${f2(m(runs.floor, 'p50Ms'))} ms`, '', ''],
    ['latency p99', `${f2(m(runs.steer, 'p99Ms'))} ms`, `${f2(m(runs.floor, 'p99Ms'))} ms`, '', ''],
    ['lost answers', `${runs.steer.reduce((a, x) => a + x.lost, 0)}`, `${runs.floor.reduce((a, x) => a + x.lost, 0)}`, '', '0'],
    ['per-round q/s', runs.steer.map((x) => x.qps.toFixed(0)).join(' '), runs.floor.map((x) => x.qps.toFixed(0)).join(' '), runs.steer.map((x, i) => f2(x.qps / runs.floor[i].qps)).join(' '), ''],
  ];
}

async function changes(client: KubeClient, api: string, n: number): Promise<string[][]> {
  const server = await child('server', ['--api', api]);
  const port = Number(server.ready.port);
  const created: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const svc = await client.create<Service>(Resources.services, NS, { metadata: { name: `chg-${i}` }, spec: { ports: [{ port: 80 }] } });
    created.push(await pollUntil(port, `chg-${i}.${NS}.svc.cluster.local`, (ips) => ips.includes(svc.spec!.clusterIP!), t0));
  }
  await client.create<Service>(Resources.services, NS, { metadata: { name: 'hl' }, spec: { clusterIP: 'None', ports: [{ name: 'x', port: 9 }] } });
  const addresses: { ip: string }[] = [];
  const ep = await client.create<Endpoints>(Resources.endpoints, NS, { metadata: { name: 'hl' }, subsets: [] });
  const added: number[] = [];
  let current = ep;
  for (let i = 1; i <= n; i++) {
    addresses.push({ ip: `10.250.0.${i}` });
    const t0 = performance.now();
    current = await client.update<Endpoints>(Resources.endpoints, { ...current, subsets: [{ addresses: [...addresses], ports: [{ name: 'x', port: 9 }] }] });
    // The endpoint's own name: the Service's whole answer outgrows 512 bytes (TC) after a dozen.
    added.push(await pollUntil(port, `10-250-0-${i}.hl.${NS}.svc.cluster.local`, (ips) => ips.includes(`10.250.0.${i}`), t0));
  }
  server.proc.kill();
  return [
    [`Service created → answered (×${n})`, `p50 ${f1(percentile(created, 50))} ms`, `p99 ${f1(percentile(created, 99))} ms`, `max ${f1(Math.max(...created))} ms`, '< 1000 ms'],
    [`endpoint added → answered (×${n})`, `p50 ${f1(percentile(added, 50))} ms`, `p99 ${f1(percentile(added, 99))} ms`, `max ${f1(Math.max(...added))} ms`, '< 1000 ms'],
  ];
}

/** Pods bound to the fake agent at once → seconds until all are Running (polled every 50 ms). */
async function podsRunning(client: KubeClient, prefix: string, count: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client.create<Pod>(Resources.pods, NS, { metadata: { name: `${prefix}-${i}`, labels: { bench: prefix } }, spec: { nodeName: 'dns-bench', containers: [{ name: 'c', image: 'busybox' }] } }),
    ),
  );
  for (;;) {
    const pods = (await client.list<Pod>(Resources.pods, { namespace: NS, labelSelector: `bench=${prefix}` })).items;
    if (pods.filter((p) => p.status?.phase === 'Running').length === count) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function flood(client: KubeClient, api: string, count: number, rounds: number): Promise<string[][]> {
  const agent = await child('agent', ['--api', api]);
  const port = Number(agent.ready.port);
  // A first batch warms the agent up (JIT, informers, the fake runtime's images): not measured.
  await podsRunning(client, 'warm', count);
  const idle: number[] = [];
  const busy: number[] = [];
  const idleDelay: Record<string, unknown>[] = [];
  const busyDelay: Record<string, unknown>[] = [];
  let answered = 0;
  let floodMs = 0;
  // Idle and flooded batches alternate, so the machine's drifting load weighs on both alike.
  for (let r = 0; r < rounds; r++) {
    await ask(agent, 'reset-delay');
    idle.push(await podsRunning(client, `idle${r}`, count));
    idleDelay.push(await ask(agent, 'delay'));
    const flooder = await child('flood', ['--port', String(port), '--in-flight', '500']);
    await new Promise((res) => setTimeout(res, 500));
    await ask(agent, 'reset-delay');
    const t0 = performance.now();
    busy.push(await podsRunning(client, `flood${r}`, count));
    busyDelay.push(await ask(agent, 'delay'));
    answered += Number((await ask(flooder, 'stop')).answered);
    floodMs += performance.now() - t0 + 500;
    flooder.proc.kill();
  }
  agent.proc.kill();
  const med = (xs: Record<string, unknown>[], k: string) => median(xs.map((x) => Number(x[k])));
  return [
    [`${count} pods bound → all Running (median of ${rounds})`, `${f1(median(idle))} ms idle`, `${f1(median(busy))} ms under flood`, `${f2(median(busy) / median(idle))}×`, ''],
    ['  each round', idle.map(f1).join(' '), busy.map(f1).join(' '), '', ''],
    ['agent event-loop delay p99 (median)', `${f1(med(idleDelay, 'p99'))} ms idle`, `${f1(med(busyDelay, 'p99'))} ms under flood`, `max ${f1(Math.max(...busyDelay.map((x) => Number(x.max))))} ms`, ''],
    ['agent CPU (share of one core, median)', `${f2(med(idleDelay, 'cpu'))} idle`, `${f2(med(busyDelay, 'cpu'))} under flood`, '', ''],
    ['flood answered (500 in flight)', `${answered} queries`, `≈ ${(answered / (floodMs / 1000)).toFixed(0)} q/s`, '', ''],
  ];
}

function httpOk(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', timeout: 200, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function networkProgramming(client: KubeClient, k: number): Promise<string[][]> {
  const stateDir = '/var/lib/steer-bench/dns';
  const info = await ensureBenchRuntime({ stateDir, bridge: 'steerbenchd', podSubnet: '10.209.0.0/24' });
  const cri = new CriRuntime(info.criSocket);
  const ctl = await startControllers({ client, leaderElect: false, controllers: ['endpoints'], log: () => undefined });
  // Stats polling stays on (the agent's default) as in a real node.
  const agent = await startCriBenchAgent(client, cri, info, stateDir, 'dns-bench-real', {
    statsIntervalMs: undefined,
    serviceProxy: { instance: info.bridge, clusterCIDR: info.podSubnet },
  });
  const samples: number[] = [];
  const endpointsSamples: number[] = [];
  try {
    const svc = await client.create<Service>(Resources.services, NS, { metadata: { name: 'np' }, spec: { selector: { app: 'np' }, ports: [{ port: 80 }] } });
    const ip = svc.spec!.clusterIP!;
    for (let i = 0; i < k; i++) {
      const name = `np-${i}`;
      await client.create<Pod>(Resources.pods, NS, {
        metadata: { name, labels: { app: 'np' } },
        spec: { nodeName: 'dns-bench-real', terminationGracePeriodSeconds: 1, containers: [{ name: 'nginx', image: IMAGES.nginx, readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 } }] },
      });
      // Ready as a watcher of the API sees it (polled every 10 ms), then traffic through the ClusterIP.
      for (;;) {
        const p = await client.get<Pod>(Resources.pods, NS, name);
        if ((p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True')) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const ready = performance.now();
      let inEndpoints = 0;
      while (!(await httpOk(ip, 80))) {
        if (performance.now() - ready > 30_000) throw new Error(`no answer through ${ip} 30 s after ${name} was Ready`);
        if (!inEndpoints) {
          const ep = await client.get<Endpoints>(Resources.endpoints, NS, 'np').catch(() => undefined);
          const podIP = (await client.get<Pod>(Resources.pods, NS, name)).status?.podIP;
          if ((ep?.subsets || []).some((ss) => (ss.addresses || []).some((a) => a.ip === podIP))) inEndpoints = performance.now() - ready;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      endpointsSamples.push(inEndpoints || performance.now() - ready);
      samples.push(performance.now() - ready);
      await client.delete(Resources.pods, NS, name);
      for (;;) {
        if (!(await httpOk(ip, 80))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    await agent.stop();
    await ctl.stop();
    cri.close();
    await teardownRuntime(stateDir);
  }
  return [
    [`pod Ready → traffic through its ClusterIP (×${k})`, `p50 ${f1(percentile(samples, 50))} ms`, `max ${f1(Math.max(...samples))} ms`, '', ''],
    ['  of which Ready → the pod in Endpoints', `p50 ${f1(percentile(endpointsSamples, 50))} ms`, `max ${f1(Math.max(...endpointsSamples))} ms`, '', ''],
  ];
}

function table(title: string, header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] || '').length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (c || '').padEnd(widths[i])).join('  ')}`.trimEnd();
  return [title, line(header), ...rows.map(line)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('dns-bench')
    .option('--role <role>', '(internal) run as a child: floor, server, agent, flood, apiserver')
    .option('--api <url>', '(internal) apiserver URL')
    .option('--port <n>', '(internal) DNS port to flood')
    .option('--in-flight <n>', '(internal) flood queries outstanding', '500')
    .option('--queries <n>', 'queries per load round', '20000')
    .option('--rounds <n>', 'load rounds per server (alternating with the floor)', '5')
    .option('--changes <n>', 'Service and endpoint changes timed', '20')
    .option('--pods <n>', 'pods bound at once, idle and under flood', '50')
    .option('--flood-rounds <n>', 'idle / flooded batches, alternating', '3')
    .option('--programming <n>', 'pods timed from Ready to traffic through the ClusterIP', '5')
    .option('--phases <list>', 'which phases to run (comma-separated numbers)', '1,2,3,4')
    .option('--no-network', 'skip the network programming latency (phase 4: needs root and containerd)')
    .parse(argv);
  const o = program.opts<{ role?: string; api?: string; port?: string; inFlight: string; queries: string; rounds: string; changes: string; pods: string; floodRounds: string; programming: string; phases: string; network: boolean }>();
  const phases = new Set(o.phases.split(',').map((x) => x.trim()));
  if (!o.network) phases.delete('4');
  switch (o.role) {
    case 'floor':
      return floorRole();
    case 'server':
      return serverRole(o.api!);
    case 'agent':
      return agentRole(o.api!);
    case 'flood':
      return floodRole(Number(o.port), Number(o.inFlight));
    case 'apiserver':
      return apiserverRole();
    default:
  }
  const api = await child('apiserver', []);
  const url = String(api.ready.url);
  const client = KubeClient.forServer(url);
  try {
    await client.create(Resources.namespaces, undefined, { metadata: { name: NS } });
    for (let i = 0; i < SERVICES; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, SERVICES - i) }, (_, j) => client.create<Service>(Resources.services, NS, { metadata: { name: `svc-${i + j}` }, spec: { ports: [{ port: 80 }] } })),
      );
    }
    const out: string[] = [];
    const phase = async (n: string, title: string, header: string[], run: () => Promise<string[][]>) => {
      if (!phases.has(n)) return;
      out.push(table(`${n}. ${title}`, header, await run()));
      console.error(out[out.length - 1]);
    };
    await phase('1', 'cluster DNS throughput (UDP, loopback)', ['measure', 'steer', 'floor', 'ratio', 'goal'], () => throughput(url, Number(o.queries), Number(o.rounds)));
    await phase('2', 'change → new answer', ['measure', '', '', '', 'goal'], () => changes(client, url, Number(o.changes)));
    await phase('3', 'bounded work: pod sync under a query flood (fake runtime)', ['measure', 'idle', 'flood', 'ratio', ''], () => flood(client, url, Number(o.pods), Number(o.floodRounds)));
    await phase('4', 'network programming latency (real containerd)', ['measure', '', '', '', ''], () => networkProgramming(client, Number(o.programming)));
    console.log(`\ncluster DNS benchmark (${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})\n`);
    console.log(out.join('\n\n'));
  } finally {
    client.close();
    api.proc.kill();
  }
}

main(process.argv).then(
  () => {
    // Children keep serving until their stdin closes; the driver is done.
    if (!isChildRole(process.argv)) process.exit(0);
  },
  (err: Error) => {
    console.error(err.stack || err.message);
    process.exit(1);
  },
);

function isChildRole(argv: string[]): boolean {
  return argv.includes('--role');
}
