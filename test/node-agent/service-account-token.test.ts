// A pod's service-account credentials end to end on a hollow node: the apiserver (HTTPS with a test CA,
// ServiceAccount admission, the default/kubernetes Service), the root CA publisher and a node agent on the
// fake runtime. The pod's kube-api-access volume holds a pod-bound token, the CA and the namespace in the
// kubelet's atomic layout; its containers get KUBERNETES_SERVICE_HOST/PORT; @kubernetes/client-node's
// loadFromCluster reads those files and authenticates as the service account (verifying the apiserver with
// the projected ca.crt); the token is renewed in place before it expires; and dies with its pod.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Attributes } from '../../apiserver/auth/types';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { Resources } from '../../lib/api/resources';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { apiTokenRequester, ServiceAccountTokenManager } from '../../node-agent/volumes/tokens';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { makeTestPki, TestPki } from '../helpers/test-ca';
import { waitForWithin } from '../helpers/wait';

jest.setTimeout(120_000);
const waitFor = waitForWithin(40_000);

const NODE = 'sa-node-0';
const SA_ROOT = '/var/run/secrets/kubernetes.io/serviceaccount';
let pki: TestPki;
let srv: TestApiServer;
let controllers: RunningControllers;
let hollow: HollowNodes;
let stateDir: string;
let clockSkewMs = 0;
const seen: Attributes[] = [];

