// API server benchmark (issue 3). Against one `steer apiserver` child process (in-memory storage, or
// LevelDB with --data-dir) on this machine:
//   1. p50/p99 latency of create, update (PUT) and get at a fixed, open-loop 500 requests/s each;
//   2. LIST of 10,000 pods (JSON, and as a kubectl Table), and the server CPU time one LIST costs;
//   3. pods/binding throughput with 64 requests in flight (the scheduler's path);
//   4. watch fan-out: 1,000 watchers each receive all of 1,000 writes, none missed, in order;
//   5. security's cost (issue 12): create p50/p99 at the same rate over TLS with a client certificate,
//      authorized as a user bound to `edit` (RBAC when the apiserver has it — `--authorization-mode` —,
//      else an RBAC-shaped stand-in, bench/authorizer-stand-in.ts) next to plain HTTP without
//      authorization, two fresh apiservers measured in alternation in the same run (goal <= 1.25x).
// Each figure of 1-4 is printed next to a floor measured in the same run against a trivial Node HTTP server
// (same machine, same client, same bytes): what any Node server costs, so the ratio is the apiserver's.
//
// Usage: npm run build && node dist/bench/apiserver.js [--rate 500] [--seconds 6] [--pods 10000]
//        [--list-runs 9] [--watchers 1000] [--writes 1000] [--data-dir DIR] [--only latency,list,fanout,secure]
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCA, issueCertificate, writeCertKey } from '../lib/component/pki';
import { agent, cm, cpuMs, fixedRate, ok, openWatchers, pct, pod, request, ROOT, secureAgents, startChild, withConcurrency } from './load';

interface Options {
  rate: number;
  seconds: number;
  pods: number;
  /** LISTs of all pods timed, each against the apiserver and then the floor. */
  listRuns: number;
  watchers: number;
  writes: number;
  dataDir?: string;
  /** Run only these parts (latency, list, fanout); default all. */
  only?: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rate: 500, seconds: 6, pods: 10_000, listRuns: 9, watchers: 1000, writes: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const val = argv[++i];
    if (key === 'dataDir') o.dataDir = val;
    else if (key === 'only') o.only = val.split(',');
    else if (key in o) (o as unknown as Record<string, number>)[key] = Number(val);
    else throw new Error(`unknown option ${argv[i - 1]}`);
  }
  return o;
}

/** The floor: a Node HTTP server that does no work beyond answering with canned bytes. */
const FLOOR_SERVER = `
const http = require('http');
let listBody = '{}';
const watchers = new Set();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/setlist')) { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => { listBody = Buffer.concat(c); res.end('{}'); }); return; }
  if (req.url.startsWith('/list')) { res.writeHead(200, {'content-type': 'application/json'}); res.end(listBody); return; }
  if (req.url.startsWith('/watch')) { res.writeHead(200, {'content-type': 'application/json'}); res.flushHeaders(); watchers.add(res); res.on('close', () => watchers.delete(res)); return; }
  if (req.url.startsWith('/write')) {
    const c = []; req.on('data', (d) => c.push(d));
    req.on('end', () => { const line = '{"type":"ADDED","object":' + Buffer.concat(c).toString() + '}\\n'; for (const w of watchers) w.write(line); res.end('{}'); });
    return;
  }
  req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"}}'); });
});
server.listen(0, '127.0.0.1', () => console.log('floor on http://127.0.0.1:' + server.address().port));
`;

// ---- figures ------------------------------------------------------------------------------------

interface Row {
  what: string;
  figure: string;
  floor: string;
  ratio: string;
  goal?: string;
}
const rows: Row[] = [];
const ms = (n: number) => `${n.toFixed(2)} ms`;

function addLatencyRow(what: string, r: { p50: number; p99: number; errors: number; achieved: number }, f: { p50: number; p99: number }, goal?: string) {
  rows.push({ what: `${what} p50`, figure: ms(r.p50), floor: ms(f.p50), ratio: `${(r.p50 / f.p50).toFixed(1)}x` });
  rows.push({ what: `${what} p99`, figure: ms(r.p99), floor: ms(f.p99), ratio: `${(r.p99 / f.p99).toFixed(1)}x`, goal });
  if (r.errors) rows.push({ what: `${what} errors`, figure: String(r.errors), floor: '0', ratio: '' });
}

