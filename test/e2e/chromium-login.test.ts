// A real browser: `oauth login --no-browser` prints the URL; Debian's Chromium (driven by playwright-core) signs in
// on oidc-provider's pages and lands on the loopback callback.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { startLogin, userHome } from '../helpers/sign-in.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs chromium (.ci/run); a developer machine without it skips rather than fails.
const runBrowser = existsSync(CHROMIUM) || process.env.CI !== undefined;
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

describe.runIf(runBrowser)('oauth login in Chromium', () => {
  it('signs in through the real login and consent pages', async () => {
    const { chromium } = await import('playwright-core');
    const run = startLogin(as, userHome().env, '--no-browser');
    const [, url] = await run.stderrMatch(/(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const context = await browser.newContext();
      // The pages @import web fonts; nothing but loopback may leave this machine.
      await context.route('**/*', (route) =>
        /^https?:\/\/(127\.0\.0\.1|\[::1\]|localhost)[:/]/.test(route.request().url())
          ? route.continue()
          : route.abort(),
      );
      const page = await context.newPage();
      await page.goto(url!);
      await page.fill('input[name="login"]', 'erin');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      await page.waitForSelector('form input[name="prompt"][value="consent"]', { state: 'attached' });
      await page.click('button[type="submit"]');
      await page.waitForURL(/127\.0\.0\.1:\d+\/callback\?/, { timeout: 15_000 });
      expect(await page.textContent('h1')).toBe('Signed in');
    } finally {
      await browser.close();
    }
    const result = await run.finished;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed in as "erin"');
  }, 60_000);
});
