// Authentication over HTTPS: client certificates (CN → user, O → groups) against the client CA, the
// static token file, anonymous requests only when allowed; 401 with kube-apiserver's Status for no or
// wrong credentials; TokenReview and SelfSubjectReview; steer's client (both ways of loading a
// kubeconfig, requests and watches) with a CA and a client certificate.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { KubeClient, type WatchEvent } from '../../lib/client/client';
import { readKubeconfigCredentials, writeKubeconfig } from '../../lib/client/kubeconfig';
import { Resources } from '../../lib/api/resources';
import { createCA, issueCertificate } from '../../lib/component/pki';
import { makeTestPki, type TestPki } from '../helpers/pki';

interface Answer {
  code: number;
  body: Record<string, unknown>;
}

function call(url: string, o: { method?: string; path: string; ca?: string; cert?: string; key?: string; token?: string; body?: unknown }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url + o.path);
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: o.method ?? 'GET',
        ca: o.ca,
        cert: o.cert,
        key: o.key,
        agent: false,
        headers: {
          Accept: 'application/json',
          ...(o.token !== undefined ? { Authorization: `Bearer ${o.token}` } : {}),
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { text };
          }
          resolve({ code: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const unauthorized = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const ssr = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

let pki: TestPki;
let server: RunningApiServer;
let tokenFile: string;

beforeAll(async () => {
  pki = await makeTestPki();
  tokenFile = path.join(pki.dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, 'secret-token-1,prometheus,uid-prom,"system:monitoring"\nsecret-token-2,carol,uid-carol\n');
  server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    tlsCertFile: pki.servingCertFile,
    tlsKeyFile: pki.servingKeyFile,
    clientCAFile: pki.caFile,
    tokenFile,
    anonymousAuth: false,
  });
});

afterAll(async () => {
  await server?.close();
  pki?.cleanup();
});