async function latencyBench(api: string, floor: string, o: Options): Promise<void> {
  const ns = '/api/v1/namespaces/default/configmaps';
  const fl = await fixedRate(o.rate, o.seconds, async () => void (await ok(floor, 'POST', '/x', cm('f', 0))));
  process.stderr.write(`  floor p50 ${fl.p50.toFixed(2)} ms\n`);
  const create = await fixedRate(o.rate, o.seconds, async (i) => void (await ok(api, 'POST', ns, cm(`lat-${i}`, 0))));
  addLatencyRow(`create @${o.rate}/s`, create, fl, 'goal p99 <= 10 ms');
  const n = Math.round(o.rate * o.seconds);
  const update = await fixedRate(o.rate, o.seconds, async (i) => void (await ok(api, 'PUT', `${ns}/lat-${i % n}`, cm(`lat-${i % n}`, 1))));
  addLatencyRow(`update (PUT) @${o.rate}/s`, update, fl, 'goal p99 <= 10 ms');
  const get = await fixedRate(o.rate, o.seconds, async (i) => void (await ok(api, 'GET', `${ns}/lat-${i % n}`)));
  const flGet = await fixedRate(o.rate, o.seconds, async () => void (await ok(floor, 'GET', '/x')));
  addLatencyRow(`get @${o.rate}/s`, get, flGet);
}

async function listBench(api: string, floor: string, pids: { api?: number; floor?: number }, o: Options): Promise<void> {
  await ok(api, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bench' } }));
  const names = Array.from({ length: o.pods }, (_, i) => `pod-${String(i).padStart(5, '0')}`);
  const t0 = performance.now();
  await withConcurrency(32, names, async (name) => void (await ok(api, 'POST', '/api/v1/namespaces/bench/pods', pod(name))));
  const createRate = o.pods / ((performance.now() - t0) / 1000);
  rows.push({ what: `create ${o.pods} pods (32 in flight)`, figure: `${createRate.toFixed(0)} /s`, floor: '', ratio: '' });

  const timeIt = async (fn: () => Promise<unknown>, runs = 5) => {
    const t: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      await fn();
      t.push(performance.now() - s);
    }
    return t.sort((a, b) => a - b);
  };
  // The apiserver's and the floor's LISTs alternate, so that both see the same load on a shared machine.
  const body = await ok(api, 'GET', '/api/v1/namespaces/bench/pods');
  const bytes = body.length;
  await ok(floor, 'POST', '/setlist', body);
  const list: number[] = [];
  const fl: number[] = [];
  const listCpu: number[] = [];
  const flCpu: number[] = [];
  const timeList = async (base: string, p: string, pid: number | undefined, times: number[], cpu: number[]) => {
    const c0 = cpuMs(pid);
    const s = performance.now();
    const parsed = JSON.parse(await ok(base, 'GET', p)) as { items: unknown[] };
    times.push(performance.now() - s);
    const c1 = cpuMs(pid);
    if (c0 !== undefined && c1 !== undefined) cpu.push(c1 - c0);
    if (parsed.items.length !== o.pods) throw new Error(`LIST returned ${parsed.items.length} pods`);
  };
  for (let i = 0; i < o.listRuns; i++) {
    await timeList(api, '/api/v1/namespaces/bench/pods', pids.api, list, listCpu);
    await timeList(floor, '/list', pids.floor, fl, flCpu);
  }
  for (const t of [list, fl, listCpu, flCpu]) t.sort((a, b) => a - b);
  rows.push({ what: `LIST ${o.pods} pods (JSON, ${(bytes / 1e6).toFixed(1)} MB, median of ${o.listRuns})`, figure: ms(pct(list, 50)), floor: ms(pct(fl, 50)), ratio: `${(pct(list, 50) / pct(fl, 50)).toFixed(1)}x`, goal: 'goal <= 150 ms' });
  if (listCpu.length && flCpu.length) {
    // CPU time is far less disturbed by other load than wall time: what one LIST costs the server.
    rows.push({ what: '  server CPU time per LIST (median)', figure: ms(pct(listCpu, 50)), floor: ms(pct(flCpu, 50)), ratio: `${(pct(listCpu, 50) / pct(flCpu, 50)).toFixed(1)}x` });
  }
  const table = await timeIt(async () => {
    const r = await request(api, 'GET', '/api/v1/namespaces/bench/pods?limit=500', undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    if (r.code !== 200) throw new Error(`table list ${r.code}`);
  });
  rows.push({ what: 'LIST 500 pods as a Table (kubectl get)', figure: ms(pct(table, 50)), floor: '', ratio: '' });
  const all = await timeIt(async () => {
    const r = await request(api, 'GET', '/api/v1/namespaces/bench/pods', undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    if (r.code !== 200) throw new Error(`table list ${r.code}`);
  }, 3);
  rows.push({ what: `LIST ${o.pods} pods as a Table`, figure: ms(pct(all, 50)), floor: '', ratio: '' });

  // Bindings, as the scheduler sends them.
  const toBind = names.slice(0, Math.min(5000, names.length));
  const b0 = performance.now();
  await withConcurrency(64, toBind, async (name, i) =>
    void (await ok(api, 'POST', `/api/v1/namespaces/bench/pods/${name}/binding`, JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: `node-${i % 100}` } }))),
  );
  const bindRate = toBind.length / ((performance.now() - b0) / 1000);
  const f0 = performance.now();
  await withConcurrency(64, toBind, async () => void (await ok(floor, 'POST', '/x', '{"apiVersion":"v1","kind":"Binding"}')));
  const floorRate = toBind.length / ((performance.now() - f0) / 1000);
  rows.push({ what: `pods/binding, 64 in flight (${toBind.length})`, figure: `${bindRate.toFixed(0)} /s`, floor: `${floorRate.toFixed(0)} /s`, ratio: `${(floorRate / bindRate).toFixed(1)}x` });
}

