// Every `kubectl create` generator whose kind steer serves, with kubectl 1.20 (JSON bodies) and the
// current kubectl (protobuf bodies, application/vnd.kubernetes.protobuf): the object each one makes is
// read back and checked.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { KUBECTL_120, kubectlBinaries, kubectlRunner } from '../helpers/kubectl';

const binaries = kubectlBinaries('k');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects of many kinds, checked field by field
type Obj = { metadata: { name: string }; spec?: any; data?: Record<string, string>; type?: string; rules?: unknown; subjects?: unknown; roleRef?: unknown };
const get = (r: (typeof Resources)[keyof typeof Resources], ns: string | undefined, name: string): Promise<Obj> => srv.client.get<Obj>(r, ns, name);

let srv: TestApiServer;
let home: string;
beforeAll(async () => {
  srv = await startTestApiServer();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-create-'));
});
afterAll(async () => {
  await srv?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe.each(binaries)('$name create', ({ bin, ns }) => {
  const kubectl = kubectlRunner(bin, () => srv.kubeconfigPath, () => home, ns);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };

  test('namespace', async () => {
    expect(await ok('create', 'namespace', ns)).toBe(`namespace/${ns} created\n`);
    expect((await get(Resources.namespaces, undefined, ns)).metadata.name).toBe(ns);
  });

  test('deployment', async () => {
    expect(await ok('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80', '-n', ns)).toBe('deployment.apps/web created\n');
    const d = await get(Resources.deployments, ns, 'web');
    expect(d.spec).toMatchObject({ replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } } });
    // Defaults applied after decoding, as for JSON.
    expect(d.spec).toMatchObject({ strategy: { type: 'RollingUpdate' }, revisionHistoryLimit: 10 });
  });

  test('deployment with zero replicas keeps the zero', async () => {
    await ok('create', 'deployment', 'zero', '--image=nginx:1.25', '--replicas=0', '-n', ns);
    expect((await get(Resources.deployments, ns, 'zero')).spec).toMatchObject({ replicas: 0 });
  });

  test('job', async () => {
    expect(await ok('create', 'job', 'once', '--image=busybox', '-n', ns, '--', 'echo', 'hi')).toBe('job.batch/once created\n');
    const j = await get(Resources.jobs, ns, 'once');
    expect(j.spec).toMatchObject({ template: { spec: { containers: [{ name: 'once', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' } } });
  });

  test('service clusterip and nodeport', async () => {
    expect(await ok('create', 'service', 'clusterip', 'api', '--tcp=80:8080', '-n', ns)).toBe('service/api created\n');
    const s = await get(Resources.services, ns, 'api');
    expect(s.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }], selector: { app: 'api' } });
    expect(s.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await ok('create', 'service', 'nodeport', 'np', '--tcp=81:http', '-n', ns);
    const np = await get(Resources.services, ns, 'np');
    expect(np.spec).toMatchObject({ type: 'NodePort', ports: [{ port: 81, targetPort: 'http' }] });
    expect(np.spec?.ports?.[0].nodePort).toBeGreaterThanOrEqual(30000);
  });

  test('secret generic, docker-registry and tls; configmap', async () => {
    await ok('create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=empty=', '-n', ns);
    const s = await get(Resources.secrets, ns, 'creds');
    expect(s).toMatchObject({ type: 'Opaque', data: { user: Buffer.from('admin').toString('base64'), empty: '' } });
    await ok('create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p', '-n', ns);
    expect((await get(Resources.secrets, ns, 'reg')).type).toBe('kubernetes.io/dockerconfigjson');
    await ok('create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=', '-n', ns);
    expect((await get(Resources.configmaps, ns, 'cfg')).data).toEqual({ a: '1', b: '' });
  });

  test('serviceaccount, role, rolebinding, clusterrole, clusterrolebinding, token', async () => {
    await ok('create', 'serviceaccount', 'robot', '-n', ns);
    await ok('create', 'role', 'reader', '--verb=get,list', '--resource=pods', '-n', ns);
    expect((await get(Resources.roles, ns, 'reader')).rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    await ok('create', 'rolebinding', 'reader', '--role=reader', '--serviceaccount', `${ns}:robot`, '-n', ns);
    expect((await get(Resources.rolebindings, ns, 'reader')).subjects).toMatchObject([{ kind: 'ServiceAccount', name: 'robot', namespace: ns }]);
    await ok('create', 'clusterrole', `${ns}-nodes`, '--verb=get', '--resource=nodes');
    await ok('create', 'clusterrolebinding', `${ns}-nodes`, `--clusterrole=${ns}-nodes`, '--user=jane');
    expect((await get(Resources.clusterrolebindings, undefined, `${ns}-nodes`)).roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns}-nodes` });
    // `kubectl create token` came with kubectl 1.24: 1.20 has no such generator.
    if (bin !== KUBECTL_120) expect((await ok('create', 'token', 'robot', '-n', ns)).split('.')).toHaveLength(3);
  });

  test('get -o yaml of what was created', async () => {
    const out = await ok('get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.metadata.generation}');
    expect(out).toBe('3 1');
  });
});
