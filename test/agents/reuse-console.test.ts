// The console's "Reuse review" view in a real Chromium: pending harvested answers are listed
// redacted, an agent edits one and approves it (the edit is redacted again) and rejects another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/browser.ts';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { agentAnswerSource } from '../../src/store/knowledge-store.ts';
import { startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { createAgent, testPrisma } from './helpers.ts';

const SCREENSHOTS = 'test-output/screenshots';
const WAIT = 20_000;
const skip = chromiumMissing;

const dataDir = temporaryDirectory();
let server: RunningServer;
let prisma: PrismaClient;
let browser: Browser;
let page: Page;

/** A harvested answer waiting for review, as harvesting stores it. */
function pendingAnswer(question: string, text: string) {
  return prisma.knowledgeChunk.create({
    data: { id: randomUUID(), kind: 'agent_answer', source: agentAnswerSource(randomUUID(), randomUUID()), question, text, contentHash: randomUUID(), reuseStatus: 'pending' },
  });
}

describe('reuse review in the console', { skip }, () => {
  before(async () => {
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path }));
    prisma = testPrisma(dataDir.path);
    await createAgent(prisma, { email: 'ann@example.com', name: 'Ann Agent', password: 'ann password 1' });
    browser = await launchChromium({ timeout: WAIT });
    page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    page.setDefaultTimeout(WAIT);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await prisma?.$disconnect();
    await server?.close();
    dataDir.remove();
  });

  test('list pending answers, approve one with an edit and reject another', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const kept = await pendingAnswer('Do you gift wrap orders?', 'Hi [name], yes: gift wrapping is $4 per order.');
    const dropped = await pendingAnswer('Where is my parcel?', 'It left our warehouse this morning for [address].');

    await page.goto(`${server.url}/console`);
    await page.fill('#login-email', 'ann@example.com');
    await page.fill('#login-password', 'ann password 1');
    await page.click('#login-submit');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForFunction(() => document.querySelector('#count-reuse')?.textContent === '2');

    await page.click('.tab[data-tab="reuse"]');
    const keptItem = `#list-reuse .reuse-item[data-id="${kept.id}"]`;
    await page.waitForSelector(keptItem);
    assert.equal(await page.textContent(`${keptItem} .reuse-question`), 'Do you gift wrap orders?');
    assert.equal(await page.inputValue(`${keptItem} textarea`), 'Hi [name], yes: gift wrapping is $4 per order.');
    await page.screenshot({ path: `${SCREENSHOTS}/console-reuse.png` });

    await page.fill(`${keptItem} textarea`, 'Yes: gift wrapping is $4 per order. Ask anna@example.com for ribbons.');
    await page.click(`${keptItem} button[data-decision="approve"]`);
    await page.waitForSelector(keptItem, { state: 'detached' });
    await page.click(`#list-reuse .reuse-item[data-id="${dropped.id}"] button[data-decision="reject"]`);
    await page.waitForSelector('#empty-reuse:not([hidden])');
    assert.equal(await page.textContent('#count-reuse'), '0');

    const approved = await prisma.knowledgeChunk.findUniqueOrThrow({ where: { id: kept.id }, include: { reviewedBy: true } });
    assert.equal(approved.reuseStatus, 'approved');
    assert.equal(approved.text, 'Yes: gift wrapping is $4 per order. Ask [email] for ribbons.');
    assert.equal(approved.reviewedBy?.name, 'Ann Agent');
    assert.equal((await prisma.knowledgeChunk.findUniqueOrThrow({ where: { id: dropped.id } })).reuseStatus, 'rejected');
    assert.deepEqual(errors, []);
  });
});