async function fanoutBench(api: string, floor: string, o: Options): Promise<void> {
  await ok(api, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'fan' } }));
  const rv = (JSON.parse(await ok(api, 'GET', '/api/v1/namespaces/fan/configmaps')) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const checkOrder = (lines: string[]) => {
    const events = lines.map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string; resourceVersion: string } } });
    const names = new Set(events.map((e) => e.object.metadata.name));
    if (names.size !== o.writes) throw new Error(`watcher 0 saw ${names.size} distinct objects`);
    const revs = events.map((e) => Number(e.object.metadata.resourceVersion));
    for (let i = 1; i < revs.length; i++) if (revs[i] <= revs[i - 1]) throw new Error('events out of order');
  };
  const w = await openWatchers(api, `/api/v1/namespaces/fan/configmaps?watch=true&resourceVersion=${rv}`, o.watchers, o.writes, checkOrder);
  await w.ready;
  const items = Array.from({ length: o.writes }, (_, i) => i);
  const t0 = performance.now();
  await withConcurrency(16, items, async (i) => void (await ok(api, 'POST', '/api/v1/namespaces/fan/configmaps', cm(`fan-${i}`, i))));
  const writesDone = performance.now();
  const doneAt = await w.done;
  const total = Math.max(...doneAt) - t0;
  w.close();

  // Floor: the trivial server writes the same event lines to the same number of sockets.
  const fw = await openWatchers(floor, '/watch', o.watchers, o.writes, () => undefined);
  await fw.ready;
  await new Promise((r) => setTimeout(r, 200));
  const f0 = performance.now();
  const sample = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fan-0', namespace: 'fan', resourceVersion: '1', uid: '00000000-0000-0000-0000-000000000000', creationTimestamp: '2026-01-01T00:00:00Z', labels: { bench: 'true' } }, data: { v: '0', payload: 'x'.repeat(200) } });
  await withConcurrency(16, items, async () => void (await ok(floor, 'POST', '/write', sample)));
  const fDone = await fw.done;
  const floorTotal = Math.max(...fDone) - f0;
  fw.close();
  rows.push({
    what: `watch fan-out: ${o.watchers} watchers x ${o.writes} writes, all delivered`,
    figure: ms(total),
    floor: ms(floorTotal),
    ratio: `${(total / floorTotal).toFixed(1)}x`,
  });
  rows.push({ what: '  (writes alone took)', figure: ms(writesDone - t0), floor: '', ratio: '' });
  rows.push({ what: '  events delivered per second', figure: `${((o.watchers * o.writes) / (total / 1000)).toFixed(0)} /s`, floor: `${((o.watchers * o.writes) / (floorTotal / 1000)).toFixed(0)} /s`, ratio: '' });
}

/** Whether this build's `steer apiserver` has RBAC (sec-b's --authorization-mode). */
function apiserverHasRbac(): boolean {
  const help = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'steer.js'), 'apiserver', '--help'], { encoding: 'utf8' });
  return /--authorization-mode/.test(help.stdout ?? '');
}