describe('authentication', () => {
  it('serves HTTPS with the given certificate', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a request without credentials with 401 and the Unauthorized Status; health probes answer anyone', async () => {
    expect(await call(server.url, { path: '/api/v1/namespaces', ca: pki.ca.cert })).toEqual({ code: 401, body: unauthorized });
    expect(await call(server.url, { path: '/version', ca: pki.ca.cert })).toEqual({ code: 401, body: unauthorized });
    for (const p of ['/healthz', '/livez', '/readyz']) expect((await call(server.url, { path: p, ca: pki.ca.cert })).code).toBe(200);
  });

  it('refuses a wrong token and a certificate of another CA with 401', async () => {
    expect(await call(server.url, { path: '/api/v1/namespaces', ca: pki.ca.cert, token: 'nope' })).toEqual({ code: 401, body: unauthorized });
    const otherCA = await createCA('intruder');
    const forged = await issueCertificate(otherCA, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usage: 'client' });
    expect(await call(server.url, { path: '/api/v1/namespaces', ca: pki.ca.cert, cert: forged.cert, key: forged.key })).toEqual({ code: 401, body: unauthorized });
    // Even with a valid token besides: a credential that does not verify is refused.
    expect((await call(server.url, { path: '/api/v1/namespaces', ca: pki.ca.cert, cert: forged.cert, key: forged.key, token: 'secret-token-2' })).code).toBe(401);
  });

  it('a client certificate is the user of its CN in the groups of its O values', async () => {
    const alice = await pki.client('alice', ['dev', 'ops']);
    const r = await call(server.url, { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca: pki.ca.cert, cert: alice.cert, key: alice.key, body: ssr });
    expect(r.code).toBe(201);
    expect(r.body).toEqual({ ...ssr, metadata: { creationTimestamp: null }, status: { userInfo: { username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] } } });
    expect((await call(server.url, { path: '/api/v1/namespaces', ca: pki.ca.cert, cert: alice.cert, key: alice.key })).code).toBe(200);
  });

  it('a token of the token file is its user, uid and groups', async () => {
    const r = await call(server.url, { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca: pki.ca.cert, token: 'secret-token-1', body: ssr });
    expect(r.body.status).toEqual({ userInfo: { username: 'prometheus', uid: 'uid-prom', groups: ['system:monitoring', 'system:authenticated'] } });
  });

  it('TokenReview runs the token authenticators on a token: valid, invalid, missing', async () => {
    const admin = await pki.client('kubernetes-admin', ['system:masters']);
    const review = (token: string) =>
      call(server.url, { method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', ca: pki.ca.cert, cert: admin.cert, key: admin.key, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const ok = await review('secret-token-2');
    expect(ok.code).toBe(201);
    expect(ok.body).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec: { token: 'secret-token-2' },
      status: { authenticated: true, user: { username: 'carol', uid: 'uid-carol', groups: ['system:authenticated'] } },
    });
    expect((await review('wrong')).body.status).toEqual({ user: {} });
    const missing = await review('');
    expect(missing.code).toBe(400);
    expect(missing.body.message).toBe('token is required for TokenReview in authentication');
    // Create-only: no list, no get.
    expect((await call(server.url, { path: '/apis/authentication.k8s.io/v1/tokenreviews', ca: pki.ca.cert, cert: admin.cert, key: admin.key })).code).toBe(405);
  });

  it('discovery lists authentication.k8s.io/v1 with the two create-only reviews', async () => {
    const admin = await pki.client('kubernetes-admin', ['system:masters']);
    const r = await call(server.url, { path: '/apis/authentication.k8s.io/v1', ca: pki.ca.cert, cert: admin.cert, key: admin.key });
    const resources = (r.body.resources as Array<{ name: string; kind: string; verbs: string[]; namespaced: boolean }>).map((x) => [x.name, x.kind, x.verbs, x.namespaced]);
    expect(resources).toEqual(expect.arrayContaining([['tokenreviews', 'TokenReview', ['create'], false], ['selfsubjectreviews', 'SelfSubjectReview', ['create'], false]]));
  });

  it("steer's client works with a kubeconfig carrying the CA and a client certificate, read either way; watches too", async () => {
    const admin = await pki.client('kubernetes-admin', ['system:masters']);
    const kubeconfig = path.join(pki.dir, 'admin.kubeconfig');
    writeKubeconfig(kubeconfig, { server: server.url, ca: pki.ca.cert, clientCert: admin.cert, clientKey: admin.key });
    expect(fs.readFileSync(kubeconfig, 'utf8')).not.toContain('insecure-skip-tls-verify');
    const viaClientNode = KubeClient.load({ kubeconfig });
    const direct = KubeClient.fromCredentials(readKubeconfigCredentials(kubeconfig));
    try {
      for (const [i, client] of [viaClientNode, direct].entries()) {
        const seen: string[] = [];
        const list = await client.list<ConfigMap>(Resources.configmaps, { namespace: 'default' });
        const done = new Promise<void>((resolve) => {
          void client.watch<ConfigMap>(Resources.configmaps, { namespace: 'default', resourceVersion: list.metadata.resourceVersion }, (e: WatchEvent<ConfigMap>) => {
            seen.push(`${e.type} ${e.object.metadata?.name}`);
            if (seen.length === 1) resolve();
          }, () => undefined).then((h) => done.then(() => h.stop()));
        });
        await new Promise((r) => setTimeout(r, 100));
        await client.create<ConfigMap>(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` } });
        await done;
        expect(seen).toEqual([`ADDED cm-${i}`]);
      }
    } finally {
      viaClientNode.close();
      direct.close();
    }
  });

  it('a client that does not trust the CA cannot connect', async () => {
    const client = KubeClient.fromCredentials({ server: server.url, ca: (await createCA('other')).cert, token: 'secret-token-2' });
    try {
      await expect(client.list(Resources.namespaces)).rejects.toThrow(/certificate/);
    } finally {
      client.close();
    }
  });
});

describe('anonymous requests when allowed', () => {
  let open: RunningApiServer;
  beforeAll(async () => {
    open = await startApiServer({ host: '127.0.0.1', port: 0, tlsCertFile: pki.servingCertFile, tlsKeyFile: pki.servingKeyFile, clientCAFile: pki.caFile, anonymousAuth: true });
  });
  afterAll(async () => open?.close());

  it('run as system:anonymous in system:unauthenticated; a bad credential is still refused', async () => {
    const r = await call(open.url, { method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca: pki.ca.cert, body: ssr });
    expect(r.body.status).toEqual({ userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'] } });
    expect(await call(open.url, { path: '/api/v1/namespaces', ca: pki.ca.cert, token: 'nope' })).toEqual({ code: 401, body: unauthorized });
  });
});
