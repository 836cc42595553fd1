// Agents' tools in a real Chromium (issue 20), the widget on the demo page and the console side by
// side against a real server: a canned reply with a variable inserted with /shortcut; an image the
// visitor uploads in the widget, seen in the console; an HTML page disguised as .png and an oversized
// file refused in the widget with their codes; an internal note that never reaches the widget.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumMissing } from '../helpers/browser.ts';
import { signInToConsole, startConsoleTest, SCREENSHOTS, type ConsoleTest } from '../helpers/console.ts';
import { ask, connectVisitor, temporaryDirectory } from '../helpers/server.ts';
import { PNG_BYTES } from './files.ts';

const WAIT = 20_000;
const W = 'frontdesk-widget';
const files = temporaryDirectory();
let env: ConsoleTest;
let widget: Page;
let conversationId: string;
const errors: string[] = [];

describe('agents’ tools in Chromium', { skip: chromiumMissing }, () => {
  before(async () => {
    env = await startConsoleTest({ timeout: WAIT, viewport: { width: 1360, height: 900 }, env: { ATTACHMENT_MAX_BYTES: '4096', MESSAGE_BURST: '30', MESSAGES_PER_SECOND: '10' } });
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(files.path, 'receipt.png'), PNG_BYTES);
    writeFileSync(join(files.path, 'cat.png'), '<!doctype html><html><body><script>alert(1)</script></body></html>');
    const big = Buffer.alloc(8192);
    big.set(PNG_BYTES);
    writeFileSync(join(files.path, 'huge.png'), big);

    for (const page of [env.page]) page.on('pageerror', (error) => errors.push(error.message));
    widget = await env.browser.newPage({ viewport: { width: 480, height: 760 } });
    widget.setDefaultTimeout(WAIT);
    widget.on('pageerror', (error) => errors.push(`widget: ${error.message}`));

    // The visitor, named by the host page, asks for a person in the widget.
    await widget.goto(`${env.server.url}/`);
    await widget.evaluate(() => localStorage.clear());
    await widget.locator(`${W} .launcher`).click();
    await widget.locator(`${W} #fd-input`).fill('I want to talk to a person');
    await widget.locator(`${W} #fd-input`).press('Enter');
    await widget.locator(`${W} li.message.bot[data-source="handoff"]`).waitFor();
    const rows = await env.prisma.conversation.findMany({ where: { status: 'waiting_for_agent' }, select: { id: true } });
    assert.equal(rows.length, 1);
    conversationId = rows[0]!.id;
    await env.prisma.$executeRaw`UPDATE "Visitor" SET name = 'Vera Visitor' WHERE id = (SELECT "visitorId" FROM "Conversation" WHERE id = ${conversationId}::uuid)`;

    await signInToConsole(env.page, env.server.url);
    await env.page.click(`#list-waiting .conversation-item[data-id="${conversationId}"]`);
    await env.page.click('#actions button[data-action="take_over"]');
    await env.page.waitForSelector('#composer-text:not([disabled])');
  });

  after(async () => {
    await env?.close();
    files.remove();
  });

  test('a canned reply with a variable: /shortcut in the reply box, filled in, sent', async () => {
    const page = env.page;
    await page.click('#canned-manager summary');
    await page.fill('#canned-shortcut', 'greet');
    await page.fill('#canned-text', 'Hello {{visitor_name}}, this is {{agent_name}}. How can I help?');
    await page.click('#canned-form button[type="submit"]');
    await page.waitForSelector('#canned-list li[data-shortcut="greet"]');

    await page.fill('#composer-text', '');
    await page.type('#composer-text', '/gr');
    await page.waitForSelector('#canned-suggestions:not([hidden]) li[data-shortcut="greet"]');
    await page.press('#composer-text', 'Tab');
    await page.waitForFunction(() => (document.getElementById('composer-text') as HTMLTextAreaElement).value.startsWith('Hello'));
    assert.equal(await page.inputValue('#composer-text'), 'Hello Vera Visitor, this is Ann Agent. How can I help?');
    await page.press('#composer-text', 'Enter');
    await widget.locator(`${W} li.message.agent .bubble`, { hasText: 'Hello Vera Visitor, this is Ann Agent.' }).waitFor();
  });

  test('an image the visitor uploads in the widget shows in the widget and in the console, served with its checked type', async () => {
    await widget.locator(`${W} .file`).setInputFiles(join(files.path, 'receipt.png'));
    const shown = widget.locator(`${W} li.message.visitor.attachment img`);
    await shown.waitFor();
    await widget.waitForFunction((selector) => {
      const image = document.querySelector('frontdesk-widget')?.shadowRoot?.querySelector(selector);
      return image instanceof HTMLImageElement && image.complete && image.naturalWidth === 2;
    }, 'li.message.visitor.attachment img');

    const inConsole = env.page.locator('#messages li.attachment img');
    await inConsole.waitFor();
    await env.page.waitForFunction(() => {
      const image = document.querySelector('#messages li.attachment img');
      return image instanceof HTMLImageElement && image.complete && image.naturalWidth === 2;
    });
    const src = (await inConsole.getAttribute('src')) ?? '';
    const response = await env.page.request.get(`${env.server.url}${src}`);
    assert.equal(response.headers()['content-type'], 'image/png');
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');
    assert.match(response.headers()['content-disposition'] ?? '', /^inline; filename="receipt.png"/);
    await env.page.screenshot({ path: `${SCREENSHOTS}/agent-tools-console.png` });
  });

  test('an HTML page named .png and an oversized file are refused in the widget with a clear error', async () => {
    const error = widget.locator(`${W} .attach-error`);
    const upload = async (file: string) => {
      const answered = widget.waitForResponse((response) => response.url().includes('/attachments') && response.request().method() === 'POST');
      await widget.locator(`${W} .file`).setInputFiles(join(files.path, file));
      const response = await answered;
      // The code the widget shows its text for (data-code on the error line).
      await widget.locator(`${W} .attach-error[data-code]:not([hidden])`).waitFor();
      return { status: response.status(), code: await error.getAttribute('data-code') };
    };
    assert.deepEqual(await upload('cat.png'), { status: 415, code: 'ATTACHMENT_TYPE_REFUSED' });
    await widget.locator(`${W} .attach-error:not([hidden])`).waitFor();
    assert.match((await error.textContent()) ?? '', /Only images \(PNG, JPEG, GIF, WebP\) and PDF files/);
    assert.deepEqual(await upload('huge.png'), { status: 413, code: 'ATTACHMENT_TOO_LARGE' });
    await widget.waitForFunction(() => /too large/.test(document.querySelector('frontdesk-widget')?.shadowRoot?.querySelector('.attach-error')?.textContent ?? ''));
    assert.equal(await widget.locator(`${W} li.attachment`).count(), 1);
    const [stored] = await env.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "Attachment" WHERE "conversationId" = ${conversationId}::uuid`;
    assert.equal(stored?.n, 1);
  });

  test('an internal note shows in the console and never reaches the widget', async () => {
    const page = env.page;
    const framesToWidget: string[] = [];
    widget.on('websocket', (socket) => socket.on('framereceived', (frame) => framesToWidget.push(String(frame.payload))));
    await page.fill('#note-text', 'Refund approved by finance, ref NOTE-5521');
    await page.click('#note-add');
    await page.waitForSelector('#messages li.note .bubble >> text=NOTE-5521');
    // The widget reloads its history: still no note.
    await widget.reload();
    if (await widget.locator(`${W} .panel`).isHidden()) await widget.locator(`${W} .launcher`).click();
    await widget.locator(`${W} li.message.agent`).first().waitFor();
    await widget.waitForTimeout(500);
    const text = await widget.locator(W).evaluate((host) => host.shadowRoot?.textContent ?? '');
    assert.ok(!text.includes('NOTE-5521'));
    assert.ok(!framesToWidget.some((frame) => frame.includes('NOTE-5521')));
    assert.equal(await env.prisma.message.count({ where: { text: { contains: 'NOTE-5521' } } }), 0);
    await widget.screenshot({ path: `${SCREENSHOTS}/agent-tools-widget.png` });
    assert.deepEqual(errors, []);
  });

  test('desktop notifications: asked for on a click, then one per conversation that starts waiting', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    // Headless Chromium shows no notifications: a stand-in records them, with the permission asked first.
    // A string, not a function: the test runner's transpiler would add helpers the page lacks.
    await page.addInitScript(`
      const shown = [];
      let permission = 'default';
      class RecordingNotification {
        static get permission() { return permission; }
        static async requestPermission() { permission = 'granted'; return permission; }
        constructor(title, options) { this.onclick = null; shown.push({ title, body: (options && options.body) || '' }); }
      }
      Object.defineProperty(window, 'shownNotifications', { value: shown });
      Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true, writable: true });
    `);
    try {
      await signInToConsole(page, env.server.url);
      await page.waitForSelector('#notify:not([hidden])');
      await page.click('#notify');
      await page.waitForSelector('#notify', { state: 'hidden' });
      const visitor = await connectVisitor(env.server.url);
      try {
        await ask(visitor.socket, 'My parcel never came, I want to talk to a person');
        await page.waitForFunction(() => (window as any).shownNotifications.length === 1);
        const [shown] = await page.evaluate(() => (window as any).shownNotifications);
        assert.equal(shown.title, 'A visitor is waiting for an agent');
        assert.equal(typeof shown.body, 'string');
        // The conversations that waited already raised none.
        await page.waitForTimeout(300);
        assert.equal(await page.evaluate(() => (window as any).shownNotifications.length), 1);
      } finally {
        visitor.socket.close();
      }
    } finally {
      await context.close();
    }
  });
});
