// The web console in headless Chromium against 1,000 pods on hollow nodes. This process is the
// in-memory apiserver serving the console, as `steer server` is; the cluster around it (scheduler,
// controllers, 100 hollow nodes) runs in a child process talking to it over HTTPS, as other machines'
// components would, so the page's figures are not the hollow nodes' CPU. The apiserver is secured as
// `steer up` serves it: HTTPS, a bearer token (static token file), Node,RBAC authorization, no
// anonymous requests; the page logs in with the token and sends it on every request.
//
// Printed: (1) first meaningful paint: from navigation to the cluster view's first screenful drawn with
// every node and pod in (the summary counting them, the first services → tasks → nodes; the node cards
// below follow a screenful per frame, and when the last is drawn is printed too) (median and worst of 5
// loads, goal ≤ 1 s), next to its floor measured in the same page once it is fully drawn — the same
// lists fetched and parsed with nothing drawn — and the ratio; (2) update latency: from an API write
// (a Deployment's replicas, through the scale subresource) to the DOM showing it, p50/p99 over
// --writes writes (goal p99 ≤ 500 ms), while the controllers churn pods; (3) the page's memory after
// --minutes of churn (deployments scaled up and down, pods deleted and replaced, the view changing every
// 30 s): JS heap after a forced GC and DOM nodes, at the start and the end.
//
// Waits are long (minutes): on 2 shared cores at load 15 the apiserver gets a seventh of a core, and a
// page load alone took 8 to 23 s; the figures are timestamps, so a long wait never changes them.
//
// Usage: npm run build && node dist/bench/console.js [--pods 1000] [--nodes 100] [--writes 200] [--minutes 2] [--loads 5] [--profile N]
// (the issue's figure is --minutes 10). Needs Debian's chromium (scripts/install-deps.sh). --profile N
// adds N loads after the measured ones, with an unminified bundle, each traced (Chrome's timeline) and
// CPU-profiled: their main-thread tasks, time by activity and the hottest functions are printed, and the
// trace and profile files kept in the temporary folder named.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer } from '../apiserver';
import { buildConsole } from '../console';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { ensureSelfSignedServingCert } from '../lib/component/pki';
import { Resources } from '../lib/api/resources';
import { startHollowNodes } from '../node-agent';
import { startScheduler } from '../scheduler';
import { profileSelfTimes, summarizeTrace, type CpuProfile } from './trace-summary';

interface BenchOptions {
  pods: number;
  nodes: number;
  writes: number;
  minutes: number;
  deployments: number;
  loads: number;
  /** Extra loads after the measured ones, traced and CPU-profiled (with an unminified bundle, for names). */
  profile: number;
}

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { pods: 1000, nodes: 100, writes: 200, minutes: 2, deployments: 10, loads: 5, profile: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const n = Number(argv[++i]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${a} needs a non-negative number`);
    if (a === '--pods') o.pods = n;
    else if (a === '--nodes') o.nodes = n;
    else if (a === '--writes') o.writes = n;
    else if (a === '--minutes') o.minutes = n;
    else if (a === '--deployments') o.deployments = n;
    else if (a === '--loads') o.loads = n;
    else if (a === '--profile') o.profile = n;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** Debian's Chromium with the flags this machine needs (no background networking: the network is closed). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc'];

/** How long a view may take to show, and a write to reach the page (see the top: the machine is shared). */
const VIEW_TIMEOUT_MS = 5 * 60_000;
const WRITE_TIMEOUT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 0.5);
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

/**
 * A page already logged in with the token, as a returning user in the same tab. The browser has no
 * trust store for the bench's self-signed certificate: it accepts it, as a user who imported it.
 */
async function consolePage(browser: Browser, url: string, route: string, token: string, beforeLoad?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
  await page.addInitScript(`sessionStorage.setItem('steer.console.token', ${JSON.stringify(token)})`);
  await beforeLoad?.(page);
  await goto(page, `${url}/ui/#/${route}`);
  return page;
}

/**
 * Chromium fails the requests being made when the host's network changes (net::ERR_NETWORK_CHANGED:
 * an interface or address added or removed, as container runtimes and tests on this machine do all the
 * time). Not the console's doing: the navigation is made again, and counted.
 */
let networkChanges = 0;
async function retryNetworkChange<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || !/ERR_NETWORK_CHANGED|Failed to fetch/.test(String(err))) throw err;
      networkChanges++;
    }
  }
}
async function goto(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url, { timeout: VIEW_TIMEOUT_MS });
      return;
    } catch (err) {
      // (A navigation that failed that way can also show as one "interrupted by" Chromium's error page.)
      if (attempt >= 5 || !/ERR_NETWORK_CHANGED|chrome-error:\/\/chromewebdata/.test(String(err))) throw err;
      networkChanges++;
      await sleep(1000 * attempt); // the host's interfaces change in bursts (a test setting up its network)
    }
  }
}

