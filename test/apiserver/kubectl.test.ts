// The real kubectl against a started apiserver: kubectl 1.20 (Debian's, unpacked into tools/kubectl by
// scripts/install-deps.sh) and any newer /usr/bin/kubectl that runs here. Each binary gets a fresh HOME
// so discovery is never served from an old cache.
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const ROOT = path.join(__dirname, '..', '..');
const KUBECTL_120 = path.join(ROOT, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');

function runs(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } });
  return r.status === 0;
}

const binaries: Array<{ name: string; bin: string }> = [{ name: 'kubectl 1.20', bin: KUBECTL_120 }];
if (runs('/usr/bin/kubectl')) binaries.push({ name: '/usr/bin/kubectl', bin: '/usr/bin/kubectl' });

const manifest = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: 127.0.0.1:5000/nginx:1.22
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  selector:
    app: nginx
  ports:
  - port: 80
    targetPort: 80
`;

test('kubectl 1.20 is installed (scripts/install-deps.sh unpacks it)', () => {
  expect(fs.existsSync(KUBECTL_120)).toBe(true);
});

describe.each(binaries)('$name against steer apiserver', ({ bin }) => {
  let srv: TestApiServer;
  let home: string;
  let file: string;

  beforeAll(async () => {
    srv = await startTestApiServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-'));
    file = path.join(home, 'app.yaml');
  });
  afterAll(async () => {
    await srv.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(bin, ['--kubeconfig', srv.kubeconfigPath, ...args], { env: { ...process.env, HOME: home, KUBECONFIG: srv.kubeconfigPath }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  test('apply: created, unchanged, configured', async () => {
    fs.writeFileSync(file, manifest(1));
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/nginx created\nservice/nginx created\n');
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/nginx unchanged\nservice/nginx unchanged\n');
    fs.writeFileSync(file, manifest(3));
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/nginx configured\nservice/nginx unchanged\n');
    const d = await srv.client.get<{ spec: { replicas: number }; metadata: { generation: number } }>(Resources.deployments, 'default', 'nginx');
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(2);
  });

  test('get -o wide, -o yaml, -o json', async () => {
    await srv.client.create(Resources.pods, 'default', {
      metadata: { name: 'nginx-pod', labels: { app: 'nginx' } },
      spec: { containers: [{ name: 'nginx', image: '127.0.0.1:5000/nginx:1.22' }] },
    });
    const wide = await ok('get', 'deploy,svc,pods', '-o', 'wide');
    expect(wide).toMatch(/deployment\.apps\/nginx/);
    expect(wide).toMatch(/service\/nginx/);
    expect(wide).toMatch(/pod\/nginx-pod/);
    expect(wide).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide).toMatch(/NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR/);
    expect(wide).toMatch(/80\/TCP/);
    expect(wide).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    const y = await ok('get', 'deployment', 'nginx', '-o', 'yaml');
    expect(y).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\n/);
    expect(y).toMatch(/replicas: 3/);
    expect(y).toMatch(/maxSurge: 25%/);
    const j = JSON.parse(await ok('get', 'svc', 'nginx', '-o', 'json')) as { spec: { clusterIP: string; ports: Array<{ protocol: string }> } };
    expect(j.spec.clusterIP).toMatch(/^10\./);
    expect(j.spec.ports[0].protocol).toBe('TCP');
    const all = await ok('get', 'all');
    expect(all).toMatch(/pod\/nginx-pod/);
    expect(all).toMatch(/deployment\.apps\/nginx/);
  });

  test('get pods -w sees an event made meanwhile', async () => {
    const child = spawn(bin, ['--kubeconfig', srv.kubeconfigPath, 'get', 'pods', '-w'], { env: { ...process.env, HOME: home } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const until = async (re: RegExp) => {
        for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
        expect(out).toMatch(re);
      };
      await until(/nginx-pod/);
      await srv.client.create(Resources.pods, 'default', { metadata: { name: 'watched-pod' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
      await until(/watched-pod/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('scale, describe, api-resources, get ns', async () => {
    expect(await ok('scale', 'deployment', 'nginx', '--replicas=5')).toBe('deployment.apps/nginx scaled\n');
    const d = await srv.client.get<{ spec: { replicas: number } }>(Resources.deployments, 'default', 'nginx');
    expect(d.spec.replicas).toBe(5);
    expect(await ok('scale', 'deployment', 'nginx', '--current-replicas=5', '--replicas=2')).toBe('deployment.apps/nginx scaled\n');
    const failed = await kubectl('scale', 'deployment', 'nginx', '--current-replicas=7', '--replicas=1');
    expect(failed.code).not.toBe(0);
    const desc = await ok('describe', 'deployment', 'nginx');
    expect(desc).toMatch(/Name:\s+nginx/);
    expect(desc).toMatch(/Replicas:\s+2 desired/);
    expect(desc).toMatch(/StrategyType:\s+RollingUpdate/);
    expect(desc).toMatch(/RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/);
    const res = await ok('api-resources');
    expect(res).toMatch(/deployments\s+deploy\s+apps(\/v1)?\s+true\s+Deployment/);
    expect(res).toMatch(/pods\s+po\s+(v1\s+)?true\s+Pod/);
    expect(res).toMatch(/leases\s+coordination\.k8s\.io(\/v1)?\s+true\s+Lease/);
    const ns = await ok('get', 'ns');
    expect(ns).toMatch(/default/);
    expect(ns).toMatch(/kube-system/);
    expect(ns).toMatch(/kube-node-lease/);
  });

  test('errors print like Kubernetes', async () => {
    const nf = await kubectl('get', 'deployment', 'nope');
    expect(nf.code).not.toBe(0);
    expect(nf.stderr).toMatch(/Error from server \(NotFound\): deployments.apps "nope" not found/);
    const bad = await kubectl('get', 'pods', '--field-selector', 'spec.foo=bar');
    expect(bad.stderr).toMatch(/field label not supported: spec.foo/);
  });

  test('a subresource steer lacks is a 404 with empty details, as kube-apiserver answers a path it lacks; kubectl debug adds an ephemeral container', async () => {
    await srv.client.create(Resources.pods, 'default', { metadata: { name: 'debuggee' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const raw = await kubectl('get', '--raw', '/api/v1/namespaces/default/pods/debuggee/resize');
    expect(raw.stderr).toMatch(/NotFound/);
    // Clients tell a missing path from a missing object by the empty details (kubectl debug once crashed without them).
    expect(await (await fetch(`${srv.url}/api/v1/namespaces/default/pods/debuggee/resize`)).json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
    if (bin === KUBECTL_120) return; // its debug is `kubectl alpha debug`
    // The pods/ephemeralcontainers subresource: the strategic merge patch kubectl debug sends.
    const debug = await kubectl('debug', 'debuggee', '--image=busybox', '--target=c', '--profile=general', '--', 'ps');
    expect(debug.stdout).toMatch(/Defaulting debug container name to debugger-[a-z0-9]{5}\./);
    expect(debug.code).toBe(0);
    const pod = await srv.client.get<Pod>(Resources.pods, 'default', 'debuggee');
    expect(pod.spec?.ephemeralContainers).toEqual([expect.objectContaining({ name: expect.stringMatching(/^debugger-/), image: 'busybox', command: ['ps'], targetContainerName: 'c' })]);
  });

  test('delete -f removes what apply made', async () => {
    const out = await ok('delete', '-f', file);
    expect(out).toBe('deployment.apps "nginx" deleted\nservice "nginx" deleted\n');
    expect((await kubectl('get', 'deployment', 'nginx')).code).not.toBe(0);
    expect(await ok('delete', 'pod', 'nginx-pod')).toBe('pod "nginx-pod" deleted\n');
  });
});
