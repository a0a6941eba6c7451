// The end-to-end scenario on real containerd, driven through the `steer` binary as a user would
// (issue 7), with security on (issue 12): up on a clean state dir (the cluster CA and every identity made,
// keys 0600, the admin kubeconfig carrying the CA and a client certificate; no or wrong credentials get
// 401 from the apiserver and the node agent, a non-admin identity 403 from the agent) → apply nginx →
// curl its pod IP, its logs through the apiserver and the agent → scale to 3 (with `get -w` running) →
// curl the nginx Service's ClusterIP and a NodePort from the host → kill an nginx process from the host →
// it restarts → delete a pod → replaced → the same apply / scale / get -w with the real kubectl 1.20, and
// the current kubectl's `auth whoami` → both kubectls through services/, pods/ and nodes/proxy → Prometheus scrapes every component over HTTPS with its token →
// down leaves no process, container, sandbox or iptables chain. Each step's time is printed at the end.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Endpoints, Node, Pod, Service } from 'kubernetes-types/core/v1';
import * as yaml from 'js-yaml';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { chainTag } from '../../node-agent/network/proxy-rules';
import { repo, run as runCommand, StepTimer } from './helpers/commands';
import { freePort } from './helpers/net';
import type { Run } from './helpers/commands';

jest.setTimeout(240_000);

