// An update that changes nothing is not written, as kube's GuaranteedUpdate compares the new encoding
// with the stored one: the answer is the stored object, its resourceVersion and generation unchanged,
// and watchers see no event. A change, however small, is written as before.
import type { ConfigMap } from 'kubernetes-types/core/v1';
import type { Deployment } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

/** The raw watch lines of a namespace's ConfigMaps from rv on, until stop. */
async function watchConfigMaps(rv: string): Promise<{ lines: () => string[]; stop: () => void }> {
  const chunks: string[] = [];
  const ac = new AbortController();
  const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, { signal: ac.signal });
  const reader = res.body!.getReader();
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      chunks.push(new TextDecoder().decode(value));
    }
  })();
  return { lines: () => chunks.join('').split('\n').filter((l) => l), stop: () => ac.abort() };
}

test('a PUT or PATCH of the same content keeps the resourceVersion and sends no watch event', async () => {
  const cm = await srv.client.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name: 'same', labels: { a: 'b' } }, data: { k: 'v' } });
  const rv = cm.metadata!.resourceVersion!;
  const watch = await watchConfigMaps(rv);
  const put = await srv.client.update<ConfigMap>(Resources.configmaps, cm);
  expect(put.metadata?.resourceVersion).toBe(rv);
  const patched = await srv.client.patch<ConfigMap>(Resources.configmaps, 'default', 'same', { metadata: { labels: { a: 'b' } }, data: { k: 'v' } });
  expect(patched.metadata?.resourceVersion).toBe(rv);
  // Without a resourceVersion in the body too.
  const { resourceVersion: _, ...md } = cm.metadata!;
  expect((await srv.client.update<ConfigMap>(Resources.configmaps, { ...cm, metadata: md })).metadata?.resourceVersion).toBe(rv);
  expect((await srv.client.get<ConfigMap>(Resources.configmaps, 'default', 'same')).metadata?.resourceVersion).toBe(rv);

  const changed = await srv.client.patch<ConfigMap>(Resources.configmaps, 'default', 'same', { data: { k: 'w' } });
  expect(Number(changed.metadata?.resourceVersion)).toBeGreaterThan(Number(rv));
  await new Promise((r) => setTimeout(r, 300));
  watch.stop();
  // Only the real change reached the watch.
  expect(watch.lines().map((l) => JSON.parse(l).type)).toEqual(['MODIFIED']);
  expect(JSON.parse(watch.lines()[0]).object.data).toEqual({ k: 'w' });
});

test('a Deployment sent again as it was keeps its generation; a changed spec bumps it', async () => {
  const template = { metadata: { labels: { app: 'g' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const d = await srv.client.create<Deployment>(Resources.deployments, 'default', { metadata: { name: 'g' }, spec: { selector: { matchLabels: { app: 'g' } }, template } });
  // The body without the defaults the stored object has: defaulted again, it is the same object.
  const again = await srv.client.update<Deployment>(Resources.deployments, { metadata: { name: 'g', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'g' } }, template } });
  expect(again.metadata?.generation).toBe(1);
  expect(again.metadata?.resourceVersion).toBe(d.metadata?.resourceVersion);
  const scaled = await srv.client.patch<Deployment>(Resources.deployments, 'default', 'g', { spec: { replicas: 2 } });
  expect(scaled.metadata?.generation).toBe(2);
});
