// The console's Privacy and Audit tabs in a real Chromium (issue 21): only admins see them; an admin
// finds a visitor by e-mail, downloads their export, erases them after confirming (the visitor's
// socket closes), and reads the erasure in the audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { ask, connectVisitor, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';
import { createAgent, testPrisma } from '../agents/helpers.ts';

const SCREENSHOTS = 'test-output/screenshots';
const WAIT = 20_000;
const skip = chromiumMissing;
const EMAIL = 'console.subject@example.org';
const TEXT = 'Papaya-lighthouse-5521: can I change the size of my order?';

const dataDir = temporaryDirectory();
let server: RunningServer;
let prisma: PrismaClient;
let browser: Browser;
let visitor: VisitorConnection;

async function signIn(email: string, password: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 }, acceptDownloads: true });
  page.setDefaultTimeout(WAIT);
  await page.goto(`${server.url}/console`);
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#app:not([hidden])');
  return page;
}

describe('privacy and audit in the console', { skip }, () => {
  before(async () => {
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path }));
    prisma = testPrisma(dataDir.path);
    await createAgent(prisma, { email: 'root@example.com', name: 'Root Admin', password: 'root password 1', role: 'admin' });
    await createAgent(prisma, { email: 'ann@example.com', name: 'Ann Agent', password: 'ann password 1' });
    browser = await launchChromium({ timeout: WAIT });
    mkdirSync(SCREENSHOTS, { recursive: true });
    visitor = await connectVisitor(server.url, { email: EMAIL, name: 'Console Subject' });
    await ask(visitor.socket, TEXT);
  });

  after(async () => {
    visitor?.socket.close();
    await browser?.close();
    await prisma?.$disconnect();
    await server?.close();
    dataDir.remove();
  });

  test('an agent sees neither tab', async () => {
    const page = await signIn('ann@example.com', 'ann password 1');
    assert.equal(await page.isHidden('.tab[data-tab="privacy"]'), true);
    assert.equal(await page.isHidden('.tab[data-tab="audit"]'), true);
    await page.close();
  });

  test('an admin finds the visitor, exports them, erases them after confirming, and sees it in the audit log', async () => {
    const page = await signIn('root@example.com', 'root password 1');
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.click('.tab[data-tab="privacy"]');
    await page.selectOption('#privacy-kind', 'email');
    await page.fill('#privacy-value', EMAIL);
    await page.click('#privacy-form button[type="submit"]');
    const item = '#privacy-results .privacy-item';
    await page.waitForSelector(item);
    assert.match(await page.textContent(item) ?? '', /Console Subject · console\.subject@example\.org/);
    assert.match(await page.textContent(item) ?? '', /1 conversations/);

    const download = page.waitForEvent('download');
    await page.click(`${item} button[data-privacy="export"]`);
    const exported = JSON.parse(readFileSync((await (await download).path())!, 'utf8'));
    assert.ok(exported.visitors[0].conversations[0].messages.some((message: any) => message.text === TEXT));
    await page.screenshot({ path: `${SCREENSHOTS}/console-privacy.png` });

    // Dismissing the confirmation erases nothing.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.click(`${item} button[data-privacy="erase"]`);
    assert.equal(await prisma.message.count({ where: { text: TEXT } }), 1);

    const closed = new Promise<string>((resolve) => visitor.socket.once('disconnect', resolve));
    page.once('dialog', (dialog) => {
      assert.match(dialog.message(), /cannot be undone/);
      void dialog.accept();
    });
    await page.click(`${item} button[data-privacy="erase"]`);
    await page.waitForSelector(`${item} .flag.bad`);
    assert.match(await page.textContent('#privacy-status') ?? '', /Erased visitor #[0-9a-f]{8}: 1 conversation\(s\)/);
    assert.equal(await page.isHidden(`${item} button[data-privacy="erase"]`), true);
    assert.equal(await closed, 'io server disconnect');
    assert.equal(await prisma.message.count({ where: { text: TEXT } }), 0);

    await page.click('.tab[data-tab="audit"]');
    await page.waitForSelector('#audit-list .audit-event');
    assert.equal(await page.getAttribute('#audit-list .audit-event', 'data-action'), 'visitor.erase');
    assert.match(await page.textContent('#audit-list .audit-event') ?? '', /visitor\.erase · root@example\.com/);
    await page.selectOption('#audit-action', 'visitor.export');
    await page.waitForFunction(() => [...document.querySelectorAll('#audit-list .audit-event')].every((event) => (event as HTMLElement).dataset.action === 'visitor.export'));
    await page.screenshot({ path: `${SCREENSHOTS}/console-audit.png` });
    assert.ok(!(await page.content()).includes(TEXT), 'no visitor text in the audit log');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
