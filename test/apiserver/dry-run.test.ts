// dryRun=All on every write the console's "apply with a diff first" and kubectl's --dry-run=server send:
// create (POST), update (PUT), strategic merge / merge / JSON patches, the scale subresource and
// DELETE. The answer is the object as it would be stored — defaulted, validated, admitted, with its
// generated name, uid and allocated ClusterIP — but nothing is stored, no revision is used, no watcher
// hears of it and nothing is allocated (a Service range fills up only with real creates); a dry run
// still needs the rights of the real write (RBAC) and is refused by admission as the real write is.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { bindClusterRole, startSecuredApiServer } from '../helpers/identities';

jest.setTimeout(60_000);

const deployment = (name: string, replicas = 1): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.22' }] } },
  },
});

interface Answer<T> {
  status: number;
  body: T;
}

describe('dryRun=All', () => {
  let srv: TestApiServer;
  const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

  async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer<T>> {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** The collection's resourceVersion: the cluster's revision, which a dry run must not move. */
  const revision = async () => (await call<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces')).body.metadata.resourceVersion;

  beforeAll(async () => {
    srv = await startTestApiServer({ serviceClusterIPRange: '10.0.0.0/29', clusterDNSIP: false, kubernetesService: false });
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('create: the defaulted object with a name, uid and timestamps; nothing stored, no revision, no event', async () => {
    const before = await revision();
    const events: string[] = [];
    const ac = new AbortController();
    const watch = await fetch(`${srv.url}${DEPLOYS}?watch=1&resourceVersion=${before}`, { signal: ac.signal });
    const reader = watch.body!.getReader();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return;
        events.push(new TextDecoder().decode(value));
      }
    })();

    const d = { ...deployment('x'), metadata: { generateName: 'dry-' } };
    const r = await call<Deployment>('POST', `${DEPLOYS}?dryRun=All`, d);
    expect(r.status).toBe(201);
    expect(r.body.metadata?.name).toMatch(/^dry-[a-z0-9]{5}$/);
    expect(r.body.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata?.creationTimestamp).toBeDefined();
    expect(r.body.metadata?.generation).toBe(1);
    // Defaults as a real create gets them.
    expect(r.body.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(r.body.spec?.template.spec?.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(r.body.spec?.template.spec?.restartPolicy).toBe('Always');

    expect((await call('GET', `${DEPLOYS}/${r.body.metadata!.name}`)).status).toBe(404);
    expect((await call<{ items: unknown[] }>('GET', DEPLOYS)).body.items).toHaveLength(0);
    expect(await revision()).toBe(before);
    // A real write afterwards is the first thing the watch sees.
    await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'after-dry' } });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    expect(events.join('')).not.toContain('dry-');
  });

  test('create: validation and conflicts answer as the real write would', async () => {
    const bad = await call<{ reason: string; message: string; code: number }>('POST', `${DEPLOYS}?dryRun=All`, deployment('bad', -1));
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.message).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    await srv.client.create(Resources.deployments, 'default', deployment('taken'));
    const taken = await call<{ reason: string }>('POST', `${DEPLOYS}?dryRun=All`, deployment('taken'));
    expect([taken.status, taken.body.reason]).toEqual([409, 'AlreadyExists']);
    const wrong = await call<{ message: string }>('POST', `${DEPLOYS}?dryRun=Some`, deployment('w'));
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe('Invalid dryRun value: "Some": supported value is "All"');
  });

  test('Services: the answer has a ClusterIP and NodePort, but nothing is allocated', async () => {
    const svc = (name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', selector: { app: 'a' }, ports: [{ port: 80 }] } });
    // Far more dry runs than the /29 holds.
    for (let i = 0; i < 12; i++) {
      const r = await call<Service>('POST', '/api/v1/namespaces/default/services?dryRun=All', svc(`s${i}`));
      expect(r.status).toBe(201);
      expect(r.body.spec?.clusterIP).toMatch(/^10\.0\.0\.[1-6]$/);
      expect(r.body.spec?.ports?.[0].nodePort).toBeGreaterThanOrEqual(30000);
    }
    // Every address is still free for real creates: as many as a server that saw no dry run takes.
    const fillRange = async (server: TestApiServer) => {
      const ips = new Set<string>();
      for (let i = 0; ; i++) {
        const res = await fetch(`${server.url}/api/v1/namespaces/default/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(svc(`real${i}`)) });
        const body = (await res.json()) as Service & { message?: string };
        if (res.status !== 201) {
          expect([res.status, body.message]).toEqual([500, expect.stringContaining('range is full')]);
          return ips;
        }
        ips.add(body.spec!.clusterIP!);
      }
    };
    const fresh = await startTestApiServer({ serviceClusterIPRange: '10.0.0.0/29', clusterDNSIP: false, kubernetesService: false });
    try {
      const capacity = (await fillRange(fresh)).size;
      expect(capacity).toBeGreaterThanOrEqual(5);
      expect((await fillRange(srv)).size).toBe(capacity);
    } finally {
      await fresh.stop();
    }
  });

  test('update, patches and scale: the answer changed, the stored object not', async () => {
    const stored = await srv.client.create<Deployment>(Resources.deployments, 'default', deployment('web', 2));
    const rv = stored.metadata!.resourceVersion;
    const before = await revision();

    const put = await call<Deployment>('PUT', `${DEPLOYS}/web?dryRun=All`, { ...stored, spec: { ...stored.spec!, replicas: 5 } });
    expect(put.status).toBe(200);
    expect(put.body.spec?.replicas).toBe(5);
    expect(put.body.metadata?.generation).toBe(2);

    const smp = await call<Deployment>('PATCH', `${DEPLOYS}/web?dryRun=All`, { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.23' }] } } } }, 'application/strategic-merge-patch+json');
    expect(smp.status).toBe(200);
    expect(smp.body.spec?.template.spec?.containers.map((c) => [c.name, c.image, c.imagePullPolicy])).toEqual([['c', 'nginx:1.23', 'IfNotPresent']]);

    const merge = await call<Deployment>('PATCH', `${DEPLOYS}/web?dryRun=All`, { metadata: { labels: { tier: 'x' } } }, 'application/merge-patch+json');
    expect(merge.body.metadata?.labels).toEqual({ tier: 'x' });
    const json = await call<Deployment>('PATCH', `${DEPLOYS}/web?dryRun=All`, [{ op: 'replace', path: '/spec/replicas', value: 7 }], 'application/json-patch+json');
    expect(json.body.spec?.replicas).toBe(7);
    const invalid = await call<{ reason: string }>('PATCH', `${DEPLOYS}/web?dryRun=All`, { spec: { replicas: -3 } }, 'application/merge-patch+json');
    expect([invalid.status, invalid.body.reason]).toEqual([422, 'Invalid']);

    const scale = await call<{ kind: string; spec: { replicas: number } }>('PATCH', `${DEPLOYS}/web/scale?dryRun=All`, { spec: { replicas: 9 } }, 'application/merge-patch+json');
    expect([scale.status, scale.body.kind, scale.body.spec.replicas]).toEqual([200, 'Scale', 9]);

    const now = await srv.client.get<Deployment>(Resources.deployments, 'default', 'web');
    expect(now.metadata?.resourceVersion).toBe(rv);
    expect(now.spec?.replicas).toBe(2);
    expect(now.metadata?.labels).toBeUndefined();
    expect(now.spec?.template.spec?.containers[0].image).toBe('nginx:1.22');
    expect(await revision()).toBe(before);
  });

  test('delete: answered, the object stays', async () => {
    await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'keep' } });
    const r = await call('DELETE', '/api/v1/namespaces/default/configmaps/keep?dryRun=All');
    expect(r.status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/keep')).status).toBe(200);
  });
});

test('a dry run needs the rights of the write, and admission refuses it as it would the write', async () => {
  const srv = await startSecuredApiServer(
    { admin: { user: 'admin', groups: ['system:masters'] }, viewer: { user: 'viewer' } },
    { enableAdmissionPlugins: ['PodSecurity'], kubernetesService: false, clusterDNSIP: false },
  );
  try {
    await bindClusterRole(srv.client, 'viewer', 'view');
    await srv.client.create(Resources.namespaces, undefined, { metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } });
    const post = (token: string, ns: string, body: unknown) =>
      fetch(`${srv.url}/api/v1/namespaces/${ns}/pods?dryRun=All`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const forbidden = await post('viewer', 'default', pod);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toBe('pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "default"');
    const refused = await post('admin', 'locked', pod);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^pods "p" is forbidden: violates PodSecurity "restricted:latest"/);
    expect((await post('admin', 'default', pod)).status).toBe(201);
    expect((await fetch(`${srv.url}/api/v1/namespaces/default/pods/p`, { headers: { authorization: 'Bearer admin' } })).status).toBe(404);
  } finally {
    await srv.stop();
  }
});