/**
 * Polls an expression in the page (waitForFunction would need eval, which the console's CSP forbids).
 * Slowly: each poll costs this process, which is also the apiserver; the figures are timestamps taken
 * in the page, so the polling rate does not change them.
 */
async function pageWait(page: Page, expression: string, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) {
      const text = await page.evaluate<string>('document.body.innerText.slice(0, 400)');
      throw new Error(`timed out waiting for ${expression}; the page shows: ${text}`);
    }
    await sleep(intervalMs);
  }
}

interface PageMemory {
  heapMiB: number;
  /** Every DOM node alive in the page after a GC (in the document or detached and kept alive). */
  domNodes: number;
  /** Of those, the ones in the document (elements, text and comments). */
  attachedNodes: number;
  listeners: number;
  /** What the cluster view draws: node cards and pod chips. */
  cards: number;
  chips: number;
}

async function heap(page: Page): Promise<PageMemory> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = (name: string) => metrics.find((x) => x.name === name)?.value ?? NaN;
  await cdp.detach();
  const drawn = await page.evaluate<{ attached: number; cards: number; chips: number }>(`(() => {
    const w = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    let attached = 1;
    while (w.nextNode()) attached++;
    return { attached, cards: document.querySelectorAll('.node').length, chips: document.querySelectorAll('.chip').length };
  })()`);
  return { heapMiB: m('JSHeapUsedSize') / 1048576, domNodes: m('Nodes'), attachedNodes: drawn.attached, listeners: m('JSEventListeners'), cards: drawn.cards, chips: drawn.chips };
}

function memoryText(x: PageMemory): string {
  return `DOM nodes ${x.domNodes} (${x.attachedNodes} in the document: ${x.cards} node cards, ${x.chips} pod chips), listeners ${x.listeners}`;
}

/** The cluster view with every node's card drawn (it draws a screenful per frame) and settled. */
async function clusterFullyDrawn(page: Page, nodes: number): Promise<void> {
  await pageWait(page, `document.querySelectorAll('.node').length >= ${nodes}`, VIEW_TIMEOUT_MS);
  await sleep(2000);
}

/** What the cluster child is given (in its environment): where the apiserver is and how to log in. */
interface ClusterChildConfig {
  server: string;
  token: string;
  ca: string;
  nodes: number;
  pods: number;
}
const CHILD_FLAG = '--cluster-child';
const CHILD_ENV = 'STEER_CONSOLE_BENCH_CHILD';

/** The child: 100 hollow nodes, the scheduler and the controllers on one client; stops on SIGTERM. */
async function clusterChild(): Promise<void> {
  const c = JSON.parse(process.env[CHILD_ENV] ?? '') as ClusterChildConfig;
  const client = KubeClient.fromCredentials({ server: c.server, token: c.token, ca: c.ca });
  const log = () => undefined;
  const nodes = await startHollowNodes({ client, count: c.nodes, namePrefix: 'bench-node-', leaseRenewIntervalMs: 5000, maxPods: Math.max(110, Math.ceil((c.pods * 2) / c.nodes)), port: false, log });
  const scheduler = await startScheduler({ client });
  const controllers = await startControllers({ client, log, leaderElect: false });
  process.once('SIGTERM', () => {
    void (async () => {
      await controllers.stop();
      await scheduler.stop();
      await nodes.stop();
      client.close();
      process.exit(0);
    })();
  });
  console.log('READY');
}

