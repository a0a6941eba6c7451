// What a long-lived watch of an in-process component costs in RSS (issue 20's memory): `steer server`'s
// components used to reach their own apiserver over loopback HTTPS (client certificate), then its local
// Unix socket without TLS (per-component tokens, apiserver/auth/local-socket.ts), and now no connection
// at all (apiserver/in-process.ts, the same tokens). Each run is a
// fresh child process (so one run's freed buffers do not serve the next) holding an apiserver with TLS
// and a local socket, and one client of each kind; it opens --watches watches the one way and reports
// the RSS they added after GC (both ends: client and server live in the one process, as in steer server).
// Each run then times --creates ConfigMap creates, one after another, over its transport: the CPU per
// request of client and server together (the in-process components' every write pays it).
// Runs alternate TLS, socket and in-process; printed: per-watch KiB and CPU µs per create of each,
// min/median/max, and the ratios.
// Usage: npm run build && flock /tmp/steer-e2e.lock node dist/bench/connection-cost.js [--watches 80] [--runs 3]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { startApiServer } from '../apiserver';
import { certificateUser, ensureClusterPki } from '../cli/cluster/pki';
import { KubeClient, type WatchHandle } from '../lib/client/client';
import { Resources } from '../lib/api/resources';

type Transport = 'tls' | 'socket' | 'inprocess';
const TRANSPORTS: Transport[] = ['tls', 'socket', 'inprocess'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

/** The child: one apiserver, `watches` watches over one transport; prints the RSS they added (MiB). */
async function child(transport: Transport, watches: number, creates: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-conn-cost-'));
  try {
    const pki = await ensureClusterPki({ dir: path.join(dir, 'pki'), apiserverNames: ['127.0.0.1'], nodes: [{ name: 'n1', addresses: ['127.0.0.1'] }] });
    const socketPath = path.join(dir, 'api.sock');
    const tokens = new Map([['bench-token', certificateUser(pki.admin.cert)]]);
    const api = await startApiServer({ host: '127.0.0.1', port: 0, tlsCertFile: pki.apiserver.certFile, tlsKeyFile: pki.apiserver.keyFile, clientCAFile: pki.caFile, anonymousAuth: false, localSocket: { path: socketPath, tokens } });
    const client = transport === 'tls'
      ? KubeClient.fromCredentials({ server: api.url, ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key })
      : KubeClient.fromCredentials({ server: 'http://localhost', socketPath, token: 'bench-token', inProcess: transport === 'inprocess' ? api.inProcess : undefined });
    // One request first: the code paths of either transport are loaded before the baseline.
    await client.list(Resources.pods, { namespace: 'default' });
    await sleep(500);
    const before = rssAfterGc();
    const handles: WatchHandle[] = [];
    for (let i = 0; i < watches; i++) handles.push(await client.watch(Resources.pods, { namespace: `ns-${i}` }, () => undefined, () => undefined));
    await sleep(1500);
    const added = rssAfterGc() - before;
    const cm = (i: number) => ({ metadata: { name: `cm-${i}` }, data: { key: 'x'.repeat(200) } });
    for (let i = 0; i < 200; i++) await client.create(Resources.configmaps, 'default', cm(-1 - i)); // warm-up
    const cpu = process.cpuUsage();
    for (let i = 0; i < creates; i++) await client.create(Resources.configmaps, 'default', cm(i));
    const used = process.cpuUsage(cpu);
    const cpuPerCreateUs = (used.user + used.system) / creates;
    handles.forEach((h) => h.stop());
    client.close();
    await api.close();
    process.stdout.write(`${JSON.stringify({ added, cpuPerCreateUs })}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(0)}  median ${s[Math.floor(s.length / 2)].toFixed(0)}  max ${s[s.length - 1].toFixed(0)}`;
}

async function main(): Promise<void> {
  const o = new Command('connection-cost')
    .option('--watches <n>', 'watches per run', '80')
    .option('--runs <n>', 'runs of each transport, alternating', '3')
    .option('--creates <n>', 'ConfigMap creates timed per run', '2000')
    .option('--role <transport>', '(internal) a child run: tls, socket or inprocess')
    .parse()
    .opts<{ watches: string; runs: string; creates: string; role?: Transport }>();
  const watches = Number(o.watches);
  const creates = Number(o.creates);
  if (o.role) return child(o.role, watches, creates);
  const perWatchKiB: Record<Transport, number[]> = { tls: [], socket: [], inprocess: [] };
  const cpuPerCreate: Record<Transport, number[]> = { tls: [], socket: [], inprocess: [] };
  for (let run = 0; run < Number(o.runs); run++) {
    for (const transport of TRANSPORTS) {
      // MALLOC_ARENA_MAX=1 as `steer up` starts the server.
      const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--role', transport, '--watches', String(watches), '--creates', String(creates)], { encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '1' } });
      if (r.status !== 0) throw new Error(`${transport} run failed: ${r.stderr}`);
      const { added, cpuPerCreateUs } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { added: number; cpuPerCreateUs: number };
      perWatchKiB[transport].push((added * 1024) / watches);
      cpuPerCreate[transport].push(cpuPerCreateUs);
      console.log(`run ${run + 1} ${transport.padEnd(9)}: ${watches} watches added ${added.toFixed(1)} MiB RSS (${((added * 1024) / watches).toFixed(0)} KiB per watch); ${creates} creates ${cpuPerCreateUs.toFixed(0)} µs CPU each`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nKiB of RSS per in-process watch (client and server ends), load ${os.loadavg()[0].toFixed(1)}:`);
  console.log(`  loopback TLS  ${stats(perWatchKiB.tls)}`);
  console.log(`  local socket  ${stats(perWatchKiB.socket)}`);
  console.log(`  in-process    ${stats(perWatchKiB.inprocess)}`);
  console.log(`  TLS / socket (medians): ${(median(perWatchKiB.tls) / Math.max(1, median(perWatchKiB.socket))).toFixed(1)}×; for 81 watches ${((median(perWatchKiB.tls) - median(perWatchKiB.socket)) * 81 / 1024).toFixed(1)} MiB saved`);
  console.log(`  socket / in-process (medians): ${(median(perWatchKiB.socket) / Math.max(1, median(perWatchKiB.inprocess))).toFixed(1)}×; for 81 watches ${((median(perWatchKiB.socket) - median(perWatchKiB.inprocess)) * 81 / 1024).toFixed(1)} MiB saved`);
  console.log(`\nCPU µs per ConfigMap create, client and server together (${creates} one after another per run):`);
  console.log(`  loopback TLS  ${stats(cpuPerCreate.tls)}`);
  console.log(`  local socket  ${stats(cpuPerCreate.socket)}`);
  console.log(`  in-process    ${stats(cpuPerCreate.inprocess)}`);
  console.log(`  in-process / socket (medians): ${(median(cpuPerCreate.inprocess) / median(cpuPerCreate.socket)).toFixed(2)}×`);
}

main().catch((err: Error) => {
  console.error(err.stack || err.message);
  process.exit(1);
});