const steerBin = path.join(repo, 'bin', 'steer.js');
const kubectlBin = path.join(repo, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
const stateDir = '/var/lib/steer-test/scenario';
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-scenario-home-'));
fs.writeFileSync(
  path.join(home, 'nginx-nodeport.yaml'),
  'apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx-nodeport\nspec:\n  type: NodePort\n  selector:\n    app: nginx\n  ports:\n  - port: 80\n',
);
const kubeconfig = path.join(stateDir, 'kubeconfig');
const pkiDir = path.join(stateDir, 'pki');

function run(cmd: string, args: string[], timeoutMs = 200_000): Promise<Run> {
  return runCommand(cmd, args, { timeoutMs, env: { HOME: home, KUBECONFIG: kubeconfig } });
}

const steer = (...args: string[]) => run(process.execPath, [steerBin, ...args]);
const kubectl = (...args: string[]) => run(kubectlBin, args, 60_000);

/** A background command whose output is collected (get -w), stopped with stop(). */
function background(cmd: string, args: string[]): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(cmd, args, { cwd: repo, env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

/** An HTTPS request checked against the cluster CA, with a client certificate or a bearer token. */
function httpsGet(url: string, o: { cert?: string; key?: string; token?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { ca: fs.readFileSync(path.join(pkiDir, 'ca.crt')), cert: o.cert, key: o.key, agent: false, timeout: 5000, headers: o.token ? { Authorization: `Bearer ${o.token}` } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out (${timeoutMs / 1000}s): ${what}${last ? `; last error: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const isReady = (p: Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');

let client: KubeClient | undefined;
async function nginxPods(): Promise<Pod[]> {
  const list = await client!.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=nginx' });
  return list.items;
}
async function readyNginx(n: number, what: string, timeoutMs = 120_000): Promise<Pod[]> {
  return eventually(what, timeoutMs, async () => {
    const pods = await nginxPods();
    const ready = pods.filter(isReady);
    return ready.length === n && pods.filter((p) => !p.metadata?.deletionTimestamp).length === n ? ready : undefined;
  });
}

const timer = new StepTimer();
const timed = <T>(step: string, fn: () => Promise<T>): Promise<T> => timer.time(step, fn);

/** Later steps need the cluster from step 1; they fail at once with this reason when it is missing. */
let brokenAt = '';
function requireCluster(): void {
  if (brokenAt) throw new Error(`cannot run: the cluster is not usable since step "${brokenAt}"`);
}

const ports = { api: 0, agent: 0, sched: 0, ctrl: 0, prom: 0 };

afterAll(async () => {
  client?.close();
  // Whatever happened, leave nothing running.
  if (fs.existsSync(stateDir)) await steer('down', '--state-dir', stateDir, '--purge');
  fs.rmSync(home, { recursive: true, force: true });
  // eslint-disable-next-line no-console
  console.log(timer.table('scenario step timings:'));
});

/** How many TCP connections process `pid` holds to `port` (as the client: the remote port). */
function serverConnectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && parseInt(cols[2].split(':')[1], 16) === port && inodes.has(cols[9])) n++;
    }
  }
  return n;
}

/** The status of a GET without credentials on a Unix socket. */
function socketGetStatus(socketPath: string, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath, path: urlPath, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('the nginx scenario on a single-node steer cluster', () => {
  it('1. steer up on a clean state dir', async () => {
    brokenAt = '1. up';
    expect(fs.existsSync(steerBin)).toBe(true);
    expect(fs.existsSync(path.join(repo, 'dist', 'cli', 'main.js'))).toBe(true);
    if (fs.existsSync(stateDir)) await steer('down', '--state-dir', stateDir, '--purge'); // a crashed earlier run
    ports.api = await freePort();
    ports.agent = await freePort();
    ports.sched = await freePort();
    ports.ctrl = await freePort();
    const r = await timed('1. steer up (clean state)', () =>
      steer('up', '--state-dir', stateDir, '--listen', `127.0.0.1:${ports.api}`, '--node-name', 'scenario-node', '--agent-port', String(ports.agent), '--scheduler-metrics-port', String(ports.sched), '--controllers-metrics-port', String(ports.ctrl), '--pod-subnet', '10.211.0.0/24', '--service-cidr', '10.211.64.0/24', '--bridge', 'steerscn0', '--no-apply'),
    );
    if (r.code !== 0) {
      const log = fs.existsSync(path.join(stateDir, 'logs', 'server.log')) ? fs.readFileSync(path.join(stateDir, 'logs', 'server.log'), 'utf8').split('\n').slice(-30).join('\n') : '';
      throw new Error(`steer up failed (exit ${r.code}):\n${r.stderr}\n--- server.log ---\n${log}`);
    }
    expect(r.stdout).toContain(`export KUBECONFIG=${kubeconfig}`);
    client = KubeClient.load({ kubeconfig });
    const nodes = await client.list(Resources.nodes);
    expect(nodes.items.map((n) => (n as { metadata?: { name?: string } }).metadata?.name)).toEqual(['scenario-node']);
    brokenAt = '';
  });

  it('1a. security is on: the CA and keys (0600), the admin kubeconfig with CA and client certificate; 401 without or with a wrong credential, 403 for a non-admin at the node agent; the components on the 0600 local socket', async () => {
    requireCluster();
    for (const f of ['ca.key', 'apiserver.key', 'admin.key', 'apiserver-kubelet-client.key', 'sa.key', 'tokens.csv', 'prometheus.token', 'node-scenario-node.key']) {
      expect([f, fs.statSync(path.join(pkiDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    }
    const kc = yaml.load(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
    expect(kc.clusters[0].cluster.server).toBe(`https://127.0.0.1:${ports.api}`);
    expect(Object.keys(kc.clusters[0].cluster).sort()).toEqual(['certificate-authority-data', 'server']);
    expect(Object.keys(kc.users[0].user).sort()).toEqual(['client-certificate-data', 'client-key-data']);
    const unauthorized = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
    const api = `https://127.0.0.1:${ports.api}`;
    expect(await httpsGet(`${api}/api/v1/pods`)).toEqual({ status: 401, body: `${JSON.stringify(unauthorized)}\n` });
    expect(await httpsGet(`${api}/api/v1/pods`, { token: 'not-a-token' })).toEqual({ status: 401, body: `${JSON.stringify(unauthorized)}\n` });
    expect((await httpsGet(`${api}/healthz`)).status).toBe(200);
    // The node agent at its node address: the kubelet's answers.
    const node = (await client!.list<Node>(Resources.nodes)).items[0];
    const nodeIP = (node.status?.addresses || []).find((a) => a.type === 'InternalIP')?.address;
    const agent = `https://${nodeIP}:${ports.agent}`;
    expect((await httpsGet(`${agent}/pods`)).status).toBe(401);
    expect((await httpsGet(`${agent}/pods`, { token: 'not-a-token' })).status).toBe(401);
    // The in-process components reach the apiserver on its local socket (0600, per-component tokens),
    // not over loopback TCP: the server holds no connection to its own port; the socket wants a token.
    const socket = path.join(stateDir, 'apiserver.sock');
    expect(fs.statSync(socket).isSocket()).toBe(true);
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    expect(serverConnectionsTo(Number(fs.readFileSync(path.join(stateDir, 'server.pid'), 'utf8')), ports.api)).toBe(0);
    expect(await socketGetStatus(socket, '/api/v1/pods')).toBe(401);
    const promToken = fs.readFileSync(path.join(pkiDir, 'prometheus.token'), 'utf8').trim();
    const asPrometheus = await httpsGet(`${agent}/pods`, { token: promToken });
    expect(asPrometheus.status).toBe(403);
    expect(JSON.parse(asPrometheus.body).message).toBe('Forbidden (user=steer:prometheus, verb=get, resource=nodes, subresource=proxy)');
    const scheduler = { cert: fs.readFileSync(path.join(pkiDir, 'scheduler.crt'), 'utf8'), key: fs.readFileSync(path.join(pkiDir, 'scheduler.key'), 'utf8') };
    expect((await httpsGet(`${agent}/pods`, scheduler)).status).toBe(403);
    const admin = { cert: fs.readFileSync(path.join(pkiDir, 'admin.crt'), 'utf8'), key: fs.readFileSync(path.join(pkiDir, 'admin.key'), 'utf8') };
    expect((await httpsGet(`${agent}/pods`, admin)).status).toBe(200);
  });

  it('2. steer apply -f manifests/nginx.yaml → 1 replica Running, its pod IP serves the nginx page', async () => {
    requireCluster();
    const r = await timed('2. apply nginx.yaml → 1 Running', async () => {
      const out = await steer('apply', '-f', 'manifests/nginx.yaml');
      await readyNginx(1, '1 nginx pod Running and Ready');
      return out;
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment.apps/nginx created\nservice/nginx created\n');
    const [pod] = await nginxPods();
    const page = await timed('2b. curl pod IP', () => eventually('nginx page on the pod IP', 20_000, async () => {
      const res = await httpGet(`http://${pod.status?.podIP}/`);
      return res.status === 200 ? res : undefined;
    }));
    expect(page.body).toContain('nginx');
    // Logs come from the node agent through the apiserver (its kubelet-client identity, the agent's
    // certificate checked against the CA).
    const logs = await timed('2c. steer logs (apiserver → node agent over HTTPS)', () => steer('logs', pod.metadata?.name || ''));
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('GET / HTTP/1.1');
  });

  it('2d. a pod calls the API through the kubernetes Service with its service account, allowed and forbidden as its RBAC changes', async () => {
    requireCluster();
    // The pod runs the host's node (steer's images have none) from read-only hostPath mounts. It checks the
    // apiserver's certificate against the projected ca.crt, at https://$KUBERNETES_SERVICE_HOST (the
    // Service's ClusterIP, DNATed to the advertise address the apiserver also listens on), and prints each
    // change of the answer to listing pods; it ends once it saw forbidden → allowed → forbidden.
    const script = [
      "const fs = require('fs'), https = require('https');",
      "const dir = '/var/run/secrets/kubernetes.io/serviceaccount';",
      "const get = (p) => new Promise((ok, no) => https.get({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path: p, agent: false, ca: fs.readFileSync(dir + '/ca.crt'), headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8') } }, (r) => { r.resume(); ok(r.statusCode); }).on('error', no));",
      "const fail = (e) => { console.log('FAILED ' + e.message); process.exit(1); };",
      "let last; const seen = [];",
      "const tick = async () => { const s = await get('/api/v1/namespaces/default/pods'); if (s !== last) { console.log('PODS ' + s); last = s; seen.push(s); } if (seen.join() === '403,200,403') process.exit(0); };",
      "get('/api').then((s) => { console.log('API ' + s); setInterval(() => tick().catch(fail), 200); }, fail);",
      "setTimeout(() => fail(new Error('timed out')), 120000);",
    ].join('\n');
    const ro = (name: string, p: string, mountPath = p) => ({ volume: { name, hostPath: { path: p } }, mount: { name, mountPath, readOnly: true } });
    const mounts = [ro('usr', '/usr'), ro('lib', '/usr/lib', '/lib'), ro('lib64', '/usr/lib64', '/lib64')];
    const manifest = path.join(home, 'api-probe.json');
    fs.writeFileSync(manifest, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-probe' },
      spec: {
        restartPolicy: 'Never',
        volumes: mounts.map((m) => m.volume),
        containers: [{ name: 'probe', image: '127.0.0.1:5000/busybox:1.35', command: ['/usr/bin/node', '-e', script], volumeMounts: mounts.map((m) => m.mount) }],
      },
    }));
    const created = await steer('apply', '-f', manifest);
    expect(created.stdout).toBe('pod/api-probe created\n');
    const probeLog = async (want: string) => ((await steer('logs', 'api-probe')).stdout.includes(want) ? true : undefined);
    await timed('2d. pod → kubernetes Service → apiserver (403)', () => eventually('the probe pod to be refused the pod list', 60_000, () => probeLog('PODS 403')));
    const bound = await kubectl('create', 'rolebinding', 'api-probe-view', '--clusterrole=view', '--serviceaccount=default:default');
    expect(bound.stdout).toBe('rolebinding.rbac.authorization.k8s.io/api-probe-view created\n');
    await timed('2d. RoleBinding created → the pod may list pods', () => eventually('the probe pod to be allowed', 20_000, () => probeLog('PODS 200')));
    await kubectl('delete', 'rolebinding', 'api-probe-view');
    const phase = await eventually('the probe pod to finish', 20_000, async () => {
      const p = await client!.get<Pod>(Resources.pods, 'default', 'api-probe');
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    });
    // Discovery is open to every authenticated user; the default service account lists pods only while bound.
    expect((await steer('logs', 'api-probe')).stdout).toBe('API 200\nPODS 403\nPODS 200\nPODS 403\n');
    expect(phase).toBe('Succeeded');
    await steer('delete', 'pod', 'api-probe');
  });

  it('1b. a second steer up is idempotent and quick', async () => {
    requireCluster();
    const caBefore = fs.readFileSync(path.join(pkiDir, 'ca.crt'), 'utf8');
    const kubeconfigBefore = fs.readFileSync(kubeconfig, 'utf8');
    const t0 = Date.now();
    const r = await timed('1b. steer up again (idempotent)', () =>
      steer('up', '--state-dir', stateDir, '--listen', `127.0.0.1:${ports.api}`, '--node-name', 'scenario-node', '--agent-port', String(ports.agent), '--pod-subnet', '10.211.0.0/24', '--service-cidr', '10.211.64.0/24', '--bridge', 'steerscn0'),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('already running');
    expect(r.stdout).toContain('deployment.apps/nginx unchanged');
    expect(r.stdout).toContain('service/nginx unchanged');
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The PKI is kept: same CA, same admin credentials.
    expect(fs.readFileSync(path.join(pkiDir, 'ca.crt'), 'utf8')).toBe(caBefore);
    expect(fs.readFileSync(kubeconfig, 'utf8')).toBe(kubeconfigBefore);
  });

  it('3. steer scale deployment nginx --replicas=3 → 3 Running (steer get pods -w shows them)', async () => {
    requireCluster();
    const watch = background(process.execPath, [steerBin, 'get', 'pods', '-w']);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await timed('3. scale to 3 → 3 Running', async () => {
        const out = await steer('scale', 'deployment', 'nginx', '--replicas=3');
        await readyNginx(3, '3 nginx pods Running and Ready');
        return out;
      });
      expect(r.stdout).toBe('deployment.apps/nginx scaled\n');
      const names = (await nginxPods()).map((p) => p.metadata?.name || '');
      await eventually('get -w printed every new pod as Running', 10_000, async () => {
        const out = watch.output();
        return names.every((n) => new RegExp(`^${n}\\s+1/1\\s+Running`, 'm').test(out)) ? true : undefined;
      });
      expect(watch.output().split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    } finally {
      await watch.stop();
    }
    const rollout = await steer('rollout', 'status', 'deployment/nginx', '--timeout', '60s');
    expect(rollout.stdout).toContain('deployment "nginx" successfully rolled out');
  });

  it('3b. the nginx Service: its Endpoints list the 3 pods; its ClusterIP and a NodePort serve the page from the host', async () => {
    requireCluster();
    const podIPs = (await nginxPods()).map((p) => p.status?.podIP).sort();
    await timed('3b. endpoints → 3 pods', () =>
      eventually('Endpoints nginx with the 3 pod IPs', 30_000, async () => {
        const ep = await client!.get<Endpoints>(Resources.endpoints, 'default', 'nginx');
        const ips = (ep.subsets || []).flatMap((s) => (s.addresses || []).map((a) => a.ip)).sort();
        return JSON.stringify(ips) === JSON.stringify(podIPs) ? ep : undefined;
      }),
    );
    const svc = await client!.get<Service>(Resources.services, 'default', 'nginx');
    const clusterIP = svc.spec?.clusterIP;
    expect(clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await timed('3b. curl ClusterIP', async () => {
      // Several connections, so the random choice among the 3 endpoints is exercised.
      for (let i = 0; i < 6; i++) {
        const res = await eventually(`nginx page on the ClusterIP ${clusterIP}`, 20_000, async () => {
          const r = await run('curl', ['-s', '-m', '3', '-w', '\n%{http_code}', `http://${clusterIP}/`]);
          return r.code === 0 && r.stdout.endsWith('\n200') ? r.stdout : undefined;
        });
        expect(res).toContain('nginx');
      }
    });
    // The same pods through a NodePort Service, on 127.0.0.1 and on the node's InternalIP.
    const np = await steer('apply', '-f', path.join(home, 'nginx-nodeport.yaml'));
    expect(np.stdout).toBe('service/nginx-nodeport created\n');
    const nodePort = (await client!.get<Service>(Resources.services, 'default', 'nginx-nodeport')).spec?.ports?.[0]?.nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const node = (await client!.list<Node>(Resources.nodes)).items[0];
    const nodeIP = (node.status?.addresses || []).find((a) => a.type === 'InternalIP')?.address;
    for (const host of ['127.0.0.1', nodeIP]) {
      const page = await timed(`3b. curl ${host === '127.0.0.1' ? '127.0.0.1' : 'node IP'}:NodePort`, () =>
        eventually(`nginx page on ${host}:${nodePort}`, 20_000, async () => {
          const res = await httpGet(`http://${host}:${nodePort}/`);
          return res.status === 200 ? res : undefined;
        }),
      );
      expect(page.body).toContain('nginx');
    }
    const deleted = await steer('delete', 'service', 'nginx-nodeport');
    expect(deleted.code).toBe(0);
  });

  it('4. killing an nginx container process from the host → restarted (restartCount 1) and Ready', async () => {
    requireCluster();
    const [victim] = await nginxPods();
    const containerId = (victim.status?.containerStatuses?.[0]?.containerID || '').replace(/^containerd:\/\//, '');
    expect(containerId).not.toBe('');
    const tasks = await run('ctr', ['--address', path.join(stateDir, 'runtime', 'containerd', 'containerd.sock'), '-n', 'k8s.io', 'tasks', 'ls']);
    const line = tasks.stdout.split('\n').find((l) => l.startsWith(containerId));
    expect(line).toBeDefined();
    const pid = Number(line!.trim().split(/\s+/)[1]);
    expect(pid).toBeGreaterThan(1);
    await timed('4. kill nginx process → restarted and Ready', async () => {
      process.kill(pid, 'SIGKILL');
      await eventually('the killed container restarted and Ready again', 90_000, async () => {
        const p = await client!.get<Pod>(Resources.pods, 'default', victim.metadata?.name || '');
        const cs = p.status?.containerStatuses?.[0];
        return cs && cs.restartCount === 1 && cs.ready && isReady(p) ? p : undefined;
      });
    });
    await readyNginx(3, '3 nginx pods Ready after the restart');
  });

  it('5. steer delete pod → a replacement is created and Running; 3 again', async () => {
    requireCluster();
    const [victim] = await nginxPods();
    const name = victim.metadata?.name || '';
    const r = await timed('5. delete pod → replacement Running', async () => {
      const out = await steer('delete', 'pod', name);
      await eventually('3 Ready nginx pods without the deleted one', 120_000, async () => {
        const pods = await nginxPods();
        return pods.length === 3 && pods.every(isReady) && !pods.some((p) => p.metadata?.name === name) ? pods : undefined;
      });
      return out;
    });
    expect(r.stdout).toBe(`pod "${name}" deleted\n`);
  });

  it('6. the same with the real kubectl 1.20: apply, scale, get -w', async () => {
    requireCluster();
    expect(fs.existsSync(kubectlBin)).toBe(true);
    // nginx.yaml says replicas: 1, so kubectl's three-way apply scales back to 1 — and must find steer's
    // last-applied annotation for the Service identical to its own (unchanged).
    const applied = await timed('6a. kubectl apply → 1 Running', async () => {
      const out = await kubectl('apply', '-f', 'manifests/nginx.yaml');
      await readyNginx(1, 'kubectl apply: back to 1 Ready nginx pod');
      return out;
    });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('deployment.apps/nginx configured\nservice/nginx unchanged\n');
    const again = await steer('apply', '-f', 'manifests/nginx.yaml');
    expect(again.stdout).toBe('deployment.apps/nginx unchanged\nservice/nginx unchanged\n');

    const watch = background(kubectlBin, ['get', 'pods', '-w']);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const scaled = await timed('6b. kubectl scale to 3 → 3 Running', async () => {
        const out = await kubectl('scale', 'deployment', 'nginx', '--replicas=3');
        await readyNginx(3, 'kubectl scale: 3 Ready nginx pods');
        return out;
      });
      expect(scaled.stdout).toBe('deployment.apps/nginx scaled\n');
      const names = (await nginxPods()).map((p) => p.metadata?.name || '');
      await eventually('kubectl get -w printed every pod as Running', 10_000, async () => {
        const out = watch.output();
        return names.every((n) => new RegExp(`^${n}\\s+1/1\\s+Running`, 'm').test(out)) ? true : undefined;
      });
    } finally {
      await watch.stop();
    }
    // The Deployment's status follows its pods' through the ReplicaSet: a moment behind under load.
    const deployments = /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nnginx\s+3\/3\s+3\s+3\s+/;
    const table = await eventually('kubectl get deployments: nginx 3/3 available', 15_000, async () => {
      const out = await kubectl('get', 'deployments');
      if (!deployments.test(out.stdout)) throw new Error(`kubectl get deployments printed ${JSON.stringify(out.stdout)}`);
      return out;
    });
    expect(table.stdout).toMatch(deployments);
  });

  it('6c. the current kubectl with the same kubeconfig: get, and auth whoami (SelfSubjectReview)', async () => {
    requireCluster();
    const current = '/usr/bin/kubectl';
    if (!fs.existsSync(current) || spawnSync(current, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: home } }).status !== 0) {
      // eslint-disable-next-line no-console
      console.warn('no current kubectl at /usr/bin/kubectl: step 6c skipped');
      return;
    }
    const got = await timed('6c. current kubectl get + auth whoami', async () => {
      const g = await run(current, ['get', 'deployments'], 60_000);
      const w = await run(current, ['auth', 'whoami', '-o', 'json'], 60_000);
      return { g, w };
    });
    expect(got.g.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nnginx\s+3\/3/);
    expect(got.w.stderr).toBe('');
    expect(got.w.code).toBe(0);
    expect((JSON.parse(got.w.stdout) as { status: { userInfo: unknown } }).status.userInfo).toEqual({ username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it("6d. the proxy subresources with both kubectls: a Service's endpoint, a pod, the node agent; the bare prefix redirects; RBAC decides", async () => {
    requireCluster();
    const pod = (await nginxPods())[0].metadata?.name || '';
    const node = (await client!.list<Node>(Resources.nodes)).items[0].metadata?.name || '';
    const binaries: Array<[string, (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>]> = [['kubectl 1.20', kubectl]];
    const current = '/usr/bin/kubectl';
    if (fs.existsSync(current) && spawnSync(current, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: home } }).status === 0) binaries.push([current, (...args) => run(current, args, 60_000)]);
    for (const [name, k] of binaries) {
      const got = await timed(`6d. ${name} get --raw through services/, pods/ and nodes/ proxy`, async () => ({
        // No trailing slash: the apiserver's 301 to `/proxy/`, which kubectl follows.
        service: await k('get', '--raw', '/api/v1/namespaces/default/services/nginx/proxy'),
        serviceByPort: await k('get', '--raw', '/api/v1/namespaces/default/services/http:nginx:80/proxy/index.html'),
        pod: await k('get', '--raw', `/api/v1/namespaces/default/pods/${pod}:80/proxy/`),
        nodeMetrics: await k('get', '--raw', `/api/v1/nodes/${node}/proxy/metrics`),
        missing: await k('get', '--raw', '/api/v1/namespaces/default/services/nginx:81/proxy/'),
      }));
      for (const page of [got.service, got.serviceByPort, got.pod]) expect([page.code, page.stdout]).toEqual([0, expect.stringContaining('hello from nginx')]);
      expect(got.nodeMetrics.stdout).toMatch(/^kubelet_running_pods\{node="[^"]+"\} [1-9]/m);
      expect(got.missing.code).not.toBe(0);
      expect(got.missing.stderr).toContain('no service port 81 found for service');
    }
    // Prometheus' identity may read nodes/metrics, not nodes/proxy (kube's RBAC on the subresource).
    const promToken = fs.readFileSync(path.join(pkiDir, 'prometheus.token'), 'utf8').trim();
    const denied = await httpsGet(`https://127.0.0.1:${ports.api}/api/v1/nodes/${node}/proxy/metrics`, { token: promToken });
    expect(denied.status).toBe(403);
    expect((JSON.parse(denied.body) as { message: string }).message).toContain('cannot get resource "nodes/proxy"');
  });

  it('7. Prometheus scrapes every component; kube_deployment_status_replicas_available{deployment="nginx"} is 3', async () => {
    requireCluster();
    ports.prom = await freePort();
    // This cluster's state dir instead of /var/lib/steer: the node targets, the CA and the token.
    const config = yaml.load(fs.readFileSync(path.join(repo, 'manifests', 'prometheus.yml'), 'utf8').replaceAll('/var/lib/steer/', `${stateDir}/`)) as {
      global: Record<string, unknown>;
      scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }>; file_sd_configs?: Array<{ files: string[] }> }>;
    };
    const portFor: Record<string, number> = { '6443': ports.api, '10251': ports.sched, '10252': ports.ctrl };
    for (const job of config.scrape_configs) {
      for (const sc of job.static_configs || []) sc.targets = sc.targets.map((t) => t.replace(/:(\d+)$/, (_m, p: string) => `:${portFor[p] ?? p}`));
    }
    const promDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-prom-'));
    fs.writeFileSync(path.join(promDir, 'prometheus.yml'), yaml.dump(config));
    const prom = background('prometheus', [`--config.file=${path.join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${ports.prom}`]);
    const api = (q: string) => httpGet(`http://127.0.0.1:${ports.prom}${q}`).then((r) => JSON.parse(r.body));
    try {
      await timed('7. prometheus: all targets up, replicas_available 3', async () => {
        const targets = await eventually('every Prometheus target up', 90_000, async () => {
          const t = (await api('/api/v1/targets')) as { data: { activeTargets: Array<{ scrapePool: string; health: string; lastError: string }> } };
          const active = t.data.activeTargets;
          const pools = new Set(active.map((a) => a.scrapePool));
          return pools.size === 4 && active.every((a) => a.health === 'up') ? active : undefined;
        }).catch(async (err) => {
          const t = await api('/api/v1/targets').catch(() => ({}));
          throw new Error(`${(err as Error).message}\ntargets: ${JSON.stringify(t)}\nprometheus: ${prom.output().slice(-2000)}`);
        });
        expect(targets.length).toBeGreaterThanOrEqual(4);
        // Each component serves its own registry even in the all-in-one process: the series comes from
        // the controllers' job only.
        const query = async (promql: string) =>
          ((await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
        await eventually('kube_deployment_status_replicas_available{deployment="nginx"} == 3', 60_000, async () => {
          const series = await query('kube_deployment_status_replicas_available{deployment="nginx"}');
          return series.length === 1 && series[0].value[1] === '3' && series[0].metric.job === 'steer-controllers' ? true : undefined;
        });
        expect((await query('count by (job) (workqueue_adds_total)')).map((r) => r.metric.job).sort()).toEqual(['steer-controllers', 'steer-node-agent']);
        expect((await query('count by (job) (process_resident_memory_bytes)')).length).toBe(4);
      });
    } finally {
      await prom.stop();
      fs.rmSync(promDir, { recursive: true, force: true });
    }
  });

  it('8. steer down leaves no steer process, container or sandbox', async () => {
    const runtimeInfo = JSON.parse(fs.readFileSync(path.join(stateDir, 'runtime.json'), 'utf8')) as { pids: { containerd: number } };
    const serverPid = Number(fs.readFileSync(path.join(stateDir, 'server.pid'), 'utf8'));
    const r = await timed('8. steer down', () => steer('down', '--state-dir', stateDir));
    expect(r.code).toBe(0);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(serverPid)).toBe(false);
    expect(alive(runtimeInfo.pids.containerd)).toBe(false);
    // No process (shim, runc, nginx, pause) still refers to this cluster's state dir.
    const leftovers: string[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmd.includes(stateDir)) leftovers.push(`${entry}: ${cmd}`);
      } catch {
        // exited meanwhile
      }
    }
    expect(leftovers).toEqual([]);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(stateDir));
    expect(mounts).toEqual([]);
    const bridge = await run('ip', ['link', 'show', 'steerscn0']);
    expect(bridge.code).not.toBe(0);
    // Nor the service proxy's iptables chains (nor the jumps to them).
    const tag = `STEER-${chainTag('steerscn0')}-`;
    for (const table of ['nat', 'filter']) {
      const save = await run('iptables-save', ['-t', table]);
      expect(save.code).toBe(0);
      expect(save.stdout.split('\n').filter((l) => l.includes(tag))).toEqual([]);
    }
  });
});
