// Headless Debian Chromium for the console's tests and benchmark, driven by playwright-core (which uses
// the system browser: nothing is downloaded), with the flags this machine needs; logging in; and
// screenshots saved under test-artifacts/console/ (gitignored) and checked to be more than a blank page.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decodePng, inkStats } from './png';

export const CHROMIUM = process.env.STEER_CHROMIUM || '/usr/bin/chromium';

/** Without the background-networking flags Chromium keeps trying hosts this machine cannot reach. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-precise-memory-info',
];

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A page in its own browser context (its own sessionStorage, so its own login). The apiserver serves
 * HTTPS with a certificate of the cluster's own CA, which this throwaway browser has no trust store
 * for: it accepts it, as a user does who imports ca.crt.
 */
export function consolePage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  return browser.newPage({ viewport, ignoreHTTPSErrors: true });
}

export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');

/**
 * page.goto, made again when Chromium fails it with net::ERR_NETWORK_CHANGED (or the error page that
 * follows it): it does whenever the host's addresses change, and containers' interfaces come and go in
 * the test's own cluster and beside it. Not the console's doing.
 */
export async function navigate(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      return;
    } catch (err) {
      if (attempt >= 5 || !/ERR_NETWORK_CHANGED|navigation to "chrome-error:/.test(String(err))) throw err;
    }
  }
}

/** Opens the console at `baseUrl`/ui/ and logs in with `token`. */
export async function logIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await navigate(page, `${baseUrl}/ui/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
}

/** Saves a full-page screenshot as an artifact and checks that something is drawn on it. */
export async function screenshot(page: Page, name: string): Promise<{ file: string; colors: number; inked: number }> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  const png = await page.screenshot({ path: file, fullPage: true });
  const stats = inkStats(decodePng(png));
  if (stats.colors < 8 || stats.inked < 0.01) throw new Error(`screenshot ${name} looks blank: ${stats.colors} colours, ${(stats.inked * 100).toFixed(2)}% drawn`);
  return { file, ...stats };
}
