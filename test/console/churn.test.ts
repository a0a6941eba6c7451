// The console's DOM stays bounded under churn: pods deleted and replaced, Deployments scaled up and
// back (the same pods at the end as at the start) while the page moves between its views, as a user
// leaving a tab open does. The cluster view, fully drawn, is counted at the start (after every view
// was shown once: each kind a view shows is watched from then on, a socket and its handlers) and at
// the end, after a forced GC: DOM nodes (in the document or detached and kept alive) and JS event
// listeners, as Chromium's Performance metrics count them.
import type { Browser, Page } from 'playwright-core';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { chromiumAvailable, consolePage, launchChromium, navigate, logIn } from '../helpers/console-browser';
import { ConsoleCluster, startConsoleCluster } from '../helpers/console-cluster';
import { sleep, waitFor } from '../helpers/wait';

jest.setTimeout(300_000);

const NODES = 6;
const DEPLOYMENTS = 3;
const REPLICAS = 10;
const ROUNDS = 24;

const describeIfChromium = chromiumAvailable() ? describe : describe.skip;

async function domCounts(page: Page): Promise<{ nodes: number; listeners: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = (name: string) => metrics.find((x) => x.name === name)?.value ?? NaN;
    return { nodes: m('Nodes'), listeners: m('JSEventListeners') };
  } finally {
    await cdp.detach();
  }
}

describeIfChromium('the console under churn', () => {
  let cluster: ConsoleCluster;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    cluster = await startConsoleCluster({ nodes: NODES, maxPods: 40 });
    const c = cluster.api.client;
    for (let i = 0; i < DEPLOYMENTS; i++) {
      const name = `churn-${i}`;
      await c.create(Resources.deployments, 'default', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/nginx:1.22' }] } },
        },
      });
      await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } });
    }
    await waitFor(
      'every pod Running',
      async () => (await c.list<Pod>(Resources.pods, { namespace: 'default' })).items.filter((p) => p.status?.phase === 'Running').length === DEPLOYMENTS * REPLICAS,
      120_000,
      250,
    );
    browser = await launchChromium();
    page = await consolePage(browser);
    await logIn(page, cluster.api.url, cluster.adminToken);
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  /** The cluster view with every node card and every pod chip drawn, and nothing left to draw. */
  async function clusterDrawn(): Promise<void> {
    await navigate(page, `${cluster.api.url}/ui/#/cluster`);
    await waitFor(
      'the cluster view fully drawn',
      async () =>
        (await page.locator('.node').count()) === NODES &&
        (await page.locator('.node .chip').count()) === DEPLOYMENTS * REPLICAS &&
        (await page.getByTestId('pod-count').textContent()) === `${DEPLOYMENTS * REPLICAS} pods`,
      60_000,
      250,
    );
    await sleep(1000);
  }

  test('DOM nodes and listeners stay bounded while pods churn and views change', async () => {
    const c = cluster.api.client;
    const views = ['workloads', 'services', 'events', 'workloads/deployments/default/churn-0', 'cluster'];
    // Every view once first: each kind it shows is watched from then on (a socket and its handlers),
    // which is not growth.
    for (const v of views) {
      await navigate(page, `${cluster.api.url}/ui/#/${v}`);
      await page.locator('[data-view]').first().waitFor();
      await sleep(300);
    }
    await clusterDrawn();
    const start = await domCounts(page);
    for (let round = 0; round < ROUNDS; round++) {
      const pods = (await c.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: `app=churn-${round % DEPLOYMENTS}` })).items;
      for (const p of pods.slice(0, 3)) await c.delete(Resources.pods, 'default', p.metadata!.name!).catch(() => undefined);
      await c.patch(Resources.deployments, 'default', `churn-${(round + 1) % DEPLOYMENTS}`, { spec: { replicas: REPLICAS + (round % 2) * 4 } }, 'merge', 'scale');
      await navigate(page, `${cluster.api.url}/ui/#/${views[round % views.length]}`);
      await page.locator('[data-view]').first().waitFor();
      await sleep(300);
    }
    for (let i = 0; i < DEPLOYMENTS; i++) await c.patch(Resources.deployments, 'default', `churn-${i}`, { spec: { replicas: REPLICAS } }, 'merge', 'scale');
    await waitFor(
      'the replacements Running and the deleted pods gone',
      async () => {
        const pods = (await c.list<Pod>(Resources.pods, { namespace: 'default' })).items;
        return pods.length === DEPLOYMENTS * REPLICAS && pods.every((p) => p.status?.phase === 'Running');
      },
      120_000,
      250,
    );
    await clusterDrawn();
    const end = await domCounts(page);
    console.log(`DOM nodes ${start.nodes} → ${end.nodes}, listeners ${start.listeners} → ${end.listeners} after ${ROUNDS} rounds of churn`);
    // The same pods on the same view: what grows is kept alive by the page, not shown. A margin for
    // what differs between two drawings of the same cluster (a pending pod, an event, a status text);
    // a node card kept alive per visit of the view, or a listener per card, is well past it.
    expect(end.nodes).toBeLessThanOrEqual(start.nodes * 1.15 + 100);
    expect(end.listeners).toBeLessThanOrEqual(start.listeners + 10);
  });
});