/** Starts the cluster child and resolves once its components run. */
function startClusterChild(config: ClusterChildConfig): Promise<ChildProcess> {
  const child = spawn(process.execPath, [__filename, CHILD_FLAG], { env: { ...process.env, [CHILD_ENV]: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('READY')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the cluster child exited with ${code}`)));
  });
}

/** Stops the child we started, by its PID, and waits for it (killed outright after 30 s). */
async function stopClusterChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Loads of the cluster view traced and CPU-profiled, with the bundle built unminified (function names);
 * the minified bundle is built again after. Not counted in the figures: tracing slows the page.
 */
async function profiledLoads(browser: Browser, url: string, token: string, count: number, dir: string): Promise<void> {
  await buildConsole({ minify: false });
  try {
    for (let i = 0; i < count; i++) {
      let cdp: Awaited<ReturnType<ReturnType<Page['context']>['newCDPSession']>> | undefined;
      const page = await consolePage(browser, url, 'cluster', token, async (p) => {
        cdp = await p.context().newCDPSession(p);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
        await cdp.send('Profiler.start');
        await browser.startTracing(p, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8.execute', 'v8', 'loading', 'toplevel', 'blink', 'mojom', 'v8.gc'] });
      });
      await pageWait(page, 'document.body.dataset.clusterPainted !== undefined', VIEW_TIMEOUT_MS);
      const painted = await page.evaluate<number>("performance.getEntriesByName('steer-console-cluster-painted')[0].startTime");
      const trace = (await browser.stopTracing()).toString('utf8');
      const { profile } = (await cdp!.send('Profiler.stop')) as unknown as { profile: CpuProfile };
      await cdp!.detach();
      await page.close();
      const traceFile = path.join(dir, `profile-${i}.trace.json`);
      fs.writeFileSync(traceFile, trace);
      fs.writeFileSync(path.join(dir, `profile-${i}.cpuprofile`), JSON.stringify(profile));
      const s = summarizeTrace(trace, 'steer-console-cluster-painted', painted, painted);
      const ms = (x: number) => x.toFixed(0);
      console.log(`  profiled load ${i + 1}: painted at ${ms(painted)} ms; main thread busy ${ms(s.busyMs)} ms before it (${traceFile})`);
      for (const t of s.tasks) console.log(`    task at ${ms(t.startMs)} for ${ms(t.durMs)} ms: ${t.self.slice(0, 6).map(([n, x]) => `${n} ${ms(x)}`).join(', ')}`);
      console.log(`    by activity: ${s.totals.slice(0, 14).map(([n, x]) => `${n} ${ms(x)}`).join(', ')}`);
      console.log(`    hottest functions (whole load, self ms): ${profileSelfTimes(profile, 20).map(([n, x]) => `${n} ${ms(x)}`).join(', ')}`);
    }
  } finally {
    await buildConsole();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await buildConsole();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-bench-'));
  const serving = await ensureSelfSignedServingCert(dir, 'apiserver', { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
  const token = randomBytes(24).toString('hex');
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, `${token},bench-admin,bench-admin,"system:masters"\n`, { mode: 0o600 });
  const api = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    console: true,
    tlsCertFile: serving.certFile,
    tlsKeyFile: serving.keyFile,
    tokenFile,
    anonymousAuth: false,
    authorizationMode: ['Node', 'RBAC'],
  });
  const ca = fs.readFileSync(serving.certFile, 'utf8');
  const client = KubeClient.fromCredentials({ server: api.url, token, ca });
  const auth = `{ headers: { Authorization: 'Bearer ${token}' } }`;
  console.log(`console bench: ${o.pods} pods in ${o.deployments} Deployments over ${o.nodes} hollow nodes (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const cluster = await startClusterChild({ server: api.url, token, ca, nodes: o.nodes, pods: o.pods });
  // On any exit, a failure included, the child goes too (it is ours: killed by its PID).
  process.once('exit', () => cluster.exitCode === null && cluster.kill('SIGKILL'));
  const ns = 'default';
  const per = Math.ceil(o.pods / o.deployments);
  for (let i = 0; i < o.deployments; i++) {
    const name = `web-${i}`;
    await client.create<Deployment>(Resources.deployments, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: per,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/nginx:1.22', resources: { requests: { cpu: '5m', memory: '8Mi' } } }] } },
      },
    });
    await client.create(Resources.services, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } });
  }
  await waitUntil(`${o.pods} pods ready`, 15 * 60_000, async () => {
    const list = await client.list<Pod>(Resources.pods, { namespace: ns });
    return list.items.filter((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length >= per * o.deployments;
  });
  const podCount = per * o.deployments;
  console.log(`${podCount} pods ready`);

  const browser = await chromium.launch({ executablePath: process.env.STEER_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    // (1) First meaningful paint, and its floor: the same lists fetched and parsed in the same page.
    const paints: number[] = [];
    const drawnAll: number[] = [];
    const painted: number[] = [];
    const breakdown: string[] = [];
    const floors: number[] = [];
    for (let i = 0; i < o.loads; i++) {
      const page = await consolePage(browser, api.url, 'cluster', token);
      // Set once the nodes and pods lists are in and drawn (console/web/ui/cluster-view.tsx).
      await pageWait(page, 'document.body.dataset.clusterPainted !== undefined', VIEW_TIMEOUT_MS);
      painted.push(Number(await page.evaluate<string>('document.body.dataset.clusterPainted')));
      paints.push(await page.evaluate<number>("performance.getEntriesByName('steer-console-cluster-painted')[0].startTime"));
      // The rest of the view (the other services, every node card) follows frame by frame.
      await pageWait(page, "performance.getEntriesByName('steer-console-cluster-drawn').length > 0", VIEW_TIMEOUT_MS);
      drawnAll.push(await page.evaluate<number>("performance.getEntriesByName('steer-console-cluster-drawn')[0].startTime"));
      // Where the time went: the script running, each list's request (asked for → sent on a connection
      // (the browser's queue, TLS) → first byte (the server) → last byte, from the Resource Timing API), each list in the cache, discovery (off the paint's path), painted.
      breakdown.push(
        await page.evaluate<string>(`['steer-console-prefetched', 'steer-console-script', 'steer-console-listed-nodes', 'steer-console-listed-pods', 'steer-console-cluster-painted', 'steer-console-cluster-drawn', 'steer-console-connected']
          .map((m) => m.replace('steer-console-', '') + ' ' + Math.round(performance.getEntriesByName(m)[0]?.startTime ?? NaN)).join(', ')
          + '; requests ' + performance.getEntriesByType('resource').filter((r) => /\\/api\\/v1\\/(nodes|pods|services)$/.test(new URL(r.name).pathname))
            .map((r) => new URL(r.name).pathname.split('/').pop() + ' ' + [r.startTime, r.requestStart, r.responseStart, r.responseEnd].map(Math.round).join('→')
              + (r.connectEnd > r.connectStart ? ' (connecting ' + [r.connectStart, r.secureConnectionStart, r.connectEnd].map(Math.round).join('→') + ')' : ' (reused)')).join(', ')
            + '; page ' + performance.getEntriesByType('resource').filter((r) => /\\/ui\\/app\\.(js|css)$/.test(new URL(r.name).pathname))
              .map((r) => new URL(r.name).pathname.split('/').pop() + ' ' + [r.startTime, r.requestStart, r.responseEnd].map(Math.round).join('→')).join(', ')`),
      );
      floors.push(
        await retryNetworkChange(() => page.evaluate<number>(`(async () => {
          const t = performance.now();
          await Promise.all(['/api/v1/nodes', '/api/v1/pods', '/api/v1/services'].map((p) => fetch(p, ${auth}).then((r) => r.json()).catch((e) => { throw new Error(p + ': ' + e); })));
          return performance.now() - t;
        })()`)),
      );
      await page.close();
    }
    if (o.profile > 0) await profiledLoads(browser, api.url, token, o.profile, dir);
    // The floor also pays for loading the page itself: navigation to DOMContentLoaded of the same page.
    const loads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      await goto(page, `${api.url}/ui/`);
      loads.push(await page.evaluate<number>("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"));
      await page.close();
    }
    const t = performance.now();
    await client.list(Resources.pods);
    const nodeList = performance.now() - t;
    for (const line of breakdown) console.log(`  load: ${line} (ms from navigation; requests: asked for→sent on a connection→first byte→last byte (a new connection: TCP connect→TLS handshake→done); the page's assets: asked for→sent→last byte)`);
    console.log(`paints ${paints.map((x) => x.toFixed(0)).join(' ')}; in-page list fetches ${floors.map((x) => x.toFixed(0)).join(' ')}; page loads ${loads.map((x) => x.toFixed(0)).join(' ')}; pods LIST from node ${nodeList.toFixed(0)} ms`);
    const paint = median(paints);
    const floor = median(floors) + median(loads);

    // (2) Update latency: scale writes to the DOM, on the workloads view.
    const page = await consolePage(browser, api.url, 'workloads', token);
    await page.waitForSelector(`tr[data-workload="deployments/${ns}/web-0"]`, { timeout: VIEW_TIMEOUT_MS });
    await page.evaluate(`(() => {
      window.seenAt = {};
      new MutationObserver((records) => {
        const now = Date.now();
        for (const r of records) {
          const el = r.target;
          const key = el.getAttribute('data-workload') + '=' + el.getAttribute('data-desired');
          if (!(key in window.seenAt)) window.seenAt[key] = now;
        }
      }).observe(document.body, { attributes: true, attributeFilter: ['data-desired'], subtree: true });
    })()`);
    // The floor of the latency, in the same page: a bare watch of Deployments over the console's
    // transport (a WebSocket, the token as kube's bearer subprotocol), nothing parsed into a cache or
    // drawn — the apiserver's and the browser's share of the path. Reopened from its last
    // resourceVersion if it is cut.
    await retryNetworkChange(() => page.evaluate(`(async () => {
      window.rawAt = {};
      const last = {};
      const list = await (await fetch('/apis/apps/v1/namespaces/${ns}/deployments', ${auth})).json();
      let rv = list.metadata.resourceVersion;
      const bearer = 'base64url.bearer.authorization.k8s.io.' + btoa('${token}').replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
      const open = () => {
        const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/apis/apps/v1/namespaces/${ns}/deployments?watch=1&resourceVersion=' + rv, [bearer, 'watch.steer.io']);
        ws.onmessage = (m) => {
          const now = Date.now();
          const ev = JSON.parse(m.data);
          rv = ev.object.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') return;
          const name = ev.object.metadata.name;
          const key = 'deployments/${ns}/' + name + '=' + ev.object.spec.replicas;
          // Only a change of replicas counts (status updates carry the same spec).
          if (last[name] !== ev.object.spec.replicas && !(key in window.rawAt)) window.rawAt[key] = now;
          last[name] = ev.object.spec.replicas;
        };
        ws.onclose = () => setTimeout(open, 100);
      };
      open();
    })()`));
    const rawLatencies: number[] = [];
    const latencies: number[] = [];
    const replicas = new Map<string, number>();
    for (let i = 0; i < o.deployments; i++) replicas.set(`web-${i}`, per);
    for (let w = 0; w < o.writes; w++) {
      const name = `web-${w % o.deployments}`;
      const want = replicas.get(name) === per ? per + 1 : per;
      replicas.set(name, want);
      const key = `deployments/${ns}/${name}=${want}`;
      const t0 = Date.now();
      await client.patch(Resources.deployments, ns, name, { spec: { replicas: want } }, 'merge', 'scale');
      await pageWait(page, `'${key}' in window.seenAt`, WRITE_TIMEOUT_MS);
      latencies.push((await page.evaluate<number>(`window.seenAt['${key}']`)) - t0);
      await pageWait(page, `'${key}' in window.rawAt`, WRITE_TIMEOUT_MS);
      rawLatencies.push((await page.evaluate<number>(`window.rawAt['${key}']`)) - t0);
      await page.evaluate(`delete window.seenAt['${key}']; delete window.rawAt['${key}']`);
      await sleep(50);
    }
    latencies.sort((a, b) => a - b);
    rawLatencies.sort((a, b) => a - b);

    // (3) Memory after churn, switching views every 30 s.
    await goto(page, `${api.url}/ui/#/cluster`);
    await clusterFullyDrawn(page, o.nodes);
    const start = await heap(page);
    const views = ['cluster', 'workloads', 'events', 'services'];
    const until = Date.now() + o.minutes * 60_000;
    let tick = 0;
    let writes = 0;
    while (Date.now() < until) {
      tick++;
      const name = `web-${tick % o.deployments}`;
      await client.patch(Resources.deployments, ns, name, { spec: { replicas: per + (tick % 3) * 5 } }, 'merge', 'scale');
      const victims = (await client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=web-${(tick + 3) % o.deployments}` })).items.slice(0, 3);
      for (const v of victims) await client.delete(Resources.pods, ns, v.metadata!.name!).catch(() => undefined);
      writes += 1 + victims.length;
      if (tick % 30 === 0) {
        // Where the page is at each change of view: a leak shows as nodes growing on the same view.
        const view = views[(tick / 30) % views.length];
        console.log(`  churn ${((Date.now() - until) / 60_000 + o.minutes).toFixed(1)} min, leaving ${views[(tick / 30 - 1) % views.length]}: ${memoryText(await heap(page))}`);
        await goto(page, `${api.url}/ui/#/${view}`);
      }
      await sleep(1000);
    }
    await goto(page, `${api.url}/ui/#/cluster`);
    await clusterFullyDrawn(page, o.nodes);
    const end = await heap(page);
    const events = (await client.list(Resources.events)).items.length;
    const podsAtEnd = (await client.list(Resources.pods)).items.length;

    console.log('');
    console.log('figure                                        value       floor     ratio');
    console.log(`first meaningful paint, ${Math.min(...painted)} pods (ms)       ${paint.toFixed(0).padStart(8)}  ${floor.toFixed(0).padStart(8)}  ${(paint / floor).toFixed(2).padStart(7)}x   (worst ${Math.max(...paints).toFixed(0)} ms; goal ≤ 1000)`);
    const ratio = (q: number) => (percentile(latencies, q) / Math.max(1, percentile(rawLatencies, q))).toFixed(2).padStart(7);
    console.log(`every service and node card drawn (ms)        ${median(drawnAll).toFixed(0).padStart(8)}   (worst ${Math.max(...drawnAll).toFixed(0)} ms)`);
    console.log(`update latency API write → DOM p50 (ms)      ${percentile(latencies, 0.5).toFixed(0).padStart(8)}  ${percentile(rawLatencies, 0.5).toFixed(0).padStart(8)}  ${ratio(0.5)}x`);
    console.log(`update latency API write → DOM p99 (ms)      ${percentile(latencies, 0.99).toFixed(0).padStart(8)}  ${percentile(rawLatencies, 0.99).toFixed(0).padStart(8)}  ${ratio(0.99)}x   (max ${latencies[latencies.length - 1]} ms over ${latencies.length} writes; goal p99 ≤ 500)`);
    console.log(`page JS heap after GC, start (MiB)           ${start.heapMiB.toFixed(1).padStart(8)}   (${memoryText(start)})`);
    console.log(`page JS heap after GC, after ${o.minutes} min churn (MiB) ${end.heapMiB.toFixed(1).padStart(6)}   (${memoryText(end)}; ${writes} writes; the cluster holds ${podsAtEnd} pods, ${events} events, the page keeps the newest 3,000)`);
    console.log(`requests Chromium failed with ERR_NETWORK_CHANGED (the host's interfaces changing), made again: ${networkChanges}`);
    console.log('floors: paint — the page loading (navigation to DOMContentLoaded) plus fetching and parsing the nodes, pods and services lists in it, nothing drawn;');
    console.log('        latency — the same write seen by a bare WebSocket watch in the same page, nothing cached or drawn');
    await page.close();
  } finally {
    await browser.close();
    await stopClusterChild(cluster);
    client.close();
    await api.close();
    if (o.profile > 0) console.log(`traces and CPU profiles kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

(process.argv[2] === CHILD_FLAG ? clusterChild() : main()).then(
  () => process.argv[2] === CHILD_FLAG || process.exit(0),
  (err: Error) => {
    console.error(err.stack || String(err));
    process.exit(1);
  },
);
