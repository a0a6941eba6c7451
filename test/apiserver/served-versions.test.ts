// Other served versions of stored kinds: autoscaling/v1 HorizontalPodAutoscalers (stored as v2) and
// batch/v1beta1 CronJobs (stored as batch/v1) — reads, writes, bad bodies and watches converted, while a
// watcher of the stored version on the same events keeps getting the stored version.
import * as http from 'node:http';
import type { CronJob } from 'kubernetes-types/batch/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let api: TestApiServer;
beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => api?.stop());

interface WatchEvent {
  type: string;
  object: { apiVersion?: string; kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> };
}

/** Opens a watch over plain HTTP (resolved once the server answered) and collects its events until stopped. */
async function watch(path: string): Promise<{ events: WatchEvent[]; stop(): void }> {
  const events: WatchEvent[] = [];
  let buf = '';
  let answered!: () => void;
  const ready = new Promise<void>((resolve) => (answered = resolve));
  const req = http.get(`${api.url}${path}`, (res) => {
    answered();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as WatchEvent);
        buf = buf.slice(nl + 1);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  await ready;
  return { events, stop: () => req.destroy() };
}

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cronJob = (name: string, apiVersion = 'batch/v1beta1'): CronJob => ({
  apiVersion: apiVersion as CronJob['apiVersion'],
  kind: 'CronJob',
  metadata: { name },
  spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
});

describe('batch/v1beta1 CronJobs', () => {
  const base = '/apis/batch/v1beta1/namespaces/default/cronjobs';
  it('creates, reads, lists, updates, patches and deletes through the stored batch/v1', async () => {
    const created = await api.client.request<CronJob>('POST', base, { body: cronJob('beta') });
    expect(created.apiVersion).toBe('batch/v1beta1');
    const stored = await api.client.get<CronJob>(Resources.cronjobs, 'default', 'beta');
    expect(stored.apiVersion).toBe('batch/v1');
    expect(stored.spec?.schedule).toBe('@hourly');
    const list = await api.client.request<{ kind: string; apiVersion: string; items: CronJob[] }>('GET', base);
    expect(list).toMatchObject({ kind: 'CronJobList', apiVersion: 'batch/v1beta1' });
    expect(list.items.map((c) => [c.apiVersion, c.metadata?.name])).toContainEqual(['batch/v1beta1', 'beta']);
    const got = await api.client.request<CronJob>('GET', `${base}/beta`);
    const put = await api.client.request<CronJob>('PUT', `${base}/beta`, { body: { ...got, spec: { ...got.spec!, suspend: true } } });
    expect(put).toMatchObject({ apiVersion: 'batch/v1beta1', spec: { suspend: true } });
    const patched = await api.client.request<CronJob>('PATCH', `${base}/beta`, { body: { spec: { schedule: '*/2 * * * *' } }, contentType: 'application/merge-patch+json' });
    expect(patched).toMatchObject({ apiVersion: 'batch/v1beta1', spec: { schedule: '*/2 * * * *', suspend: true } });
    expect((await api.client.get<CronJob>(Resources.cronjobs, 'default', 'beta')).spec).toMatchObject({ schedule: '*/2 * * * *', suspend: true });
    // The stored version's validation, and kube's decoder messages.
    await expect(api.client.request('POST', base, { body: { ...cronJob('bad'), spec: { ...cronJob('bad').spec, schedule: 'often' } } })).rejects.toMatchObject({ code: 422 });
    await expect(api.client.request('POST', base, { body: cronJob('bad', 'batch/v1') })).rejects.toMatchObject({ code: 400, message: 'the API version in the data (batch/v1) does not match the expected API version (batch/v1beta1)' });
    await api.client.request('DELETE', `${base}/beta`);
    await expect(api.client.get(Resources.cronjobs, 'default', 'beta')).rejects.toMatchObject({ code: 404 });
  });

  it('watches converted, next to a batch/v1 watcher of the same events', async () => {
    const beta = await watch(`${base}?watch=1`);
    const v1 = await watch('/apis/batch/v1/namespaces/default/cronjobs?watch=1');
    try {
      await api.client.create(Resources.cronjobs, 'default', cronJob('watched', 'batch/v1'));
      await api.client.patch(Resources.cronjobs, 'default', 'watched', { spec: { suspend: true } });
      const mine = (w: { events: WatchEvent[] }) => w.events.filter((e) => e.object.metadata?.name === 'watched');
      await until(() => mine(beta).length === 2 && mine(v1).length === 2);
      expect(mine(beta).map((e) => [e.type, e.object.apiVersion, e.object.spec?.suspend])).toEqual([['ADDED', 'batch/v1beta1', false], ['MODIFIED', 'batch/v1beta1', true]]);
      expect(mine(v1).map((e) => [e.type, e.object.apiVersion])).toEqual([['ADDED', 'batch/v1'], ['MODIFIED', 'batch/v1']]);
    } finally {
      beta.stop();
      v1.stop();
    }
  });

  it('is in discovery after batch/v1, which stays preferred', async () => {
    const group = await api.client.request<{ versions: Array<{ version: string }>; preferredVersion: { version: string } }>('GET', '/apis/batch');
    expect(group.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(group.preferredVersion.version).toBe('v1');
    const resources = await api.client.request<{ resources: Array<{ name: string; kind: string }> }>('GET', '/apis/batch/v1beta1');
    expect(resources.resources.map((r) => r.name)).toEqual(['cronjobs', 'cronjobs/status']);
  });
});

describe('autoscaling/v1 HorizontalPodAutoscalers', () => {
  it('watches converted (the CPU target as targetCPUUtilizationPercentage)', async () => {
    const w = await watch('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=1');
    try {
      await api.client.create(Resources.horizontalpodautoscalers, 'default', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'w' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'w' }, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] },
      });
      await api.client.patch(Resources.horizontalpodautoscalers, 'default', 'w', { spec: { maxReplicas: 5 } });
      await until(() => w.events.length === 2);
      expect(w.events.map((e) => [e.type, e.object.apiVersion, e.object.spec?.targetCPUUtilizationPercentage, e.object.spec?.maxReplicas])).toEqual([
        ['ADDED', 'autoscaling/v1', 60, 4],
        ['MODIFIED', 'autoscaling/v1', 60, 5],
      ]);
    } finally {
      w.stop();
    }
  });
});
