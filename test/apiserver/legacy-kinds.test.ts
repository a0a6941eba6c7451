// The legacy kinds through both kubectls (1.20: JSON; current: protobuf): `create quota` and the
// ResourceQuota admission refusing the pod over it, `create priorityclass` and the Priority admission
// giving a pod its priority, `get cs` (a scheduler answering ok, a controller manager that is down, the
// storage as etcd-0), `get rc` and `scale rc` through the scale subresource, a LimitRange's defaults.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { kubectlBinaries, kubectlRunner } from '../helpers/kubectl';

const binaries = kubectlBinaries('legacy');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects of several kinds, checked field by field
type Obj = { metadata: { name: string; annotations?: Record<string, string> }; spec?: any; status?: any; value?: number };

let srv: TestApiServer;
let home: string;
let healthy: http.Server;
beforeAll(async () => {
  healthy = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => healthy.listen(0, '127.0.0.1', r));
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  srv = await startTestApiServer({
    enableAdmissionPlugins: ['ServiceAccount', 'LimitRanger', 'Priority', 'PodSecurity', 'ResourceQuota'],
    componentStatusTargets: [
      { name: 'scheduler', url: `http://127.0.0.1:${(healthy.address() as AddressInfo).port}/healthz` },
      { name: 'controller-manager', url: `http://127.0.0.1:${closedPort}/healthz` },
    ],
  });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-legacy-kinds-'));
});
afterAll(async () => {
  await srv?.stop();
  await new Promise((r) => healthy?.close(r));
  fs.rmSync(home, { recursive: true, force: true });
});