beforeAll(async () => {
  pki = makeTestPki(['IP:127.0.0.1', 'IP:10.96.0.1', 'DNS:kubernetes.default.svc', 'DNS:localhost']);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-sa-node-'));
  srv = await startTestApiServer({
    tlsCertFile: pki.certFile,
    tlsKeyFile: pki.keyFile,
    enableAdmissionPlugins: ['ServiceAccount'],
    advertiseAddress: '127.0.0.1',
    authorizer: {
      authorize: (a) => {
        seen.push(a);
        return { decision: 'allow' };
      },
    },
  });
  controllers = await startControllers({ client: srv.client, controllers: ['root-ca-cert-publisher'], rootCAFile: pki.caFile, log: () => undefined });
  hollow = await startHollowNodes({
    client: srv.client,
    count: 1,
    namePrefix: 'sa-node-',
    stateDir,
    port: false,
    relistIntervalMs: 200,
    resyncIntervalMs: 300,
    volumeRefreshIntervalMs: 300,
    // The node's clock can be moved forward to make its tokens due for renewal.
    tokens: new ServiceAccountTokenManager(apiTokenRequester(srv.client), { now: () => Date.now() + clockSkewMs }),
    log: () => undefined,
  });
  await srv.client.create(Resources.namespaces, undefined, { metadata: { name: 'apps' } });
  await srv.client.create(Resources.serviceaccounts, 'apps', { metadata: { name: 'reader' } });
});
afterAll(async () => {
  await hollow?.stop();
  await controllers?.stop();
  await srv?.stop();
  pki?.cleanup();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

/** Projected volumes live in the agent's memory-backed dir (host-files.ts podMemoryDir). */
function volumeDir(pod: Pod): string {
  const vol = pod.spec!.volumes!.find((v) => v.name.startsWith('kube-api-access-'))!;
  return path.join(stateDir, NODE, 'memory', pod.metadata!.uid!, 'volumes', 'kubernetes.io~projected', vol.name);
}

/** client-node's in-cluster config over the pod's files (a test process cannot reach 10.96.0.1: the host and port are the apiserver's). */
function inClusterClient(dir: string): CoreV1Api {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-incluster-'));
  fs.mkdirSync(path.dirname(path.join(prefix, SA_ROOT)), { recursive: true });
  fs.symlinkSync(dir, path.join(prefix, SA_ROOT));
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
  process.env.KUBERNETES_SERVICE_PORT = String(srv.server.port);
  try {
    const kc = new KubeConfig();
    kc.loadFromCluster(prefix);
    expect(kc.getCurrentCluster()).toMatchObject({ server: `https://127.0.0.1:${srv.server.port}`, skipTLSVerify: false });
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('apps');
    return kc.makeApiClient(CoreV1Api);
  } finally {
    process.env.KUBERNETES_SERVICE_HOST = saved.host;
    process.env.KUBERNETES_SERVICE_PORT = saved.port;
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
  }
}

test('a pod on a node gets its token, CA, namespace and service variables, and client-node works with them', async () => {
  await srv.client.create<Pod>(Resources.pods, 'apps', {
    metadata: { name: 'client' },
    spec: { nodeName: NODE, serviceAccountName: 'reader', containers: [{ name: 'app', image: 'busybox:1.35' }] },
  });
  const pod = await waitFor('the pod to run', async () => {
    const p = await srv.client.get<Pod>(Resources.pods, 'apps', 'client');
    return p.status?.phase === 'Running' ? p : undefined;
  });
  const dir = volumeDir(pod);
  // The kubelet's layout and modes.
  expect(fs.readlinkSync(path.join(dir, '..data'))).toMatch(/^\.\.\d{4}_/);
  for (const f of ['token', 'ca.crt', 'namespace']) expect(fs.readlinkSync(path.join(dir, f))).toBe(`..data/${f}`);
  expect(fs.statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o644);
  expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(pki.caPem);
  expect(fs.readFileSync(path.join(dir, 'namespace'), 'utf8')).toBe('apps');
  const claims = JSON.parse(Buffer.from(fs.readFileSync(path.join(dir, 'token'), 'utf8').split('.')[1], 'base64url').toString()) as Record<string, unknown>;
  expect(claims.sub).toBe('system:serviceaccount:apps:reader');
  expect((claims['kubernetes.io'] as Record<string, unknown>).pod).toEqual({ name: 'client', uid: pod.metadata?.uid });

  // The container's environment, as the runtime got it.
  const id = pod.status!.containerStatuses![0].containerID!.replace(/^[a-z]+:\/\//, '');
  const env = Object.fromEntries(hollow.runtimes.get(NODE)!.containerConfig(id).env.map((e) => [e.name, e.value]));
  expect(env).toMatchObject({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443', KUBERNETES_PORT: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1' });

  // client-node's in-cluster config: the token authenticates, the projected CA verifies the apiserver.
  const api = inClusterClient(dir);
  seen.length = 0;
  const list = await api.listNamespacedConfigMap({ namespace: 'apps' });
  expect(list.items.map((c) => c.metadata?.name)).toContain('kube-root-ca.crt');
  const mine = seen.find((a) => a.namespace === 'apps' && a.resource === 'configmaps' && a.verb === 'list')!;
  expect(mine.user.name).toBe('system:serviceaccount:apps:reader');
  expect(mine.user.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['client']);
});

test('the token is renewed in place before it expires, and dies with its pod', async () => {
  const pod = await srv.client.get<Pod>(Resources.pods, 'apps', 'client');
  const dir = volumeDir(pod);
  const before = fs.readFileSync(path.join(dir, 'token'), 'utf8');
  // 85% of the 3607 s lifetime later, on the node's clock.
  clockSkewMs = 0.85 * 3607_000;
  const after = await waitFor('a renewed token', () => {
    const t = fs.readFileSync(path.join(dir, 'token'), 'utf8');
    return t !== before ? t : undefined;
  });
  clockSkewMs = 0;
  expect(JSON.parse(Buffer.from(after.split('.')[1], 'base64url').toString()).jti).not.toBe(JSON.parse(Buffer.from(before.split('.')[1], 'base64url').toString()).jti);
  const api = inClusterClient(dir);
  await api.listNamespacedConfigMap({ namespace: 'apps' });

  // The apiserver's answer to the token, verified with the test CA.
  const status = (token: string) =>
    new Promise<number>((resolve, reject) => {
      https.get(`${srv.url}/api/v1/namespaces/apps/configmaps`, { ca: pki.caPem, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
  expect(await status(after)).toBe(200);
  await srv.client.delete(Resources.pods, 'apps', 'client', { gracePeriodSeconds: 0 });
  await waitFor('the pod to be gone', async () => (await srv.client.list<Pod>(Resources.pods, { namespace: 'apps' })).items.length === 0);
  expect(await status(after)).toBe(401);
});
