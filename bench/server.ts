// Memory of the all-in-one `steer server` (apiserver + scheduler + controllers + node agent in one
// process, what `steer up` starts) on real containerd with nginx at 30 replicas. Goal from the
// developers' guide: steer's own processes ≤ 150 MiB RSS on one node with 30 pods.
//   1. floors, measured in this run: a bare `node` idling, and a Node process with the server's flags
//      that loads the same entry script and modules as the server and idles (what the code costs
//      before it does anything);
//   2. `steer up` on its own state dir, ports, bridge and pod subnet (cli/cluster/up.ts, the same code
//      path and spawn flags users get), nginx from manifests/nginx.yaml scaled to 30 replicas, wait
//      until all 30 pods are Ready;
//   3. settle: a pod watch open, a pod LIST and a scrape of every /metrics endpoint every 2 s (what
//      `steer get -w` and Prometheus do);
//   4. sample VmRSS / VmHWM / RssAnon / RssFile of every steer process (the server and any node
//      descendant) every second, print them against the goal and the floors;
//   5. `steer down --purge` (server stopped by its saved PID, runtime torn down), floors killed by PID.
// Usage: npm run build && node dist/bench/server.js [--replicas 30] [--settle 20] [--sample 30]
//        [--state-dir DIR] [--keep]
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { clusterPaths, down, packageRoot, runningServerPid, serverEntry, serverNodeFlags, up } from '../cli/cluster';
import type { Streams } from '../cli/cluster';
import { KubeClient, WatchHandle } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { percentile } from './cri-floor';

const GOAL_MIB = 150;
const NS = 'default';

interface MemSample {
  rssKiB: number;
  hwmKiB: number;
  anonKiB: number;
  fileKiB: number;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function readMem(pid: number): MemSample | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), anonKiB: kib('RssAnon'), fileKiB: kib('RssFile') };
}

/** The server and every node process below it: what "steer's own processes" are on this node. */
function steerPids(serverPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    let exe = '';
    try {
      exe = fs.readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return;
    }
    if (pid === serverPid || exe === process.execPath) out.push(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(serverPid);
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)));
    req.on('error', reject);
  });
}

/** Spawns an idle Node process; resolves once it has loaded what it should and is idle. */
async function startFloor(name: string, args: string[]): Promise<{ name: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('IDLE')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`floor ${name} exited with ${code}`)));
  });
  return { name, child };
}

