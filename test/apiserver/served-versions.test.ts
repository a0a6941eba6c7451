// Other served versions of stored kinds: autoscaling/v1 HorizontalPodAutoscalers (stored as v2),
// batch/v1beta1 CronJobs (stored as batch/v1) and events.k8s.io/v1 Events (stored as core/v1 Events) —
// reads, writes, bad bodies, field selectors and watches converted, while a watcher of the stored version
// on the same events keeps getting the stored version.
import * as http from 'node:http';
import type { CronJob } from 'kubernetes-types/batch/v1';
import { Resources } from '../../lib/api/resources';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { kubectlBinaries, kubectlRunner } from '../helpers/kubectl';

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

describe('events.k8s.io/v1 Events', () => {
  const base = '/apis/events.k8s.io/v1/namespaces/default/events';
  const now = new Date().toISOString().replace('Z', '000Z'); // a MicroTime
  // What client-go's events.k8s.io recorder (k8s.io/client-go/tools/events) sends.
  const v1Event = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    eventTime: now,
    reportingController: 'example.com/scheduler',
    reportingInstance: 'scheduler-1',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: { kind: 'Pod', namespace: 'default', name: 'web-1', apiVersion: 'v1' },
    note: 'Successfully assigned default/web-1 to node-1',
    type: 'Normal',
    ...extra,
  });

  it('a v1 event is stored as the core Event and read back in either version', async () => {
    const created = await api.client.request<Record<string, unknown>>('POST', base, { body: v1Event('sched.1') });
    expect(created).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event', regarding: { name: 'web-1' }, note: 'Successfully assigned default/web-1 to node-1', reportingController: 'example.com/scheduler' });
    const core = await api.client.get<Record<string, unknown>>(Resources.events, 'default', 'sched.1');
    expect(core).toMatchObject({ apiVersion: 'v1', involvedObject: { kind: 'Pod', name: 'web-1' }, message: 'Successfully assigned default/web-1 to node-1', reportingComponent: 'example.com/scheduler', reportingInstance: 'scheduler-1', action: 'Binding' });
    expect(core).not.toHaveProperty('note');
  });

  it('a core event (the older recorder) reads with the deprecated fields', async () => {
    await api.client.create(Resources.events, 'default', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'old.1' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-2' },
      reason: 'Pulled',
      message: 'pulled',
      source: { component: 'kubelet', host: 'node-1' },
      count: 3,
      type: 'Normal',
    });
    const got = await api.client.request<Record<string, unknown>>('GET', `${base}/old.1`);
    expect(got).toMatchObject({ apiVersion: 'events.k8s.io/v1', regarding: { name: 'web-2' }, note: 'pulled', deprecatedSource: { component: 'kubelet', host: 'node-1' }, deprecatedCount: 3 });
    expect(got).not.toHaveProperty('involvedObject');
  });

  it('field selectors speak the v1 labels', async () => {
    const names = async (sel: string) => (await api.client.request<{ kind: string; items: Array<{ metadata: { name: string } }> }>('GET', `${base}?fieldSelector=${encodeURIComponent(sel)}`)).items.map((e) => e.metadata.name);
    expect(await names('regarding.name=web-1')).toEqual(['sched.1']);
    expect(await names('regarding.name=web-2,reason=Pulled')).toEqual(['old.1']);
    expect(await names('reportingController=example.com/scheduler')).toEqual(['sched.1']);
    const list = await api.client.request<{ kind: string; apiVersion: string }>('GET', base);
    expect(list).toMatchObject({ kind: 'EventList', apiVersion: 'events.k8s.io/v1' });
  });

  it.each([
    ['no eventTime', { eventTime: undefined }, 'eventTime: Required value'],
    ['another type', { type: 'Info' }, 'type: Invalid value: "": has invalid value: Info'],
    ['a deprecated field', { deprecatedCount: 2 }, 'deprecatedCount: Invalid value: "": needs to be unset'],
    ['a series of one', { series: { count: 1, lastObservedTime: now } }, 'series.count: Invalid value: "": should be at least 2'],
    ['no reportingController', { reportingController: undefined }, 'reportingController: Required value'],
  ])('a create with %s: 422', async (_n, extra, message) => {
    const err = await api.client.request('POST', base, { body: v1Event('bad', extra) }).catch((e: { code: number; message: string }) => e);
    expect(err).toMatchObject({ code: 422 });
    expect((err as { message: string }).message).toContain(message);
  });

  it('an update may change only the series', async () => {
    const got = await api.client.request<Record<string, unknown>>('GET', `${base}/sched.1`);
    const series = { count: 2, lastObservedTime: now };
    const updated = await api.client.request<Record<string, unknown>>('PUT', `${base}/sched.1`, { body: { ...got, series } });
    expect(updated).toMatchObject({ series: { count: 2 } });
    const err = await api.client.request('PUT', `${base}/sched.1`, { body: { ...updated, note: 'changed' } }).catch((e: { code: number; message: string }) => e);
    expect(err).toMatchObject({ code: 422 });
    expect((err as { message: string }).message).toContain('note: Invalid value: "changed": field is immutable');
  });

  it('watches converted, and the group is in discovery', async () => {
    const w = await watch(`${base}?watch=1&fieldSelector=regarding.name%3Dweb-3`);
    try {
      await api.client.request('POST', base, { body: v1Event('watched.1', { regarding: { kind: 'Pod', namespace: 'default', name: 'web-3' } }) });
      await until(() => w.events.length === 1);
      expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { apiVersion: 'events.k8s.io/v1', metadata: { name: 'watched.1' } } });
    } finally {
      w.stop();
    }
    const groups = await api.client.request<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>('GET', '/apis');
    expect(groups.groups.find((g) => g.name === 'events.k8s.io')?.preferredVersion.version).toBe('v1');
    const resources = await api.client.request<{ resources: Array<{ name: string; kind: string; shortNames?: string[] }> }>('GET', '/apis/events.k8s.io/v1');
    expect(resources.resources).toEqual([expect.objectContaining({ name: 'events', kind: 'Event', namespaced: true })]);
  });

  it.each(kubectlBinaries('ev'))('$name: get events.events.k8s.io prints the Event table', async ({ bin, ns }) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-events-'));
    try {
      const r = await kubectlRunner(bin, () => api.kubeconfigPath, () => home, ns)('get', 'events.events.k8s.io', '-n', 'default', '--field-selector', 'regarding.name=web-1');
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
      expect(r.stdout).toMatch(/Normal\s+Scheduled\s+pod\/web-1\s+Successfully assigned default\/web-1 to node-1/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
