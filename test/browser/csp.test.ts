// Issue 14, finding 6: helmet's default CSP has `upgrade-insecure-requests`, so over plain HTTP on any
// host but localhost (docker-compose without TLS) the console and the demo page asked for their
// scripts over https and broke. Chromium opens both on a non-localhost name mapped to 127.0.0.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import type { RunningServer } from '../../src/server.ts';
import { createHttpServer } from '../../src/gateway/http.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startTestServer, temporaryDirectory } from '../helpers/server.ts';

const WAIT = 20_000;
const HOST_NAME = 'frontdesk.test';
const skip = chromiumMissing;

test('upgrade-insecure-requests is sent only for requests that came over HTTPS', async () => {
  const app = await createHttpServer({ logger: createLogger('silent'), readiness: [], isShuttingDown: () => false, metrics: new Metrics(), trustProxy: () => true });
  try {
    const csp = async (headers: Record<string, string>) => String((await app.inject({ method: 'GET', url: '/healthz', headers })).headers['content-security-policy']);
    assert.doesNotMatch(await csp({}), /upgrade-insecure-requests/);
    assert.match(await csp({}), /default-src 'self'/);
    assert.match(await csp({ 'x-forwarded-proto': 'https' }), /upgrade-insecure-requests/);
  } finally {
    await app.close();
  }
});

describe('pages over plain HTTP on a host name', { skip }, () => {
  const dataDir = temporaryDirectory();
  let server: RunningServer;
  let browser: Browser;
  let origin: string;

  before(async () => {
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path }));
    origin = `http://${HOST_NAME}:${server.port}`;
    browser = await launchChromium({ timeout: 30_000, extraArgs: [`--host-resolver-rules=MAP ${HOST_NAME} 127.0.0.1`] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    dataDir.remove();
  });

  /** Opens a page and records what would show a CSP or mixed-content failure. */
  async function open(path: string, use: (page: Page, problems: string[]) => Promise<void>): Promise<void> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A wrong password is answered 401 on purpose, and Chromium logs every such answer; it also
      // says that helmet's Cross-Origin-Opener-Policy is ignored on an http origin (it is, harmlessly).
      if (message.type() === 'error' && !/status of 401|Cross-Origin-Opener-Policy header has been ignored/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${origin}/`)) problems.push(`left the origin: ${request.url()}`);
    });
    try {
      const response = await page.goto(`${origin}${path}`);
      assert.equal(response?.status(), 200);
      assert.doesNotMatch(response!.headers()['content-security-policy'] ?? '', /upgrade-insecure-requests/);
      await use(page, problems);
    } finally {
      await context.close();
    }
  }

  test('the console loads its scripts and they run', async () => {
    await open('/console', async (page, problems) => {
      // The Socket.IO client and app.js ran: the client is defined, and signing in reaches the API.
      assert.equal(await page.evaluate(() => typeof (window as unknown as { io?: unknown }).io), 'function');
      await page.fill('#login-email', 'nobody@example.com');
      await page.fill('#login-password', 'wrong password');
      await page.click('#login-submit');
      await page.waitForSelector('#login-error:not([hidden])');
      assert.deepEqual(problems, []);
    });
  });

  test('the demo page loads the widget, which runs and connects', async () => {
    await open('/', async (page, problems) => {
      await page.locator('frontdesk-widget .launcher').click();
      await page.waitForSelector('frontdesk-widget .fd[data-state="online"]', { state: 'attached' });
      assert.deepEqual(problems, []);
    });
  });
});