function stats(samples: number[]): { mean: number; max: number; p50: number } {
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples), p50: percentile(samples, 50) };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('server-bench')
    .option('--replicas <n>', 'nginx replicas', '30')
    .option('--settle <s>', 'seconds of watch/list/scrape traffic after all pods are Ready, before sampling', '20')
    .option('--sample <s>', 'seconds of RSS sampling (one sample a second)', '30')
    .option('--state-dir <dir>', 'state dir of the benchmark cluster', '/var/lib/steer-bench/server')
    .option('--bridge <name>', 'CNI bridge', 'steerbench2')
    .option('--pod-subnet <cidr>', 'pod subnet', '10.206.0.0/24')
    .option('--api-port <port>', 'apiserver port (loopback)', '26443')
    .option('--agent-port <port>', 'node agent port', '20250')
    .option('--scheduler-metrics-port <port>', 'scheduler /metrics port', '20251')
    .option('--controllers-metrics-port <port>', 'controllers /metrics port', '20252')
    .option('--node-flags <flags>', "the server process' Node/V8 flags, space-separated (default steer up's)")
    .option('--keep', 'leave the cluster running afterwards (steer down --state-dir DIR --purge removes it)', false)
    .parse(argv);
  const o = program.opts<{
    replicas: string;
    settle: string;
    sample: string;
    stateDir: string;
    bridge: string;
    podSubnet: string;
    apiPort: string;
    agentPort: string;
    schedulerMetricsPort: string;
    controllersMetricsPort: string;
    nodeFlags?: string;
    keep: boolean;
  }>();
  const nodeFlags = o.nodeFlags === undefined ? serverNodeFlags : o.nodeFlags.split(/\s+/).filter(Boolean);
  if (process.getuid?.() !== 0) throw new Error('bench/server needs root (containerd, CNI and cgroups)');
  const replicas = Number(o.replicas);
  const root = packageRoot();
  const quiet: Streams = { out: () => undefined, err: (t) => process.stderr.write(t) };
  const floors: Array<{ name: string; child: ChildProcess }> = [];
  let client: KubeClient | undefined;
  let watch: WatchHandle | undefined;
  let upDone = false;
  try {
    // 1. floors
    const idleScript = (requires: string[]) =>
      `${requires.map((m) => `require(${JSON.stringify(m)});`).join(' ')} global.gc(); setInterval(() => undefined, 1 << 30); console.log('IDLE');`;
    // Collected once after loading: an idle process may not collect for a long time, and what it has not
    // collected yet is noise, not a cost of the code.
    floors.push(await startFloor('bare node, idle', ['--expose-gc', '-e', idleScript([])]));
    // bin/steer.js runs the CLI's main module; requiring it loads every module the server process loads
    // at start (commands register eagerly) without starting anything.
    const entryModules = [path.join(root, 'dist', 'cli', 'main.js'), path.join(root, 'dist', 'cli', 'cluster', 'server.js')];
    floors.push(await startFloor(`server's modules and flags, idle`, [...nodeFlags, '--expose-gc', '-e', idleScript(entryModules)]));

    // 2. the cluster, as `steer up` makes it; never a server left over from an earlier --keep run,
    // whose figures would not be this build's
    if (runningServerPid(clusterPaths(o.stateDir))) {
      console.log(`stopping the steer server an earlier run left in ${o.stateDir}`);
      await down({ stateDir: o.stateDir, purge: true }, quiet);
    }
    const t0 = Date.now();
    const result = await up(
      {
        stateDir: o.stateDir,
        listen: `127.0.0.1:${o.apiPort}`,
        nodeName: 'steer-bench-server',
        agentPort: Number(o.agentPort),
        schedulerMetricsPort: Number(o.schedulerMetricsPort),
        controllersMetricsPort: Number(o.controllersMetricsPort),
        podSubnet: o.podSubnet,
        bridge: o.bridge,
        installDeps: false,
        manifest: path.join(root, 'manifests', 'nginx.yaml'),
        timeoutMs: 180_000,
        writeUserKubeconfig: false,
        serverNodeFlags: nodeFlags,
      },
      quiet,
    );
    upDone = true;
    const serverPid = result.info.pid;
    console.log(`server bench: steer up took ${((Date.now() - t0) / 1000).toFixed(1)} s; steer server PID ${serverPid}, apiserver ${result.info.apiserverUrl}`);
    client = KubeClient.load({ kubeconfig: result.kubeconfig });
    const c = client;
    const rssAt1 = readMem(serverPid);

    const t1 = Date.now();
    await c.patch(Resources.deployments, NS, 'nginx', { spec: { replicas } }, 'merge');
    const readyPods = async () => {
      const pods = await c.list<Pod>(Resources.pods, { namespace: NS, labelSelector: 'app=nginx' });
      return pods.items.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True')).length;
    };
    for (;;) {
      const n = await readyPods();
      if (n >= replicas) break;
      if (Date.now() - t1 > 300_000) throw new Error(`only ${n} of ${replicas} nginx pods Ready after 300 s`);
      await sleep(500);
    }
    console.log(`${replicas} nginx pods Ready ${((Date.now() - t1) / 1000).toFixed(1)} s after the scale`);

    // 3. settle with the traffic a user and Prometheus bring
    let watchEvents = 0;
    watch = await c.watch<Pod>(Resources.pods, { namespace: NS }, () => void watchEvents++, () => undefined);
    const metricsUrls = [
      `${result.info.apiserverUrl}/metrics`,
      `http://127.0.0.1:${result.info.schedulerMetricsPort}/metrics`,
      `http://127.0.0.1:${result.info.controllersMetricsPort}/metrics`,
      ...(fs.existsSync(result.paths.prometheusNodeTargets)
        ? (JSON.parse(fs.readFileSync(result.paths.prometheusNodeTargets, 'utf8')) as Array<{ targets: string[] }>).flatMap((t) => t.targets.map((h) => `http://${h}/metrics`))
        : []),
    ];
    let scrapeBytes = 0;
    let trafficError: Error | undefined;
    let traffic = true;
    const trafficLoop = (async () => {
      while (traffic) {
        try {
          await c.list<Pod>(Resources.pods, { namespace: NS });
          for (const u of metricsUrls) scrapeBytes += (await httpGet(u)).length;
        } catch (err) {
          trafficError = err as Error;
        }
        await sleep(2000);
      }
    })();
    await sleep(Number(o.settle) * 1000);

    // 4. samples
    const cpu0 = cpuSeconds(serverPid);
    const sample0 = Date.now();
    const perPid = new Map<number, MemSample[]>();
    const totals: number[] = [];
    for (let i = 0; i < Number(o.sample); i++) {
      let total = 0;
      for (const pid of steerPids(serverPid)) {
        const m = readMem(pid);
        if (!m) continue;
        perPid.set(pid, [...(perPid.get(pid) ?? []), m]);
        total += m.rssKiB;
      }
      totals.push(total);
      await sleep(1000);
    }
    const cpuShare = (cpuSeconds(serverPid) - cpu0) / ((Date.now() - sample0) / 1000);
    traffic = false;
    await trafficLoop;
    if (trafficError) console.log(`(traffic error during settle/sample: ${trafficError.message})`);
    const heap = await httpGet(`${result.info.apiserverUrl}/metrics`)
      .then((body) => {
        const v = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(body)?.[1] ?? NaN) / 2 ** 20;
        return { used: v('nodejs_heap_size_used_bytes'), total: v('nodejs_heap_size_total_bytes'), external: v('nodejs_external_memory_bytes') };
      })
      .catch(() => undefined);
    const floorMem = floors.map((f) => ({ name: f.name, mem: readMem(f.child.pid ?? 0) }));
    const stillReady = await readyPods();

    // report
    const mib = (kib: number) => kib / 1024;
    const f = (n: number) => n.toFixed(1);
    const total = stats(totals.map(mib));
    const appFloor = floorMem[1].mem ? mib(floorMem[1].mem.rssKiB) : NaN;
    const rows: string[][] = [['figure', 'MiB', 'floor (MiB)', 'ratio', 'goal']];
    rows.push([`steer processes, total VmRSS mean (${replicas} pods, ${totals.length} samples)`, f(total.mean), f(appFloor), `${(total.mean / appFloor).toFixed(2)}×`, `≤ ${GOAL_MIB} MiB: ${total.mean <= GOAL_MIB ? 'met' : 'NOT met'}`]);
    rows.push([`steer processes, total VmRSS max`, f(total.max), '', '', `≤ ${GOAL_MIB} MiB: ${total.max <= GOAL_MIB ? 'met' : 'NOT met'}`]);
    for (const [pid, samples] of perPid) {
      const last = samples[samples.length - 1];
      const label = pid === serverPid ? 'steer server' : `node child ${pid}`;
      rows.push([`${label}: VmRSS mean / max`, `${f(stats(samples.map((s) => mib(s.rssKiB))).mean)} / ${f(stats(samples.map((s) => mib(s.rssKiB))).max)}`, '', '', '']);
      rows.push([`${label}: VmHWM (peak since start)`, f(mib(last.hwmKiB)), '', '', '']);
      rows.push([`${label}: RssAnon / RssFile (last)`, `${f(mib(last.anonKiB))} / ${f(mib(last.fileKiB))}`, '', '', '']);
    }
    rows.push(['steer server CPU while sampling (% of one core; the cost of GC flags shows here)', f(cpuShare * 100) + ' %', '', '', '']);
    if (rssAt1) rows.push(['steer server VmRSS with 1 pod (after up)', f(mib(rssAt1.rssKiB)), '', '', '']);
    if (heap) rows.push(['steer server V8 heap used / total, external (end)', `${f(heap.used)} / ${f(heap.total)}, ${f(heap.external)}`, '', '', '']);
    for (const fl of floorMem) if (fl.mem) rows.push([`floor: ${fl.name}: VmRSS (RssAnon / RssFile)`, `${f(mib(fl.mem.rssKiB))} (${f(mib(fl.mem.anonKiB))} / ${f(mib(fl.mem.fileKiB))})`, '', '', '']);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    console.log('');
    for (const r of rows) console.log(r.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('  ').trimEnd());
    console.log(`\nserver flags: ${nodeFlags.join(' ') || '(none)'}; ${watchEvents} pod watch events, ${(scrapeBytes / 1024).toFixed(0)} KiB scraped from ${metricsUrls.length} /metrics endpoints during settle+sample`);
    console.log(`${stillReady} of ${replicas} nginx pods Ready at the end`);
    console.log(`load average at the end: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores (RSS barely depends on load; times do)`);
  } finally {
    watch?.stop();
    client?.close();
    for (const fl of floors) if (fl.child.exitCode === null) fl.child.kill('SIGKILL');
    if (!o.keep || !upDone) await down({ stateDir: o.stateDir, purge: true }, quiet);
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
