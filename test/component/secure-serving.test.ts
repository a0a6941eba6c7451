// Secure serving of a component's metrics port (kube-scheduler's and kube-controller-manager's): HTTPS,
// /healthz for anyone, /metrics only for a caller the apiserver allows to `get` the path — shown with a
// client certificate of the cluster CA or a bearer token the apiserver vouches for (TokenReview),
// decided by a SubjectAccessReview; answers cached; 401/403 with a metav1.Status. The apiserver's review
// endpoints are a double speaking the real API shapes.
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { serveMetrics } from '../../lib/component/metrics';
import { createCA, issueCertificate, type CertKeyPem } from '../../lib/component/pki';
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator } from '../../lib/component/secure-serving';
import { makeTestPki, type TestPki } from '../helpers/pki';
import { startReviewDouble, type ReviewDouble } from '../helpers/review-double';

function get(port: number, path: string, o: { ca: string; cert?: CertKeyPem; token?: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path, ca: o.ca, cert: o.cert?.cert, key: o.cert?.key, agent: false, headers: o.token ? { Authorization: `Bearer ${o.token}` } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

let pki: TestPki;
let double: ReviewDouble;
let server: http.Server | https.Server;
let port: number;

beforeAll(async () => {
  pki = await makeTestPki();
  double = await startReviewDouble({
    tokens: { 'prom-token': { username: 'steer:prometheus', groups: ['system:monitoring'] }, 'bob-token': { username: 'bob' } },
    allow: (s) => (s.groups ?? []).includes('system:masters') || (s.groups ?? []).includes('system:monitoring'),
  });
  server = await serveMetrics('scheduler', '127.0.0.1', 0, {
    cert: pki.serving.cert,
    key: pki.serving.key,
    clientCA: pki.ca.cert,
    tokens: tokenReviewAuthenticator(double.client),
    authorizer: subjectAccessReviewAuthorizer(double.client),
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  (server as https.Server | undefined)?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await double?.close();
  pki?.cleanup();
});

describe('a component metrics port with secure serving', () => {
  it('answers /healthz, /livez and /readyz to anyone, without asking the apiserver', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) expect(await get(port, p, { ca: pki.ca.cert })).toEqual({ code: 200, body: 'ok' });
    expect(double.accessReviews).toEqual([]);
  });

  it('refuses /metrics to an anonymous caller with 403 and the reason kube-apiserver gives', async () => {
    const r = await get(port, '/metrics', { ca: pki.ca.cert });
    expect(r.code).toBe(403);
    expect(JSON.parse(r.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'forbidden: User "system:anonymous" cannot get path "/metrics": the double says no',
      reason: 'Forbidden',
      details: {},
      code: 403,
    });
    expect(double.accessReviews.at(-1)).toEqual({ user: 'system:anonymous', groups: ['system:unauthenticated'], nonResourceAttributes: { path: '/metrics', verb: 'get' } });
  });

  it('serves /metrics to a token the apiserver vouches for and allows; caches both answers', async () => {
    const before = { t: double.tokenReviews.length, a: double.accessReviews.length };
    const r = await get(port, '/metrics', { ca: pki.ca.cert, token: 'prom-token' });
    expect(r.code).toBe(200);
    expect(r.body).toContain('process_resident_memory_bytes');
    expect(double.accessReviews.at(-1)).toEqual({
      user: 'steer:prometheus',
      groups: ['system:monitoring', 'system:authenticated'],
      nonResourceAttributes: { path: '/metrics', verb: 'get' },
    });
    expect((await get(port, '/metrics', { ca: pki.ca.cert, token: 'prom-token' })).code).toBe(200);
    expect(double.tokenReviews.length - before.t).toBe(1);
    expect(double.accessReviews.length - before.a).toBe(1);
  });

  it('refuses an unknown token with 401, and a known one the apiserver does not allow with 403', async () => {
    const bad = await get(port, '/metrics', { ca: pki.ca.cert, token: 'forged' });
    expect(bad.code).toBe(401);
    expect(JSON.parse(bad.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const bob = await get(port, '/metrics', { ca: pki.ca.cert, token: 'bob-token' });
    expect(bob.code).toBe(403);
    expect(JSON.parse(bob.body).message).toBe('forbidden: User "bob" cannot get path "/metrics": the double says no');
  });

  it('takes a client certificate of the CA (CN = user, O = groups) and refuses one of another CA', async () => {
    const admin = await pki.client('kubernetes-admin', ['system:masters']);
    expect((await get(port, '/metrics', { ca: pki.ca.cert, cert: admin })).code).toBe(200);
    expect(double.accessReviews.at(-1)?.user).toBe('kubernetes-admin');
    const forged = await issueCertificate(await createCA('intruder'), { commonName: 'kubernetes-admin', organizations: ['system:masters'], usage: 'client' });
    expect((await get(port, '/metrics', { ca: pki.ca.cert, cert: forged })).code).toBe(401);
  });
});