describe.each(binaries)('$name', ({ bin, ns }) => {
  const kubectl = kubectlRunner(bin, () => srv.kubeconfigPath, () => home, ns);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const get = (r: (typeof Resources)[keyof typeof Resources], namespace: string | undefined, name: string): Promise<Obj> => srv.client.get<Obj>(r, namespace, name);

  beforeAll(async () => {
    await ok('create', 'namespace', ns);
    await srv.client.create(Resources.serviceaccounts, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch(() => undefined);
  });

  test('create quota, and the pod over it is refused with 403', async () => {
    expect(await ok('create', 'quota', 'q', '--hard=pods=1,count/configmaps=5', '-n', ns)).toBe('resourcequota/q created\n');
    expect((await get(Resources.resourcequotas, ns, 'q')).spec).toEqual({ hard: { pods: '1', 'count/configmaps': '5' } });
    expect(await ok('run', 'first', '--image=nginx', '--restart=Never', '-n', ns)).toBe('pod/first created\n');
    // Charged by the admission itself (no quota controller runs here), as kube's quota admission does.
    const charged = await get(Resources.resourcequotas, ns, 'q');
    expect(charged.status).toEqual({ hard: { pods: '1', 'count/configmaps': '5' }, used: { pods: '1' } });
    expect(Object.keys(charged.status.hard)).toEqual(['count/configmaps', 'pods']);
    const r = await kubectl('run', 'second', '--image=nginx', '--restart=Never', '-n', ns);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('Error from server (Forbidden): pods "second" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1\n');
    const table = await ok('get', 'quota', 'q', '-n', ns);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
  });

  test('a scoped quota refuses only the pods in its scopes; kube refuses scopes that cannot apply; describe shows them', async () => {
    const sns = `${ns}-scoped`;
    await ok('create', 'namespace', sns);
    const bad = await kubectl('create', 'quota', 'bad', '--hard=pods=2,requests.cpu=1', '--scopes=BestEffort', '-n', sns);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('ResourceQuota "bad" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource');
    expect(await ok('create', 'quota', 'be', '--hard=pods=1', '--scopes=BestEffort', '-n', sns)).toBe('resourcequota/be created\n');
    const gold = `${sns}-gold`;
    await srv.client.create(Resources.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: gold }, value: 100 });
    await srv.client.create(Resources.resourcequotas, sns, {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'gold' },
      spec: { hard: { pods: '0' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [gold] }] } },
    });
    const manifest = (name: string, spec: Record<string, unknown>) => {
      const file = path.join(home, `${sns}-${name}.json`);
      fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: sns }, spec: { containers: [{ name: 'c', image: 'nginx', ...spec }] } }));
      return file;
    };
    // The first best-effort pod fits, the second is over the BestEffort quota.
    expect(await ok('run', 'free', '--image=nginx', '--restart=Never', '-n', sns)).toBe('pod/free created\n');
    const over = await kubectl('run', 'free2', '--image=nginx', '--restart=Never', '-n', sns);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toBe('Error from server (Forbidden): pods "free2" is forbidden: exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1\n');
    // A pod with requests is outside BestEffort and outside the gold selector: no quota applies.
    expect(await ok('create', '-f', manifest('burstable', { resources: { requests: { cpu: '100m' } } }))).toBe('pod/burstable created\n');
    // The gold class is capped at zero pods, whatever its QoS.
    const goldFile = path.join(home, `${sns}-gold.json`);
    fs.writeFileSync(goldFile, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'golden', namespace: sns }, spec: { priorityClassName: gold, containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }] } }));
    const golden = await kubectl('create', '-f', goldFile);
    expect(golden.code).not.toBe(0);
    expect(golden.stderr).toContain('pods "golden" is forbidden: exceeded quota: gold, requested: pods=1, used: pods=0, limited: pods=0');
    const described = await ok('describe', 'quota', 'be', '-n', sns);
    expect(described).toMatch(/^Name:\s+be$/m);
    expect(described).toMatch(/^Scopes:\s+BestEffort$/m);
    expect(described).toContain(' * Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.');
    expect(described).toMatch(/^pods\s+\S+\s+1$/m);
    // kubectl describe prints spec.scopes only; the selector is kept as written.
    expect((await get(Resources.resourcequotas, sns, 'gold')).spec.scopeSelector).toEqual({ matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [gold] }] });
  });

  test('create priorityclass, and a pod naming it gets its priority', async () => {
    const name = `${ns}-high`;
    expect(await ok('create', 'priorityclass', name, '--value=1000', '--description=important', '--preemption-policy=Never')).toBe(`priorityclass.scheduling.k8s.io/${name} created\n`);
    expect(await get(Resources.priorityclasses, undefined, name)).toMatchObject({ value: 1000, description: 'important', preemptionPolicy: 'Never' });
    const listed = await ok('get', 'priorityclasses');
    expect(listed).toMatch(/system-node-critical\s+2000001000\s+false/);
    expect(listed).toMatch(new RegExp(`${name}\\s+1000\\s+false`));
    const tooHigh = await kubectl('create', 'priorityclass', `${ns}-too-high`, '--value=2000000000');
    expect(tooHigh.stderr).toContain('value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
    await srv.client.delete(Resources.resourcequotas, ns, 'q');
    await srv.client.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'prio' }, spec: { priorityClassName: name, containers: [{ name: 'c', image: 'nginx' }] } });
    expect((await get(Resources.pods, ns, 'prio')).spec).toMatchObject({ priority: 1000, preemptionPolicy: 'Never' });
  });

  test('get cs', async () => {
    const out = await ok('get', 'cs');
    const rows = out.trim().split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'STATUS', 'MESSAGE', 'ERROR']);
    expect(Object.fromEntries(rows.slice(1).map((r) => [r[0], r[1]]))).toEqual({ scheduler: 'Healthy', 'controller-manager': 'Unhealthy', 'etcd-0': 'Healthy' });
    expect(out).toMatch(/controller-manager\s+Unhealthy\s+.*connection refused/);
    expect(out).toMatch(/scheduler\s+Healthy\s+ok/);
  });

  test('get rc and scale rc', async () => {
    await srv.client.create(Resources.replicationcontrollers, ns, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web' },
      spec: { replicas: 1, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const rc = await get(Resources.replicationcontrollers, ns, 'web');
    expect(rc.spec.selector).toEqual({ app: 'web' });
    const table = await ok('get', 'rc', '-n', ns, '-o', 'wide');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(table.split('\n')[1]).toMatch(/^web\s+1\s+0\s+0\s+\S+\s+c\s+nginx\s+app=web$/);
    expect(await ok('scale', 'rc', 'web', '--replicas=3', '-n', ns)).toBe('replicationcontroller/web scaled\n');
    expect((await get(Resources.replicationcontrollers, ns, 'web')).spec.replicas).toBe(3);
  });

  test('a LimitRange gives a new pod its defaults', async () => {
    await srv.client.create(Resources.limitranges, ns, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '300m' }, defaultRequest: { cpu: '100m' } }] } });
    expect(await ok('run', 'limited', '--image=nginx', '--restart=Never', '-n', ns)).toBe('pod/limited created\n');
    const p = await get(Resources.pods, ns, 'limited');
    expect(p.spec.containers[0].resources).toEqual({ requests: { cpu: '100m' }, limits: { cpu: '300m' } });
    expect(p.metadata.annotations?.['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu request for container limited; cpu limit for container limited');
  });
});
