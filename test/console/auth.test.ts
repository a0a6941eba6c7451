// Logging in to the console over HTTPS where the API needs a token (no anonymous access), in Chromium:
// no token or a wrong one shows the API's 401; the right one opens the console, every API request
// carries it as a bearer token (no cookie), it is kept in sessionStorage only (not localStorage, not
// the URL), and logging out forgets it. Watches go over WebSockets (the token as kube's bearer
// subprotocol, never in the URL), none as a streamed request holding one of the 6 HTTP connections.
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, consolePage, launchChromium, navigate, screenshot } from '../helpers/console-browser';
import { ensureConsoleBuilt } from '../helpers/console-cluster';
import { startSecuredApiServer, type SecuredApiServer } from '../helpers/identities';
import { waitFor } from '../helpers/wait';

const FIXTURES = path.join(__dirname, '..', 'apiserver', 'fixtures');

jest.setTimeout(90_000);

const describeIfChromium = chromiumAvailable() ? describe : describe.skip;

describeIfChromium('console login with a token', () => {
  let api: SecuredApiServer;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    api = await startSecuredApiServer(
      { 'right-token': { user: 'alice', groups: ['system:masters'] } },
      { console: true, anonymousAuth: false, tlsCertFile: path.join(FIXTURES, 'tls.crt'), tlsKeyFile: path.join(FIXTURES, 'tls.key') },
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  test('wrong token refused, right token used on every request and kept per tab', async () => {
    const page = await consolePage(browser);
    const apiRequests: Array<{ url: string; authorization?: string; cookie?: string }> = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api')) apiRequests.push({ url: r.url(), authorization: r.headers()['authorization'], cookie: r.headers()['cookie'] });
    });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    expect(api.url).toMatch(/^https:/);
    await navigate(page, `${api.url}/ui/`);
    // No token: the API needs one.
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('The API needs a token (401 Unauthorized)');
    await page.getByLabel('Token').fill('wrong-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('The API refused this token (401 Unauthorized)').waitFor();
    await screenshot(page, 'login-refused-1280-light');

    apiRequests.length = 0; // from here on, every request is the logged-in console's
    await page.getByLabel('Token').fill('right-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
    await page.locator('.node, [data-view="cluster"]').first().waitFor();
    await page.waitForTimeout(500);
    expect(apiRequests.length).toBeGreaterThan(3);
    await waitFor('watches over WebSockets', () => sockets.length >= 3);
    for (const url of sockets) {
      expect(url).toMatch(/^wss:\/\/.*[?&]watch=1/);
      expect(url).not.toContain('right-token');
    }
    expect(apiRequests.filter((r) => r.url.includes('watch=1'))).toEqual([]);
    // The console says so: every kind it watches is live.
    await page.locator('.live.ok').waitFor();
    for (const r of apiRequests) {
      expect(r.authorization).toBe('Bearer right-token');
      expect(r.cookie).toBeUndefined();
      expect(r.url).not.toContain('right-token');
    }
    expect(await page.evaluate<string | null>("sessionStorage.getItem('steer.console.token')")).toBe('right-token');
    expect(await page.evaluate<string>('JSON.stringify(localStorage)')).not.toContain('right-token');
    expect(page.url()).not.toContain('right-token');

    // A reload in the same tab stays logged in; logging out forgets the token.
    await page.reload();
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Token').waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('steer.console.token')")).toBeNull();
    await page.close();
  });
});
