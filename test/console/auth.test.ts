// Logging in to the console where the API needs a token, in Chromium: a wrong token shows the API's
// 401; the right one opens the console, every API request carries it as a bearer token (no cookie),
// it is kept in sessionStorage only (not localStorage, not the URL), and logging out forgets it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, screenshot } from '../helpers/console-browser';
import { ensureConsoleBuilt } from '../helpers/console-cluster';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';

jest.setTimeout(90_000);

const describeIfChromium = chromiumAvailable() ? describe : describe.skip;

describeIfChromium('console login with a token', () => {
  let api: TestApiServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-auth-'));
    const tokenFile = path.join(dir, 'tokens.csv');
    fs.writeFileSync(tokenFile, 'right-token,alice,1,"system:masters"\n');
    api = await startTestApiServer({ console: true, tokenFile, token: 'right-token' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('wrong token refused, right token used on every request and kept per tab', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const apiRequests: Array<{ url: string; authorization?: string; cookie?: string }> = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api')) apiRequests.push({ url: r.url(), authorization: r.headers()['authorization'], cookie: r.headers()['cookie'] });
    });
    await page.goto(`${api.url}/ui/`);
    await page.getByLabel('Token').fill('wrong-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('401');
    await screenshot(page, 'login-refused-1280-light');

    await page.getByLabel('Token').fill('right-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
    await page.locator('.node, [data-view="cluster"]').first().waitFor();
    await page.waitForTimeout(500);
    const after = apiRequests.filter((r) => r.authorization !== 'Bearer wrong-token');
    expect(after.length).toBeGreaterThan(3);
    for (const r of after) {
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
