// Issue 17 in the agent console (a real Chromium): the action the bot ran shows under its reply, and
// an agent runs the cancel action for the visitor, confirms what the shop asks to confirm, and puts
// the shop's answer into the reply box. Screenshot: test-output/screenshots/console-actions.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import { ask, connectVisitor, type VisitorConnection } from '../helpers/server.ts';
import { startAgentTestServer, type AgentTestServer } from './helpers.ts';

const SCREENSHOTS = 'test-output/screenshots';
const WAIT = 20_000;
const CUSTOMER_TOKEN_SECRET = 'the-shop-signs-its-customers-with-this-secret';
let desk: AgentTestServer;
let browser: Browser;
let page: Page;
let visitor: VisitorConnection;

describe('actions in the agent console', { skip: chromiumMissing }, () => {
  before(async () => {
    desk = await startAgentTestServer([{ email: 'ana@example.com', name: 'Ana', password: 'correct horse battery' }], { CUSTOMER_TOKEN_SECRET });
    browser = await launchChromium({ timeout: WAIT });
    page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    page.setDefaultTimeout(WAIT);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    visitor?.socket.close();
    await browser?.close();
    await desk?.close();
  });

  test('the bot\'s action call under its reply; an agent runs cancel_order, confirms, and uses the answer', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${desk.url}/console`);
    await page.fill('#login-email', 'ana@example.com');
    await page.fill('#login-password', 'correct horse battery');
    await page.click('#login-submit');
    await page.waitForSelector('#connection.live');

    // Chen, signed in on the shop's page, asks about an order, then for a person.
    const customerToken = await new SignJWT({ name: 'Chen Wei' }).setProtectedHeader({ alg: 'HS256' }).setSubject('cus_1003').setExpirationTime('10m').sign(new TextEncoder().encode(CUSTOMER_TOKEN_SECRET));
    visitor = await connectVisitor(desk.url, { language: 'en', customerToken });
    assert.equal((await ask(visitor.socket, 'where is order 60315?')).reply.intent, 'track_order');
    assert.equal((await ask(visitor.socket, 'I want to talk to a person')).reply.source, 'handoff');

    await page.click(`#list-waiting .conversation-item[data-id="${visitor.session.conversationId}"]`);
    const tag = page.locator('#messages .message.bot .tag.action');
    await tag.waitFor();
    assert.match((await tag.textContent()) ?? '', /^⚙ track_order: answer order_processing · \d+ ms$/);
    assert.match((await tag.getAttribute('title')) ?? '', /sent: order_number=60315/);

    await page.click('#run-action summary');
    await page.selectOption('#run-action-intent', 'cancel_order');
    assert.equal(await page.inputValue('#run-action-slots input[name="order_number"]'), '60315', 'filled from what the visitor wrote');
    await page.click('#run-action-submit');
    await page.waitForSelector('#run-action-result >> text=Cancel order 60315');
    assert.equal((await desk.prisma.shopOrder.findUniqueOrThrow({ where: { number: '60315' } })).status, 'processing', 'nothing changes before the agent confirms');
    await page.click('#run-action-result button.primary');
    await page.waitForSelector('#run-action-result >> text=Done: order 60315 is cancelled');
    assert.equal((await desk.prisma.shopOrder.findUniqueOrThrow({ where: { number: '60315' } })).status, 'cancelled');

    await page.click('#actions button[data-action="take_over"]');
    await page.waitForSelector('#composer-text:not([disabled])');
    await page.click('#run-action-result button.link');
    assert.match(await page.inputValue('#composer-text'), /^Done: order 60315 is cancelled/);
    await page.screenshot({ path: `${SCREENSHOTS}/console-actions.png` });
    assert.deepEqual(errors, []);
  });
});
