// Service accounts against a running apiserver: the TokenRequest subresource (defaults, validation,
// binding to a pod, the kubelet's extended tokens, max expiration), the token authenticating as the
// service account until its pod is gone, the ServiceAccount admission plugin (default service account,
// the kube-api-access volume and mounts, automountServiceAccountToken, a missing service account
// refused, the default one re-created), and the default/kubernetes Service and Endpoints.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Endpoints, Pod, Service, ServiceAccount } from 'kubernetes-types/core/v1';
import type { Attributes } from '../../apiserver/auth/types';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

const ADMIN = 'admin-token';
let srv: TestApiServer;
let dir: string;
const seen: Attributes[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-sa-test-'));
  fs.writeFileSync(path.join(dir, 'tokens.csv'), `${ADMIN},admin,admin-uid,system:masters\n`);
  srv = await startTestApiServer({
    token: ADMIN,
    tokenFile: path.join(dir, 'tokens.csv'),
    enableAdmissionPlugins: ['ServiceAccount'],
    serviceAccountMaxTokenExpiration: 48 * 3600,
    advertiseAddress: '192.0.2.10',
    authorizer: {
      authorize: (a) => {
        seen.push(a);
        return { decision: 'allow' };
      },
    },
  });
  await srv.client.create(Resources.serviceaccounts, 'default', { metadata: { name: 'app' } });
});
afterAll(async () => {
  await srv?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, p: string, body?: unknown, token = ADMIN): Promise<{ status: number; json: Record<string, unknown>; warning: string | null }> {
  const res = await fetch(`${srv.url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, warning: res.headers.get('warning') };
}

const TOKEN = (sa: string, ns = 'default') => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
}

async function createPod(name: string, spec: Partial<Pod['spec']> = {}, ns = 'default'): Promise<Pod> {
  return srv.client.create<Pod>(Resources.pods, ns, { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }], ...spec } } as Pod);
}

describe('TokenRequest', () => {
  test('defaults, answers with a token and its expiry, and is listed in discovery', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await call('POST', TOKEN('app'), { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(r.status).toBe(201);
    const sa = await srv.client.get<ServiceAccount>(Resources.serviceaccounts, 'default', 'app');
    expect(r.json).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'app', namespace: 'default', uid: sa.metadata?.uid },
      spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600 },
    });
    expect(r.json.spec).not.toHaveProperty('boundObjectRef');
    const status = r.json.status as { token: string; expirationTimestamp: string };
    const p = payload(status.token);
    expect(p.iss).toBe('https://kubernetes.default.svc.cluster.local');
    expect(p.sub).toBe('system:serviceaccount:default:app');
    expect(p.exp as number).toBeGreaterThanOrEqual(before + 3600);
    expect(Date.parse(status.expirationTimestamp) / 1000).toBe(p.exp);
    expect(p['kubernetes.io']).toEqual({ namespace: 'default', serviceaccount: { name: 'app', uid: sa.metadata?.uid } });

    const disc = await call('GET', '/api/v1');
    const entry = (disc.json.resources as Array<Record<string, unknown>>).find((x) => x.name === 'serviceaccounts/token');
    expect(entry).toMatchObject({ kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'], namespaced: true });
  });

  test('refuses what kube-apiserver refuses', async () => {
    const short = await call('POST', TOKEN('app'), { spec: { expirationSeconds: 599 } });
    expect(short.status).toBe(422);
    expect(short.json.message).toBe('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
    const missing = await call('POST', TOKEN('nobody'), { spec: {} });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('serviceaccounts "nobody" not found');
    await createPod('other-sa');
    const wrongSA = await call('POST', TOKEN('app'), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other-sa' } } });
    expect(wrongSA.status).toBe(400);
    expect(wrongSA.json.message).toBe('cannot bind token for serviceaccount "app" to pod running with different serviceaccount name.');
    const badKind = await call('POST', TOKEN('app'), { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } });
    expect(badKind.json.message).toBe('cannot bind token to object of type /v1, Kind=ConfigMap');
    const get = await call('GET', TOKEN('app'));
    expect(get.status).toBe(405);
  });

  test('longer than --service-account-max-token-expiration is shortened, with a warning', async () => {
    const r = await call('POST', TOKEN('app'), { spec: { expirationSeconds: 7 * 24 * 3600 } });
    expect(r.status).toBe(201);
    expect((r.json.spec as Record<string, unknown>).expirationSeconds).toBe(48 * 3600);
    expect(r.warning).toContain(`requested expiration of ${7 * 24 * 3600} seconds shortened to ${48 * 3600} seconds`);
  });

  test('a pod-bound token runs as the service account until the pod is gone', async () => {
    const pod = await createPod('bound', { serviceAccountName: 'app' });
    const r = await call('POST', TOKEN('app'), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound', uid: pod.metadata?.uid } } });
    expect(r.status).toBe(201);
    const token = (r.json.status as { token: string }).token;
    expect((payload(token)['kubernetes.io'] as Record<string, unknown>).pod).toEqual({ name: 'bound', uid: pod.metadata?.uid });

    seen.length = 0;
    const list = await call('GET', '/api/v1/namespaces/default/configmaps', undefined, token);
    expect(list.status).toBe(200);
    const sa = await srv.client.get<ServiceAccount>(Resources.serviceaccounts, 'default', 'app');
    expect(seen[0].user).toEqual({
      name: 'system:serviceaccount:default:app',
      uid: sa.metadata?.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['bound'],
        'authentication.kubernetes.io/pod-uid': [pod.metadata?.uid],
        'authentication.kubernetes.io/credential-id': [`JTI=${String(payload(token).jti)}`],
      },
    });

    // A token for another audience is not for this apiserver.
    const vault = await call('POST', TOKEN('app'), { spec: { audiences: ['vault'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound' } } });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps', undefined, (vault.json.status as { token: string }).token)).status).toBe(401);

    // The pod was never scheduled, so DELETE removes it at once: its token is dead.
    await srv.client.delete(Resources.pods, 'default', 'bound');
    const after = await call('GET', '/api/v1/namespaces/default/configmaps', undefined, token);
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });

    // A uid from before the pod was re-created is a conflict.
    await createPod('bound', { serviceAccountName: 'app' });
    const stale = await call('POST', TOKEN('app'), { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound', uid: pod.metadata?.uid } } });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toBe(`Operation cannot be fulfilled on Pod "bound": the UID in the bound object reference (${pod.metadata?.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  });

  test("the kubelet's 3607 s pod tokens last a year and carry warnafter", async () => {
    await createPod('kubelet-style', { serviceAccountName: 'app' });
    const r = await call('POST', TOKEN('app'), { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'kubelet-style' } } });
    const status = r.json.status as { token: string; expirationTimestamp: string };
    const p = payload(status.token);
    const iat = p.iat as number;
    // Capped by --service-account-max-token-expiration (48 h here) rather than a year.
    expect(p.exp).toBe(iat + 48 * 3600);
    expect((p['kubernetes.io'] as Record<string, unknown>).warnafter).toBe(iat + 3607);
    expect(Date.parse(status.expirationTimestamp) / 1000).toBe(iat + 3607);
  });
});

