// The web console in real headless Chromium against a real apiserver secured as steer up's (HTTPS,
// tokens, RBAC, no anonymous access) with the scheduler, the controllers and hollow nodes (pods go
// Running and Ready without containers): log in; the nginx Deployment shows 1/1; scaling to 3 from the
// UI passes through Δ and reaches 3/3 without a reload, and the cluster has 3 pods; a user with only
// the view role sees the views but scaling shows the API's 403; a pod deleted with kubectl is replaced
// on screen; a bad YAML apply shows the API's error; every view is screenshotted (test-artifacts/console/,
// at 1280×800 and phone width, light and dark) and checked to be more than a blank page.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { chromiumAvailable, consolePage, launchChromium, navigate, logIn, screenshot } from '../helpers/console-browser';
import { ConsoleCluster, startConsoleCluster } from '../helpers/console-cluster';
import { waitFor } from '../helpers/wait';

jest.setTimeout(120_000);

const KUBECTL = path.join(__dirname, '..', '..', 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
const NGINX = 'deployments/default/nginx';

const nginx = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx', labels: { app: 'nginx' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'nginx' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: '127.0.0.1:5000/nginx:1.22',
            ports: [{ containerPort: 80 }],
            readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 2 },
            resources: { requests: { cpu: '50m', memory: '32Mi' } },
          },
        ],
      },
    },
  },
};

const describeIfChromium = chromiumAvailable() ? describe : describe.skip;

/**
 * Evaluated in the page: each visible element with text of its own, whose colour against the first
 * opaque background behind it (its own or an ancestor's) is below WCAG 2's AA ratio — 4.5:1, or 3:1
 * for large text (24 px, or 18.66 px bold). Disabled controls are exempt, as WCAG says.
 */
const LOW_CONTRAST_TEXT = `(() => {
  const rgba = (c) => { const m = c.match(/[\\d.]+/g) || []; return m.map(Number).concat([1]).slice(0, 4); };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] >= 0.99) return c; }
    return rgba(getComputedStyle(document.documentElement).backgroundColor);
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('[disabled], .sr-only')) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || Number(cs.opacity) < 0.1) continue;
    const fg = rgba(cs.color);
    const bg = background(el);
    // A translucent text colour is drawn over its background.
    const drawn = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
    const [a, b] = [lum(drawn), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return out;
})()`;

