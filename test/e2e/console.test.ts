// The web console against a real `steer up` cluster on containerd, in headless Chromium: `steer up`
// prints the console's HTTPS address and how to get a token (kubectl create token for the
// kube-system/console-admin ServiceAccount; steer create token too); log in with it under RBAC; the nginx Deployment shows 1/1; scaling to 3
// from the UI passes through Δ and reaches 3/3 without a reload, and the cluster really has 3 nginx
// pods; a pod deleted with kubectl is replaced on screen; the pod's real nginx log is shown; a bad YAML
// apply shows the API's error; screenshots of each view (test-artifacts/console/e2e-*) are non-blank.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Pod } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { chromiumAvailable, consolePage, launchChromium, navigate, logIn, screenshot } from '../helpers/console-browser';
import { ensureConsoleBuilt } from '../helpers/console-cluster';
import { waitFor } from '../helpers/wait';
import { repo, run as runCommand } from './helpers/commands';
import { freePort } from './helpers/net';

jest.setTimeout(300_000);

const steerBin = path.join(repo, 'bin', 'steer.js');
const kubectlBin = path.join(repo, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
const stateDir = '/var/lib/steer-test/console';
const kubeconfig = path.join(stateDir, 'kubeconfig');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-home-'));
const NGINX = 'deployments/default/nginx';

const run = (cmd: string, args: string[], timeoutMs = 240_000) => runCommand(cmd, args, { timeoutMs, env: { HOME: home, KUBECONFIG: kubeconfig } });
const steer = (...args: string[]) => run(process.execPath, [steerBin, ...args]);

const describeIfChromium = chromiumAvailable() ? describe : describe.skip;

describeIfChromium('the web console on a steer up cluster', () => {
  let browser: Browser | undefined;
  let page: Page;
  let client: KubeClient | undefined;
  let consoleUrl = '';
  let token = '';

  afterAll(async () => {
    await browser?.close();
    client?.close();
    if (fs.existsSync(stateDir)) await steer('down', '--state-dir', stateDir, '--purge');
    fs.rmSync(home, { recursive: true, force: true });
  });

  const row = () => page.locator(`tr[data-workload="${NGINX}"]`);
  const readyCell = () => page.locator(`[data-ready-cell="${NGINX}"]`);
  const nginxPods = async () => (await client!.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=nginx' })).items.filter((p) => !p.metadata?.deletionTimestamp);

  test('steer up prints the console address and how to get a token; both kubectl and steer get one', async () => {
    await ensureConsoleBuilt();
    if (fs.existsSync(stateDir)) await steer('down', '--state-dir', stateDir, '--purge'); // a crashed earlier run
    const [api, agent, sched, ctrl] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const r = await steer('up', '--state-dir', stateDir, '--listen', `127.0.0.1:${api}`, '--node-name', 'console-node', '--agent-port', String(agent), '--scheduler-metrics-port', String(sched), '--controllers-metrics-port', String(ctrl), '--pod-subnet', '10.212.0.0/24', '--service-cidr', '10.212.64.0/24', '--bridge', 'steercon0');
    if (r.code !== 0) throw new Error(`steer up failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
    const m = /web console: (https:\/\/\S+)\/ui\/\n {2}log in with a token of the ServiceAccount kube-system\/console-admin \(cluster-admin\):\n {4}(kubectl -n kube-system create token console-admin --duration=24h)\b.*\n[^]*the browser must trust the cluster CA (\S+)/.exec(r.stdout);
    if (!m) throw new Error(`no console instructions in:\n${r.stdout}`);
    consoleUrl = m[1];
    const ca = m[3];
    expect(ca).toBe(path.join(stateDir, 'pki', 'ca.crt'));
    // The printed command, with the current kubectl where it runs (1.24+ has create token)…
    const [, ...args] = m[2].split(' ');
    const current = await run('/usr/bin/kubectl', ['version', '--client'], 30_000).catch(() => ({ code: 1, stdout: '', stderr: '' }));
    if (current.code === 0) {
      const k = await run('/usr/bin/kubectl', args, 60_000);
      expect(k.code).toBe(0);
      const who = await run('/usr/bin/kubectl', ['--kubeconfig=/dev/null', '--server', consoleUrl, '--certificate-authority', ca, '--token', k.stdout.trim(), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], 60_000);
      expect(who.stdout).toBe('system:serviceaccount:kube-system:console-admin');
    }
    // …and the same with steer's own verb (kubectl 1.20 has none).
    const t = await steer('create', 'token', 'console-admin', '-n', 'kube-system', '--duration=1h');
    expect(t.code).toBe(0);
    token = t.stdout.trim();
    expect(token.split('.')).toHaveLength(3); // a signed JWT
    client = KubeClient.load({ kubeconfig });
  });

  test('log in; nginx shows 1/1', async () => {
    expect(consoleUrl).not.toBe('');
    browser = await launchChromium();
    page = await consolePage(browser);
    await logIn(page, consoleUrl, token);
    await navigate(page, `${consoleUrl}/ui/#/workloads`);
    await waitFor('nginx 1/1', async () => (await readyCell().textContent()) === '1/1' && (await row().getAttribute('data-converged')) === 'true', 120_000);
    await navigate(page, `${consoleUrl}/ui/#/cluster`);
    await page.locator('.node').first().waitFor();
    await page.locator('.svc').first().waitFor();
    await screenshot(page, 'e2e-cluster-1280');
  });

  test('scale to 3 from the UI: through Δ to 3/3 without a reload; the cluster has 3 pods', async () => {
    await navigate(page, `${consoleUrl}/ui/#/workloads`);
    await readyCell().waitFor();
    await page.evaluate(`(() => {
      window.seen = [];
      const el = document.querySelector('tr[data-workload="${NGINX}"]');
      new MutationObserver(() => window.seen.push(el.getAttribute('data-desired') + '/' + el.getAttribute('data-ready') + '/' + el.getAttribute('data-converged'))).observe(el, { attributes: true });
    })()`);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.locator(`input[data-scale-input="${NGINX}"]`).fill('3');
    await page.locator(`button[data-scale-button="${NGINX}"]`).click();
    await waitFor('Δ on screen', async () => (await row().getAttribute('data-converged')) === 'false', 10_000);
    await screenshot(page, 'e2e-workloads-converging-1280');
    await waitFor('3/3', async () => (await readyCell().textContent()) === '3/3' && (await row().getAttribute('data-converged')) === 'true', 120_000);
    const seen = await page.evaluate<string[]>('window.seen');
    expect(seen.some((s) => /^3\/[0-2]\/false$/.test(s))).toBe(true);
    expect(seen[seen.length - 1]).toBe('3/3/true');
    expect(navigations).toEqual([]);
    const pods = await nginxPods();
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
    await screenshot(page, 'e2e-workloads-1280');
  });

  test('a pod deleted with kubectl: the replacement shows; the pod page shows its nginx log', async () => {
    await row().locator('a').first().click();
    await page.locator('[data-view="workload"]').waitFor();
    await waitFor('3 pods listed', async () => (await page.locator('tr[data-pod]').count()) === 3, 30_000);
    const before = await page.locator('tr[data-pod]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pod')));
    const victim = before[0]!.split('/')[1];
    const del = await run(kubectlBin, ['delete', 'pod', victim, '--wait=false'], 60_000);
    expect(del.code).toBe(0);
    await waitFor('the replacement on screen', async () => {
      const now = await page.locator('tr[data-pod]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pod')));
      return !now.includes(`default/${victim}`) && now.length === 3 && now.some((p) => !before.includes(p));
    }, 120_000);
    await screenshot(page, 'e2e-workload-detail-1280');
    await page.locator('tr[data-pod] a').first().click();
    await page.locator('[data-view="pod"]').waitFor();
    // nginx logs its start-up notices and the probes' GETs: a real log through pods/log.
    await waitFor('nginx log lines', async () => /nginx|GET \//.test((await page.locator('pre.logs').textContent()) ?? ''), 60_000);
    await screenshot(page, 'e2e-pod-detail-1280');
  });

  test('a bad YAML apply shows the API error; nothing is created', async () => {
    await navigate(page, `${consoleUrl}/ui/#/apply`);
    await page.getByLabel('YAML').fill('apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-svc\nspec:\n  type: NoSuchType\n  ports:\n  - port: 80\n');
    await page.getByRole('button', { name: /Preview diff/ }).click();
    await page.locator('[data-apply-error]').waitFor();
    expect(await page.locator('[data-apply-error]').textContent()).toMatch(/Error from server \(Invalid\)/);
    await screenshot(page, 'e2e-apply-error-1280');
    await expect(client!.get(Resources.services, 'default', 'bad-svc')).rejects.toThrow();
    for (const v of ['services', 'events']) {
      await navigate(page, `${consoleUrl}/ui/#/${v}`);
      await page.locator(`[data-view="${v}"]`).waitFor();
      await page.waitForTimeout(500);
      await screenshot(page, `e2e-${v}-1280`);
    }
  });
});