describe('ServiceAccount admission', () => {
  test('a pod gets the default service account and the kube-api-access volume in every container', async () => {
    const pod = await createPod('plain', { initContainers: [{ name: 'init', image: 'busybox:1.35' }] });
    expect(pod.spec?.serviceAccountName).toBe('default');
    const vol = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    expect(vol?.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(vol?.projected).toEqual({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    });
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      expect(c.volumeMounts).toEqual([{ name: vol?.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    }
  });

  test('automountServiceAccountToken: false on the pod or its service account, or an own mount, leave it out', async () => {
    const noPod = await createPod('no-automount', { automountServiceAccountToken: false });
    expect(noPod.spec?.volumes ?? []).toEqual([]);
    await srv.client.create(Resources.serviceaccounts, 'default', { metadata: { name: 'quiet' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'regcred' }] });
    const noSA = await createPod('quiet-sa', { serviceAccountName: 'quiet' });
    expect(noSA.spec?.volumes ?? []).toEqual([]);
    expect(noSA.spec?.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    const podWins = await createPod('pod-wins', { serviceAccountName: 'quiet', automountServiceAccountToken: true });
    expect(podWins.spec?.volumes?.[0].name).toMatch(/^kube-api-access-/);
    const own = await createPod('own-mount', {
      volumes: [{ name: 'mine', emptyDir: {} }],
      containers: [{ name: 'c', image: 'busybox:1.35', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }],
    });
    expect(own.spec?.volumes?.map((v) => v.name)).toEqual(['mine']);
  });

  test('a pod naming a missing service account is refused as Kubernetes refuses it', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'ghost' }, spec: { serviceAccountName: 'ghost', containers: [{ name: 'c', image: 'busybox:1.35' }] } });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('pods "ghost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
  });

  test('a new namespace takes pods at once; a deleted default service account comes back', async () => {
    for (let i = 0; i < 5; i++) {
      await srv.client.create(Resources.namespaces, undefined, { metadata: { name: `fresh-${i}` } });
      const pod = await createPod('first', {}, `fresh-${i}`);
      expect(pod.spec?.serviceAccountName).toBe('default');
    }
    const old = await srv.client.get<ServiceAccount>(Resources.serviceaccounts, 'fresh-0', 'default');
    await srv.client.delete(Resources.serviceaccounts, 'fresh-0', 'default');
    await waitFor('the default service account to come back', async () => (await srv.client.get<ServiceAccount>(Resources.serviceaccounts, 'fresh-0', 'default')).metadata?.uid !== old.metadata?.uid);
    expect((await createPod('second', {}, 'fresh-0')).spec?.serviceAccountName).toBe('default');
  });
});

test('the default/kubernetes Service and Endpoints point at the advertise address and secure port', async () => {
  const svc = await srv.client.get<Service>(Resources.services, 'default', 'kubernetes');
  expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: srv.server.port }] });
  expect(svc.metadata?.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
  const ep = await srv.client.get<Endpoints>(Resources.endpoints, 'default', 'kubernetes');
  expect(ep.subsets).toEqual([{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'https', port: srv.server.port, protocol: 'TCP' }] }]);
});
