// Issue 15 in a real Chromium: "Talk to a person" sends the `handoff` event, the visitor sees an
// agent join (by display name) and the conversation resolved, in the visitor's language, and after a
// resolve and a reload the previous conversation is still shown, read-only, above a divider.
// Screenshots go to test-output/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { queryEmbedded, startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { api, createAgent, login, testPrisma } from '../agents/helpers.ts';

const SCREENSHOTS = 'test-output/screenshots';
const WAIT = 20_000;
const skip = chromiumMissing;
const W = 'frontdesk-widget';

const dataDir = temporaryDirectory();
let server: RunningServer;
let prisma: PrismaClient;
let browser: Browser;
let agentToken: string;

before(async () => {
  if (skip) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  ({ server } = await startTestServer({ DATA_DIR: dataDir.path, MESSAGE_BURST: '30', MESSAGES_PER_SECOND: '10' }));
  prisma = testPrisma(dataDir.path);
  await createAgent(prisma, { email: 'anna@example.com', name: 'Anna', password: 'anna password 1' });
  agentToken = await login(server.url, 'anna@example.com', 'anna password 1');
  browser = await launchChromium({ timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await prisma?.$disconnect();
  await server?.close();
  dataDir.remove();
});

const part = (page: Page, selector: string) => page.locator(`${W} ${selector}`);
const sql = (text: string, values: unknown[] = []) => queryEmbedded(dataDir.path, text, values);

async function act(conversationId: string, action: string): Promise<void> {
  const { status, body } = await api(server.url, `/api/agent/conversations/${conversationId}/${action}`, { method: 'POST', token: agentToken });
  assert.equal(status, 200, JSON.stringify(body));
}

/**
 * The demo shop with the widget open and connected, in a browser of this locale; `attributes` are
 * added to its script tag. Returns the conversation id.
 */
async function openChat(locale: string, attributes = ''): Promise<{ page: Page; conversationId: () => Promise<string> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  if (attributes) {
    await page.route(`${server.url}/`, async (route) => {
      const demo = await route.fetch();
      await route.fulfill({ response: demo, body: (await demo.text()).replace('<script src="/widget.js"', `<script src="/widget.js" ${attributes}`) });
    });
  }
  await page.goto(`${server.url}/`);
  await part(page, '.launcher').click();
  await page.waitForSelector(`${W} .fd[data-state="online"]`, { state: 'attached', timeout: WAIT });
  const conversationId = () => page.evaluate((key) => localStorage.getItem(key)!, `frontdesk:${server.url}:conversation`);
  return { page, conversationId };
}

async function askForPerson(page: Page): Promise<void> {
  await part(page, '.human').click();
  await part(page, '.messages li.message.bot[data-source="handoff"]').waitFor({ timeout: WAIT });
}

describe('visitor notices in the widget', { skip }, () => {
  test('"Talk to a person" hands over without a message; the agent joining and the resolve are shown; after a reload the resolved conversation is still there', async () => {
    const { page, conversationId } = await openChat('en-US');
    try {
      await part(page, 'textarea').fill('where is my order');
      await part(page, 'textarea').press('Enter');
      await part(page, '.messages li.message.bot').first().waitFor({ timeout: WAIT });
      await askForPerson(page);
      const id = await conversationId();
      assert.equal(await part(page, '.messages li.message.visitor').count(), 1, 'the button sends no visitor message');
      assert.equal((await sql('SELECT status::text FROM "Conversation" WHERE id = $1', [id]))[0].status, 'waiting_for_agent');
      assert.equal(await part(page, '.human').isVisible(), false, 'no second request once handed over');

      await act(id, 'take-over');
      const joined = part(page, '.messages li.notice[data-status="agent"]');
      await joined.waitFor({ timeout: WAIT });
      assert.equal(await joined.textContent(), 'Anna joined the conversation');
      const sent = await api(server.url, `/api/agent/conversations/${id}/messages`, { token: agentToken, body: { text: 'Hi, I am looking at your order now.' } });
      assert.equal(sent.status, 201);
      const agentMessage = part(page, '.messages li.message.agent');
      await agentMessage.waitFor({ timeout: WAIT });
      assert.equal((await agentMessage.locator('.who').textContent())?.trim(), 'Anna:', 'the agent is named on the reply');

      await act(id, 'resolve');
      const resolved = part(page, '.messages li.notice[data-status="resolved"]');
      await resolved.waitFor({ timeout: WAIT });
      assert.equal(await resolved.textContent(), 'The conversation was resolved');
      await page.screenshot({ path: `${SCREENSHOTS}/notices-01-joined-resolved.png` });

      // A reload opens a new conversation; the resolved one stays readable above a divider.
      await page.reload();
      await page.waitForSelector(`${W} .fd[data-state="online"]`, { state: 'attached', timeout: WAIT });
      await part(page, '.previous').waitFor({ state: 'visible', timeout: WAIT });
      assert.notEqual(await conversationId(), id);
      assert.deepEqual(await part(page, '.earlier li.message .bubble').allTextContents(), (await sql(
        'SELECT text FROM "Message" WHERE "conversationId" = $1 ORDER BY seq', [id])).map((row) => row.text));
      assert.equal(await part(page, '.divider').textContent(), 'The conversation was resolved');
      assert.equal(await part(page, '.earlier .feedback').count(), 0, 'read-only: no feedback buttons');
      assert.equal(await part(page, '.messages li.message').count(), 0, 'the new conversation is empty');
      assert.equal(await part(page, '.human').isVisible(), true, 'the new conversation is with the bot');
      await page.screenshot({ path: `${SCREENSHOTS}/notices-02-previous-after-reload.png` });
    } finally {
      await page.context().close();
    }
  });

  test('in the visitor\'s language: the handoff text and the notices in German', async () => {
    const { page, conversationId } = await openChat('de-DE');
    try {
      await askForPerson(page);
      const catalogue = await loadCatalogue('intents');
      // No agent has a console open here, so the handover takes the offline path (src/availability).
      assert.equal(await part(page, '.messages li.message.bot .bubble').last().textContent(), catalogue.botText('handoff_unavailable', 'de'));
      const id = await conversationId();
      await act(id, 'take-over');
      await part(page, '.messages li.notice[data-status="agent"]').waitFor({ timeout: WAIT });
      assert.equal(await part(page, '.messages li.notice[data-status="agent"]').textContent(), 'Anna ist dem Gespräch beigetreten');
      await act(id, 'resolve');
      await part(page, '.messages li.notice[data-status="resolved"]').waitFor({ timeout: WAIT });
      assert.equal(await part(page, '.messages li.notice[data-status="resolved"]').textContent(), 'Das Gespräch wurde abgeschlossen');
    } finally {
      await page.context().close();
    }
  });

  test('the console shows agents who they talk to: the name and e-mail the page configured, language, page and browser', async () => {
    const { page, conversationId } = await openChat('fr-FR', 'data-visitor-name="Jonas Berg" data-visitor-email="jonas@example.com"');
    const consolePage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    try {
      await part(page, 'textarea').fill('où est ma commande');
      await part(page, 'textarea').press('Enter');
      await part(page, '.messages li.message.bot').first().waitFor({ timeout: WAIT });
      const id = await conversationId();

      await consolePage.goto(`${server.url}/console`);
      await consolePage.fill('#login-email', 'anna@example.com');
      await consolePage.fill('#login-password', 'anna password 1');
      await consolePage.click('#login-submit');
      await consolePage.waitForSelector('#connection.live');
      await askForPerson(page);
      await consolePage.click(`#list-waiting .conversation-item[data-id="${id}"]`);
      await consolePage.waitForSelector('#detail-visitor .visitor-browser');
      const shown = (await consolePage.textContent('#detail-visitor')) ?? '';
      assert.match(shown, /^Jonas Berg · jonas@example\.com · fr-FR · 127\.0\.0\.1:\d+\/ · Headless Chrome \d+ on Linux$/);
      await consolePage.screenshot({ path: `${SCREENSHOTS}/notices-03-console-visitor.png` });
    } finally {
      await consolePage.context().close();
      await page.context().close();
    }
  });
});