describeIfChromium('web console in Chromium', () => {
  let cluster: ConsoleCluster;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    cluster = await startConsoleCluster({ nodes: 3 });
    const c = cluster.api.client;
    await c.create(Resources.deployments, 'default', nginx);
    await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx' }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80 }] } });
    browser = await launchChromium();
    page = await consolePage(browser);
    page.on('pageerror', (e) => errors.push(String(e)));
    // Script errors only: failed requests the console expects (a 404 for an object not created yet, the
    // 422 of the bad apply, hollow nodes serving no logs) show in the page itself.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  const row = (id: string) => page.locator(`tr[data-workload="${id}"]`);

  test('logs in and shows the nginx Deployment at 1/1', async () => {
    expect(cluster.api.url).toMatch(/^https:/);
    await logIn(page, cluster.api.url, cluster.adminToken);
    await page.getByRole('link', { name: 'Workloads' }).click();
    await waitFor('nginx 1/1', async () => (await row(NGINX).getAttribute('data-ready')) === '1' && (await row(NGINX).getAttribute('data-converged')) === 'true', 30_000);
    expect(await page.locator(`[data-ready-cell="${NGINX}"]`).textContent()).toBe('1/1');
    // The token is kept per tab, never in the URL.
    expect(page.url()).not.toContain(cluster.adminToken);
  });

  test('requests dropped by the network (ERR_NETWORK_CHANGED) are asked for again: app.js, app.css and the login\'s discovery', async () => {
    // Chromium fails the requests in flight when the host's interfaces change, as pods' veths come and
    // go beside the browser; here the first request for each is failed the same way (net::ERR_INTERNET_DISCONNECTED).
    const p = await consolePage(browser);
    const dropped: string[] = [];
    const dropOnce = (pattern: RegExp) => {
      let done = false;
      return p.route(pattern, (route) => {
        if (done) return route.continue();
        done = true;
        dropped.push(new URL(route.request().url()).pathname);
        return route.abort('internetdisconnected');
      });
    };
    try {
      await dropOnce(/\/ui\/app\.js/);
      await dropOnce(/\/ui\/app\.css/);
      await dropOnce(/\/api\/v1$/);
      await logIn(p, cluster.api.url, cluster.adminToken);
      expect(dropped.sort()).toEqual(['/api/v1', '/ui/app.css', '/ui/app.js']);
      // Styled: app.css arrived on its second asking.
      await p.waitForFunction("getComputedStyle(document.body).margin === '0px'", undefined, { timeout: 10_000 });
    } finally {
      await p.close();
    }
  });

  test('an app.js that never loads: the page says so instead of staying blank', async () => {
    const p = await consolePage(browser);
    let asked = 0;
    try {
      await p.route(/\/ui\/app\.js/, (route) => {
        asked++;
        return route.abort('internetdisconnected');
      });
      await navigate(p, `${cluster.api.url}/ui/`);
      await p.getByText('The console could not load /ui/app.js: reload the page.').waitFor({ timeout: 10_000 });
      expect(asked).toBe(4); // the parser's request and three more
    } finally {
      await p.close();
    }
  });

  test('scale to 3 from the UI passes through Δ and reaches 3/3 without a reload', async () => {
    // Record every state the row shows, from the DOM itself.
    await page.evaluate(`(() => {
      window.seen = [];
      const el = document.querySelector('tr[data-workload="${NGINX}"]');
      const note = () => window.seen.push(el.getAttribute('data-desired') + '/' + el.getAttribute('data-ready') + '/' + el.getAttribute('data-converged'));
      new MutationObserver(note).observe(el, { attributes: true });
    })()`);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.locator(`input[data-scale-input="${NGINX}"]`).fill('3');
    await page.locator(`button[data-scale-button="${NGINX}"]`).click();
    await waitFor('nginx 3/3', async () => (await page.locator(`[data-ready-cell="${NGINX}"]`).textContent()) === '3/3' && (await row(NGINX).getAttribute('data-converged')) === 'true', 30_000);
    const seen = await page.evaluate<string[]>('window.seen');
    // Desired went to 3 while fewer than 3 were ready: the Δ was on screen before 3/3.
    expect(seen.some((s) => /^3\/[0-2]\/false$/.test(s))).toBe(true);
    expect(seen[seen.length - 1]).toBe('3/3/true');
    expect(navigations).toEqual([]); // no reload
    const pods = await cluster.api.client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=nginx' });
    expect(pods.items.filter((p) => !p.metadata?.deletionTimestamp)).toHaveLength(3);
    await screenshot(page, 'workloads-1280-light');
  });

  test('a user with only the view role sees the views, and scaling shows the API\'s 403', async () => {
    // A browser of its own: Chromium's six connections per host are shared by the pages of one browser,
    // and the administrator's page holds five watches.
    const viewerBrowser = await launchChromium();
    const viewer = await consolePage(viewerBrowser);
    viewer.on('pageerror', (e) => errors.push(`viewer: ${String(e)}`));
    const authorizations = new Set<string>();
    viewer.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api')) authorizations.add(r.headers()['authorization'] ?? '(none)');
    });
    try {
      await logIn(viewer, cluster.api.url, cluster.viewerToken);
      await viewer.goto(`${cluster.api.url}/ui/#/workloads`);
      const ready = viewer.locator(`[data-ready-cell="${NGINX}"]`);
      await waitFor('the viewer sees nginx 3/3', async () => (await ready.textContent()) === '3/3');
      await viewer.locator(`input[data-scale-input="${NGINX}"]`).fill('1');
      await viewer.locator(`button[data-scale-button="${NGINX}"]`).click();
      const alert = viewer.locator('.notice.error');
      await alert.waitFor();
      // kube-apiserver's RBAC refusal, as kubectl prints it.
      expect(await alert.textContent()).toMatch(
        /Error from server \(Forbidden\): deployments\.apps "nginx" is forbidden: User "viewer" cannot patch resource "deployments\/scale" in API group "apps" in the namespace "default"/,
      );
      await screenshot(viewer, 'viewer-forbidden-1280-light');
      const d = await cluster.api.client.get<{ spec: { replicas: number } }>(Resources.deployments, 'default', 'nginx');
      expect(d.spec.replicas).toBe(3);
      // Nodes are not in the view role: the cluster view says so in the API's words instead of failing.
      await viewer.goto(`${cluster.api.url}/ui/#/cluster`);
      await viewer.locator('.kind-status').getByText(/nodes: Error from server \(Forbidden\): nodes is forbidden: User "viewer" cannot list resource "nodes"/).waitFor();
      await viewer.locator('tr[data-service="default/nginx"], .svc').first().waitFor();
      expect([...authorizations]).toEqual([`Bearer ${cluster.viewerToken}`]);
    } catch (err) {
      await viewer.screenshot({ path: 'test-artifacts/console/viewer-failure.png' }).catch(() => undefined);
      throw new Error(`${String(err)}\npage errors: ${errors.join('; ')}\npage text: ${await viewer.locator('body').innerText().catch(() => '?')}`);
    } finally {
      await viewerBrowser.close();
    }
  });

  test('a pod deleted with kubectl is replaced on screen', async () => {
    await page.locator(`tr[data-workload="${NGINX}"] a`).first().click();
    await page.locator('[data-view="workload"]').waitFor();
    await waitFor('3 pods listed', async () => (await page.locator('tr[data-pod]').count()) === 3);
    const before = await page.locator('tr[data-pod]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pod')));
    const victim = before[0]!.split('/')[1];
    // Asynchronously: the apiserver kubectl talks to runs in this process.
    await promisify(execFile)(KUBECTL, ['--kubeconfig', cluster.api.kubeconfigPath, 'delete', 'pod', victim, '--wait=false'], { env: { ...process.env, HOME: '/tmp' } });
    await waitFor('a replacement on screen', async () => {
      const now = await page.locator('tr[data-pod]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pod')));
      return !now.includes(`default/${victim}`) && now.length === 3 && now.some((p) => !before.includes(p));
    }, 30_000);
    await page.getByRole('heading', { name: 'Convergence timeline' }).waitFor();
    expect(await page.locator('.timeline li').count()).toBeGreaterThan(2);
    await screenshot(page, 'workload-detail-1280-light');
  });

  test('pod detail: containers, probes, events, logs', async () => {
    await page.locator('tr[data-pod] a').first().click();
    await page.locator('[data-view="pod"]').waitFor();
    await page.getByRole('heading', { name: 'Containers' }).waitFor();
    expect(await page.locator('[data-view="pod"] table').first().textContent()).toContain('GET :80/');
    await page.getByRole('heading', { name: 'Logs' }).waitFor();
    await screenshot(page, 'pod-detail-1280-light');
  });

  test('a bad YAML apply shows the API error, a good one shows the diff first', async () => {
    await page.getByRole('link', { name: 'Apply YAML' }).click();
    const bad = nginx.spec.template.spec.containers[0];
    const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: -2
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers:
      - name: ${bad.name}
        image: ${bad.image}
`;
    await page.getByLabel('YAML').fill(yaml);
    await page.getByRole('button', { name: /Preview diff/ }).click();
    const error = page.locator('[data-apply-error]');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    // The API's own message (422 Invalid), as kubectl would print it.
    expect(text).toMatch(/Error from server \(Invalid\)/);
    expect(text).toMatch(/spec\.replicas/);
    expect(await page.getByRole('button', { name: 'Apply', exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'apply-error-1280-light');
    // Nothing was created by the dry run.
    await expect(cluster.api.client.get(Resources.deployments, 'default', 'broken')).rejects.toThrow();

    await page.getByLabel('YAML').fill(yaml.replace('replicas: -2', 'replicas: 1').replace('{app: other}', '{app: broken}'));
    await page.getByRole('button', { name: /Preview diff/ }).click();
    await page.locator('pre.diff').waitFor();
    expect(await page.locator('pre.diff').textContent()).toContain('+ kind: Deployment');
    await expect(cluster.api.client.get(Resources.deployments, 'default', 'broken')).rejects.toThrow();
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.locator('[data-apply-result]').waitFor();
    expect(await page.locator('[data-apply-result]').textContent()).toContain('deployment/broken created');
    await cluster.api.client.get(Resources.deployments, 'default', 'broken');
    await screenshot(page, 'apply-1280-light');
  });

  // 20 views drawn and checked: minutes on 2 shared cores at load 15.
  test('every view renders at 1280×800 and at phone width, light and dark', async () => {
    const views = ['cluster', 'workloads', 'services', 'events', 'apply'];
    for (const [theme, width, height] of [
      ['light', 1280, 800],
      ['dark', 1280, 800],
      ['dark', 390, 844],
      ['light', 390, 844],
    ] as Array<[string, number, number]>) {
      await page.setViewportSize({ width, height });
      await page.getByLabel('Theme').selectOption(theme);
      for (const v of views) {
        await navigate(page, `${cluster.api.url}/ui/#/${v}`);
        await page.locator(`[data-view="${v}"]`).waitFor();
        if (v === 'cluster') await page.locator('.node').first().waitFor();
        if (v === 'services') await page.locator('tr[data-service="default/nginx"]').waitFor();
        // Nothing wider than the screen except inside scrollable tables.
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        if (overflow > 0) {
          const wide = await page.evaluate<string[]>(`[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.table-wrap')).slice(0, 8).map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))`);
          throw new Error(`${v} at ${width}px is ${overflow}px wider than the screen: ${wide.join(', ')}`);
        }
        await screenshot(page, `${v}-${width}-${theme}`);
        // WCAG AA contrast of every piece of text drawn: 4.5:1, 3:1 for large text.
        const low = await page.evaluate<string[]>(LOW_CONTRAST_TEXT);
        if (low.length) throw new Error(`${v} in ${theme}: text below WCAG AA contrast: ${low.slice(0, 8).join('; ')}`);
      }
    }
    // The check itself sees low contrast: light grey on white is flagged, the same in black is not.
    // (Through the CSSOM: the console's CSP refuses inline style attributes.)
    await page.evaluate(`for (const [id, color] of [['probe', '#aaa'], ['probe2', '#000']]) {
      const p = document.createElement('p');
      p.id = id;
      p.textContent = id === 'probe' ? 'contrast probe' : 'contrast probe 2';
      p.style.color = color;
      p.style.background = '#fff';
      document.querySelector('main').append(p);
    }`);
    expect((await page.evaluate<string[]>(LOW_CONTRAST_TEXT)).filter((x) => x.includes('contrast probe'))).toEqual([expect.stringMatching(/^P\. "contrast probe" 2\.3\d$/)]);
    await page.evaluate(`document.getElementById('probe').remove(); document.getElementById('probe2').remove()`);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 360_000);

  test('keyboard: the navigation and the actions are reachable with Tab and labelled', async () => {
    await navigate(page, `${cluster.api.url}/ui/#/workloads`);
    await page.reload(); // a fresh page: Tab starts at the top
    await page.locator('[data-view="workloads"]').waitFor();
    // A page opened with a saved token asked for the view's lists from the inline boot script (which the CSP let run).
    expect(await page.evaluate<number>("performance.getEntriesByName('steer-console-prefetched').length")).toBe(1);
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      names.push(await page.evaluate<string>(`(() => {
        const el = document.activeElement;
        return el ? el.tagName + ':' + (el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '') : '';
      })()`));
    }
    expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^A:Workloads/)]));
    expect(names.some((n) => n.startsWith('SELECT:Namespace'))).toBe(true);
    // Every input and select has a name a screen reader can read.
    const unlabelled = await page.evaluate<number>(`[...document.querySelectorAll('input, select, textarea')].filter((el) => {
      const id = el.getAttribute('id');
      return !el.getAttribute('aria-label') && !(id && document.querySelector('label[for="' + id + '"]')) && !el.closest('label');
    }).length`);
    expect(unlabelled).toBe(0);
    expect(errors).toEqual([]);
  });
});
