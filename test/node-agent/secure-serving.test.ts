// The node agent's port secured as the kubelet's: an apiserver on HTTPS with client certificates and a
// token file; the agent connects with its own node identity (system:node:<name>), serves HTTPS with a
// serving certificate of the cluster CA, authenticates callers by client certificate or TokenReview (the
// real one, on the apiserver) and asks for a SubjectAccessReview on nodes/<subresource> (a double of the
// authorization API, speaking its real shape). A caller without credentials gets 401, a non-admin
// identity 403 with the kubelet's message; the apiserver itself reaches the agent for `pods/log` with
// its kubelet-client certificate and checks the agent's serving certificate against the CA.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { issueCertificate, type CertKeyPem } from '../../lib/component/pki';
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator } from '../../lib/component/secure-serving';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { startNodeAgent, type RunningNodeAgent } from '../../node-agent/start';
import { makeTestPki, type TestPki } from '../helpers/pki';
import { startReviewDouble, type ReviewDouble, type SarSpec } from '../helpers/review-double';
import { waitForWithin } from '../helpers/wait';

jest.setTimeout(60_000);
const waitFor = waitForWithin(15_000);
const nodeName = 'secure-node';

function get(url: string, o: { ca: string; cert?: CertKeyPem; token?: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: o.ca, cert: o.cert?.cert, key: o.cert?.key, agent: false, headers: o.token ? { Authorization: `Bearer ${o.token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

let pki: TestPki;
let api: RunningApiServer;
let double: ReviewDouble;
let agentClient: KubeClient;
let adminClient: KubeClient;
let runtime: FakeRuntime;
let agent: RunningNodeAgent;
let stateDir: string;
let admin: CertKeyPem;

/** RBAC's answers for these identities, as the default roles give them. */
function allow(s: SarSpec): boolean {
  const groups = s.groups ?? [];
  if (groups.includes('system:masters')) return true;
  const r = s.resourceAttributes;
  return s.user === 'steer:prometheus' && r?.resource === 'nodes' && r.subresource === 'metrics' && r.verb === 'get';
}

beforeAll(async () => {
  pki = await makeTestPki();
  const tokens = path.join(pki.dir, 'tokens.csv');
  fs.writeFileSync(tokens, 'prom-token,steer:prometheus,uid-prom,"system:monitoring"\nbob-token,bob,uid-bob\n');
  const kubeletClient = await pki.client('kube-apiserver-kubelet-client', ['system:masters']);
  api = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    tlsCertFile: pki.servingCertFile,
    tlsKeyFile: pki.servingKeyFile,
    clientCAFile: pki.caFile,
    tokenFile: tokens,
    anonymousAuth: false,
    kubeletClient: { certFile: kubeletClient.certFile, keyFile: kubeletClient.keyFile, caFile: pki.caFile },
  });
  const nodeCert = await pki.client(`system:node:${nodeName}`, ['system:nodes']);
  agentClient = KubeClient.fromCredentials({ server: api.url, ca: pki.ca.cert, cert: nodeCert.cert, key: nodeCert.key });
  admin = await pki.client('kubernetes-admin', ['system:masters']);
  adminClient = KubeClient.fromCredentials({ server: api.url, ca: pki.ca.cert, cert: admin.cert, key: admin.key });
  double = await startReviewDouble({ allow });
  const serving = await issueCertificate(pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], ipAddresses: ['127.0.0.1'], dnsNames: [nodeName], usage: 'server' });
  runtime = new FakeRuntime({ images: ['busybox:1.35'] });
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-secure-agent-'));
  agent = await startNodeAgent({
    client: agentClient,
    nodeName,
    runtime,
    stateDir,
    cgroupFs: false,
    address: '127.0.0.1',
    port: 0,
    relistIntervalMs: 50,
    leaseRenewIntervalMs: 500,
    log: () => undefined,
    serving: {
      cert: serving.cert,
      key: serving.key,
      clientCA: pki.ca.cert,
      tokens: tokenReviewAuthenticator(agentClient),
      authorizer: subjectAccessReviewAuthorizer(double.client),
    },
  });
});

afterAll(async () => {
  await agent?.stop();
  agentClient?.close();
  adminClient?.close();
  await double?.close();
  await api?.close();
  pki?.cleanup();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('the node agent behind the kubelet authentication and authorization', () => {
  it('serves HTTPS and registers its Node with its own identity', async () => {
    expect(agent.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const node = await adminClient.get<{ metadata: { name: string } }>(Resources.nodes, undefined, nodeName);
    expect(node.metadata.name).toBe(nodeName);
  });

  it('refuses a caller without credentials, or with a wrong token, with 401', async () => {
    for (const p of ['/pods', '/healthz', '/metrics', '/stats/summary']) {
      const r = await get(`${agent.url}${p}`, { ca: pki.ca.cert });
      expect(r.code).toBe(401);
      expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    }
    expect((await get(`${agent.url}/pods`, { ca: pki.ca.cert, token: 'forged' })).code).toBe(401);
  });

  it('refuses a non-admin identity with 403 and the kubelet message, asking about nodes/<subresource> of this node', async () => {
    const bob = await get(`${agent.url}/pods`, { ca: pki.ca.cert, token: 'bob-token' });
    expect(bob.code).toBe(403);
    expect(JSON.parse(bob.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message: 'Forbidden (user=bob, verb=get, resource=nodes, subresource=proxy)' });
    const carol = await pki.client('carol', ['dev']);
    const stats = await get(`${agent.url}/stats/summary`, { ca: pki.ca.cert, cert: carol });
    expect(stats.code).toBe(403);
    expect(JSON.parse(stats.body).message).toBe('Forbidden (user=carol, verb=get, resource=nodes, subresource=stats)');
    expect(double.accessReviews.at(-1)).toEqual({
      user: 'carol',
      groups: ['dev', 'system:authenticated'],
      resourceAttributes: { verb: 'get', group: '', version: 'v1', resource: 'nodes', subresource: 'stats', name: nodeName },
    });
  });

  it('lets the Prometheus token scrape /metrics (nodes/metrics) but nothing else', async () => {
    const m = await get(`${agent.url}/metrics`, { ca: pki.ca.cert, token: 'prom-token' });
    expect(m.code).toBe(200);
    expect(m.body).toContain('kubelet_running_pods');
    expect((await get(`${agent.url}/pods`, { ca: pki.ca.cert, token: 'prom-token' })).code).toBe(403);
  });

  it('pods/log through the apiserver: its kubelet-client certificate is let in, the agent certificate checked', async () => {
    await adminClient.create<Pod>(Resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName, containers: [{ name: 'app', image: 'busybox:1.35' }] },
    });
    const pod = await waitFor('web running', async () => {
      const p = await adminClient.get<Pod>(Resources.pods, 'default', 'web');
      return p.status?.containerStatuses?.[0]?.containerID ? p : undefined;
    });
    const st = await runtime.containerStatus(pod.status!.containerStatuses![0].containerID!.replace('fake://', ''));
    fs.mkdirSync(path.dirname(st.logPath), { recursive: true });
    fs.writeFileSync(st.logPath, '2026-11-23T07:06:37.311896215Z stdout F hello from a secured node\n');
    const log = await adminClient.request<string>('GET', '/api/v1/namespaces/default/pods/web/log');
    expect(log).toBe('hello from a secured node\n');
    expect(double.accessReviews.at(-1)).toMatchObject({ user: 'kube-apiserver-kubelet-client', resourceAttributes: { resource: 'nodes', subresource: 'proxy', name: nodeName } });
  });
});

describe('an apiserver that does not trust the agent serving certificate', () => {
  it('answers pods/log with 503 and does not send the request on', async () => {
    const other = await makeTestPki();
    const kubeletClient = await pki.client('kube-apiserver-kubelet-client', ['system:masters']);
    const strict = await startApiServer({
      host: '127.0.0.1',
      port: 0,
      kubeletClient: { certFile: kubeletClient.certFile, keyFile: kubeletClient.keyFile, caFile: other.caFile },
    });
    const c = KubeClient.forServer(strict.url);
    try {
      await c.create(Resources.nodes, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: nodeName },
        status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agent.port } } },
      });
      await c.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName, containers: [{ name: 'app', image: 'busybox:1.35' }] } });
      const before = double.accessReviews.length;
      await expect(c.request('GET', '/api/v1/namespaces/default/pods/web/log')).rejects.toMatchObject({ code: 503 });
      expect(double.accessReviews.length).toBe(before);
    } finally {
      c.close();
      await strict.close();
      other.cleanup();
    }
  });
});