async function secureBench(o: Options): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-bench-pki-'));
  const children: ChildProcess[] = [];
  try {
    const ca = await createCA('bench-ca');
    writeCertKey(dir, 'ca', ca);
    writeCertKey(dir, 'serving', await issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' }));
    // A user with no privileged group: every request is decided by the authorizer's rules.
    const user = await issueCertificate(ca, { commonName: 'bench-user', organizations: ['bench'], usage: 'client' });
    const admin = await issueCertificate(ca, { commonName: 'bench-admin', organizations: ['system:masters'], usage: 'client' });
    const tls = ['--tls-cert-file', path.join(dir, 'serving.crt'), '--tls-private-key-file', path.join(dir, 'serving.key'), '--client-ca-file', path.join(dir, 'ca.crt'), '--anonymous-auth=false'];
    const rbac = apiserverHasRbac();
    let secureUrl: string;
    let securePid: number | undefined;
    if (rbac) {
      const c = await startChild([path.join(ROOT, 'bin', 'steer.js'), 'apiserver', '--listen', '127.0.0.1:0', ...tls, '--authorization-mode', 'Node,RBAC'], /serving on (https:\/\/\S+)/);
      children.push(c.child);
      secureUrl = c.url;
      securePid = c.child.pid;
    } else {
      const script = `const { startApiServer } = require(${JSON.stringify(path.join(ROOT, 'dist', 'apiserver', 'server.js'))});
        const { standInAuthorizer } = require(${JSON.stringify(path.join(ROOT, 'dist', 'bench', 'authorizer-stand-in.js'))});
        startApiServer({ host: '127.0.0.1', port: 0, tlsCertFile: ${JSON.stringify(path.join(dir, 'serving.crt'))}, tlsKeyFile: ${JSON.stringify(path.join(dir, 'serving.key'))},
          clientCAFile: ${JSON.stringify(path.join(dir, 'ca.crt'))}, anonymousAuth: false, authorizer: standInAuthorizer('bench-user') })
          .then((s) => console.log('serving on ' + s.url)).catch((e) => { console.error(e); process.exit(1); });`;
      const c = await startChild(['-e', script], /serving on (https:\/\/\S+)/);
      children.push(c.child);
      secureUrl = c.url;
      securePid = c.child.pid;
    }
    const plain = await startChild([path.join(ROOT, 'bin', 'steer.js'), 'apiserver', '--insecure-serving', '--listen', '127.0.0.1:0', '--watch-history', '20000'], /serving on (http:\/\/\S+)/);
    children.push(plain.child);
    const origin = new URL(secureUrl).origin;
    if (rbac) {
      // As the admin: a ClusterRole with Kubernetes' edit rules (bench/authorizer-stand-in.ts has them too)
      // bound to bench-user, so each request walks real RBAC rules.
      secureAgents.set(origin, new https.Agent({ keepAlive: true, maxSockets: 4, ca: ca.cert, cert: admin.cert, key: admin.key }));
      await ok(secureUrl, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'bench-edit' },
        rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'pods'], verbs: ['create', 'delete', 'deletecollection', 'patch', 'update', 'get', 'list', 'watch'] }, { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['create', 'get', 'list'] }],
      }));
      await ok(secureUrl, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bench-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bench-edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bench-user' }],
      }));
      secureAgents.get(origin)!.destroy();
    }
    secureAgents.set(origin, new https.Agent({ keepAlive: true, maxSockets: 256, ca: ca.cert, cert: user.cert, key: user.key }));
    const ns = '/api/v1/namespaces/default/configmaps';
    // Connections (and TLS sessions) are set up before the clock runs, as a long-running client's are.
    for (const base of [plain.url, secureUrl]) await withConcurrency(64, Array.from({ length: 256 }, (_, i) => i), async (i) => void (await ok(base, 'POST', ns, cm(`warm-${i}`, 0))));
    // A first round at the rate, not counted: both servers' create paths compiled and their heaps grown.
    for (const [base, tag] of [[plain.url, 'wp'], [secureUrl, 'ws']]) await fixedRate(o.rate, 2, async (i) => void (await ok(base, 'POST', ns, cm(`${tag}-${i}`, 0))));
    type Round = { p50: number; p99: number; errors: number; achieved: number; cpuPerReq?: number };
    const rounds = { plain: [] as Round[], secure: [] as Round[] };
    const measured = async (base: string, pid: number | undefined, tag: string): Promise<Round> => {
      const c0 = cpuMs(pid);
      const r: Round = await fixedRate(o.rate, o.seconds, async (i) => void (await ok(base, 'POST', ns, cm(`${tag}-${i}`, 0))));
      const c1 = cpuMs(pid);
      if (c0 !== undefined && c1 !== undefined) r.cpuPerReq = (c1 - c0) / Math.round(o.rate * o.seconds);
      return r;
    };
    // Alternating rounds on a shared machine: each side sees the same background load; the median round counts.
    const ROUNDS = 3;
    for (let round = 0; round < ROUNDS; round++) {
      rounds.plain.push(await measured(plain.url, plain.child.pid, `p${round}`));
      rounds.secure.push(await measured(secureUrl, securePid, `s${round}`));
      process.stderr.write(`  round ${round + 1}: p99 plain ${rounds.plain[round].p99.toFixed(2)} ms, secure ${rounds.secure[round].p99.toFixed(2)} ms\n`);
    }
    const median = (rs: Round[], f: (r: Round) => number) => [...rs].map(f).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
    const what = `create @${o.rate}/s, TLS + client cert + ${rbac ? 'RBAC' : 'RBAC-shaped stand-in'} vs plain HTTP, no authz (median of ${ROUNDS})`;
    const [p50s, p50p] = [median(rounds.secure, (r) => r.p50), median(rounds.plain, (r) => r.p50)];
    const [p99s, p99p] = [median(rounds.secure, (r) => r.p99), median(rounds.plain, (r) => r.p99)];
    rows.push({ what: `${what} p50`, figure: ms(p50s), floor: ms(p50p), ratio: `${(p50s / p50p).toFixed(2)}x` });
    rows.push({ what: `${what} p99`, figure: ms(p99s), floor: ms(p99p), ratio: `${(p99s / p99p).toFixed(2)}x`, goal: 'goal <= 1.25x' });
    if (rounds.secure.every((r) => r.cpuPerReq !== undefined) && rounds.plain.every((r) => r.cpuPerReq !== undefined)) {
      // CPU time is far less disturbed by other load than latency: what one create costs each server.
      const [cs, cp] = [median(rounds.secure, (r) => r.cpuPerReq!), median(rounds.plain, (r) => r.cpuPerReq!)];
      rows.push({ what: '  server CPU time per create (median round)', figure: ms(cs), floor: ms(cp), ratio: `${(cs / cp).toFixed(2)}x` });
    }
    const errors = [...rounds.plain, ...rounds.secure].reduce((n, r) => n + r.errors, 0);
    if (errors) rows.push({ what: '  errors', figure: String(errors), floor: '0', ratio: '' });
  } finally {
    for (const c of children) c.kill('SIGTERM');
    for (const a of secureAgents.values()) a.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printRows(): void {
  const cols: Array<keyof Row> = ['what', 'figure', 'floor', 'ratio', 'goal'];
  const head: Row = { what: 'measure', figure: 'steer', floor: 'floor', ratio: 'ratio', goal: '' };
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  for (const r of all) console.log(cols.map((c, i) => (r[c] ?? '').padEnd(width[i])).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const apiArgs = [path.join(ROOT, 'bin', 'steer.js'), 'apiserver', '--insecure-serving', '--listen', '127.0.0.1:0', '--watch-history', '20000'];
  if (o.dataDir) apiArgs.push('--data-dir', o.dataDir);
  const api = await startChild(apiArgs, /serving on (http:\/\/\S+)/);
  const floor = await startChild(['-e', FLOOR_SERVER], /floor on (http:\/\/\S+)/);
  console.log(`steer apiserver ${o.dataDir ? `(LevelDB in ${o.dataDir})` : '(in-memory)'} at ${api.url}; floor: a bare Node HTTP server at ${floor.url}`);
  try {
    const part = (name: string) => !o.only || o.only.includes(name);
    if (part('latency')) {
      process.stderr.write('latency at a fixed rate...\n');
      await latencyBench(api.url, floor.url, o);
    }
    if (part('list')) {
      process.stderr.write('LIST and bindings...\n');
      await listBench(api.url, floor.url, { api: api.child.pid, floor: floor.child.pid }, o);
    }
    if (part('fanout')) {
      process.stderr.write('watch fan-out...\n');
      await fanoutBench(api.url, floor.url, o);
    }
    if (part('secure')) {
      process.stderr.write('TLS, client certificates and authorization vs plain HTTP...\n');
      await secureBench(o);
    }
  } finally {
    printRows();
    api.child.kill('SIGTERM');
    floor.child.kill('SIGTERM');
    agent.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
