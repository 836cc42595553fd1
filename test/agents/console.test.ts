// The agent console in a real Chromium (Debian's `chromium` driven by playwright-core) against a
// real server: sign in, a visitor asking for a person appears in the live queue, the agent takes
// the conversation over and replies, and the visitor's socket receives the reply with source
// "agent"; then an intent correction and a transcript search. Screenshots go to
// test-output/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import type { Socket } from 'socket.io-client';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { labelledExamples } from '../../src/agents/workspace.ts';
import { ask, connectVisitor, nextEvent, startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { createAgent, testPrisma } from './helpers.ts';

const SCREENSHOTS = 'test-output/screenshots';
const WAIT = 20_000;
const skip = chromiumMissing;

const dataDir = temporaryDirectory();
let server: RunningServer;
let prisma: PrismaClient;
let browser: Browser;
let page: Page;
const sockets: Socket[] = [];

describe('agent console in Chromium', { skip }, () => {
  before(async () => {
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path, MESSAGE_BURST: '30', MESSAGES_PER_SECOND: '10' }));
    prisma = testPrisma(dataDir.path);
    await createAgent(prisma, { email: 'ann@example.com', name: 'Ann Agent', password: 'ann password 1' });
    browser = await launchChromium({ timeout: WAIT });
    page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    page.setDefaultTimeout(WAIT);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await browser?.close();
    await prisma?.$disconnect();
    await server?.close();
    dataDir.remove();
  });

  test('sign in, see a new conversation arrive, take it over and reply to the visitor', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The wrong-password attempt below is answered 401 on purpose; Chromium logs every such answer.
      if (message.type() === 'error' && !/status of 401/.test(message.text())) errors.push(message.text());
    });

    await page.goto(`${server.url}/console`);
    await page.fill('#login-email', 'ann@example.com');
    await page.fill('#login-password', 'wrong password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    assert.equal(await page.textContent('#login-error'), 'Wrong email or password.');

    await page.fill('#login-password', 'ann password 1');
    await page.click('#login-submit');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#connection.live');
    assert.match((await page.textContent('#me')) ?? '', /Ann Agent/);

    // Some traffic: a visitor the bot handles, and one who waited a little longer.
    const earlier = await connectVisitor(server.url);
    sockets.push(earlier.socket);
    await ask(earlier.socket, 'Where is my package? I ordered last week');
    await ask(earlier.socket, 'can I talk to a real person');

    // The visitor under test asks for a person: the bot hands over, the queue updates live.
    const visitor = await connectVisitor(server.url);
    sockets.push(visitor.socket);
    const conversationId = visitor.session.conversationId;
    await ask(visitor.socket, 'Hi, my order arrived damaged');
    const { reply: handoff } = await ask(visitor.socket, 'I want to talk to a person');
    assert.equal(handoff.source, 'handoff');
    const item = `#list-waiting .conversation-item[data-id="${conversationId}"]`;
    await page.waitForSelector(item);
    assert.equal(await page.locator('#list-waiting .conversation-item').count(), 2);
    assert.equal(await page.getAttribute('#list-waiting .conversation-item:first-child', 'data-id'), earlier.session.conversationId, 'longest wait first');

    await page.click(item);
    await page.waitForSelector('#detail:not([hidden])');
    await page.waitForSelector('#messages .message.bot .tag.source-handoff');
    await page.click('#actions button[data-action="take_over"]');
    await page.waitForSelector('#composer-text:not([disabled])');
    await page.waitForSelector(`#list-active .conversation-item[data-id="${conversationId}"]`, { state: 'attached' });
    assert.equal(await page.textContent('#detail-status'), 'With agent');

    // A visitor message while the agent holds the conversation shows up live in the console.
    await visitor.socket.timeout(10_000).emitWithAck('message', { clientId: 'v-live', text: 'Are you there?' });
    await page.waitForSelector('#messages .message.visitor .bubble >> text=Are you there?');

    const received = nextEvent(visitor.socket, 'reply', (event: any) => event.source === 'agent');
    await page.fill('#composer-text', "Hi, I'm Ann. Sorry about the damaged order, I'll sort out a replacement right away.");
    await page.press('#composer-text', 'Enter');
    const agentReply = await received;
    assert.equal(agentReply.source, 'agent');
    assert.equal(agentReply.conversationId, conversationId);
    assert.equal(agentReply.text, "Hi, I'm Ann. Sorry about the damaged order, I'll sort out a replacement right away.");
    await page.waitForSelector('#messages .message.agent .bubble >> text=sort out a replacement');
    assert.equal(await page.inputValue('#composer-text'), '');

    // Correct the intent of the first visitor message; it lands in the next training set.
    await page.click('#messages .message.visitor:first-child button.link');
    await page.selectOption('#messages .message.visitor:first-child select', 'complaint');
    await page.click('#messages .message.visitor:first-child .correct button.primary');
    await page.waitForSelector('#messages .message.visitor:first-child .tag.label');
    assert.deepEqual((await labelledExamples(prisma)).at(-1), { text: 'Hi, my order arrived damaged', intent: 'complaint' });

    await page.screenshot({ path: `${SCREENSHOTS}/console.png` });
    assert.deepEqual(errors, []);
  });

  test('search transcripts, then resolve', async () => {
    await page.click('.tab[data-tab="review"]');
    await page.fill('#search-q', 'damaged');
    await page.press('#search-q', 'Enter');
    await page.waitForSelector('#list-review .conversation-item .snippet mark');
    assert.equal(await page.locator('#list-review .conversation-item').count(), 1);
    assert.equal((await page.textContent('#list-review .snippet mark'))?.toLowerCase(), 'damaged');
    await page.screenshot({ path: `${SCREENSHOTS}/console-search.png` });

    await page.click('#actions button[data-action="resolve"]');
    await page.waitForFunction(() => document.querySelector('#detail-status')?.textContent === 'Resolved');
    assert.equal(await page.isDisabled('#composer-text'), true);
  });

  test('mark the transcript reviewed: the mark shows and is stored', async () => {
    const conversationId = await page.getAttribute('#list-review .conversation-item', 'data-id');
    assert.ok(conversationId);
    await page.click('#actions button[data-action="review"]');
    await page.waitForFunction(() => /reviewed by you/.test(document.querySelector('#detail-meta')?.textContent ?? ''));
    assert.equal(await page.textContent('#actions button[data-action="review"]'), 'Mark reviewed again');
    // Every agent's lists learn it live (the `conversation` push).
    await page.waitForSelector(`#list-review .conversation-item[data-id="${conversationId}"] .flag >> text=reviewed`);
    const stored = await prisma.conversation.findUniqueOrThrow({ where: { id: conversationId }, select: { reviewedAt: true, reviewedBy: { select: { name: true } } } });
    assert.ok(stored.reviewedAt);
    assert.equal(stored.reviewedBy?.name, 'Ann Agent');
  });
});
