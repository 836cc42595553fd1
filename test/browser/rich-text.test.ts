// Rich text in a real Chromium (issue 19): hostile Markdown in an intent answer, a knowledge answer
// and an agent's reply draws as harmless text in the widget, a visitor's message stays plain text in
// the console, and bold, lists and https links draw as such, the links opening with a safe rel.
// Every hostile payload would set window.__pwned if it ran; images would be fetched from
// pwned.invalid. Screenshots go to test-output/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { chromiumMissing } from '../helpers/browser.ts';
import { SCREENSHOTS, startConsoleTest, type ConsoleTest } from '../helpers/console.ts';
import { temporaryDirectory } from '../helpers/server.ts';

const WAIT = 20_000;
const skip = chromiumMissing;
const W = 'frontdesk-widget';

/** Each line tries another way to run script, load an image or draw markup. */
const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '<img src="https://pwned.invalid/img.png" onerror="window.__pwned = \'img\'">',
  '[a js link](javascript:window.__pwned=\'js\') [a data link](data:text/html,<script>parent.__pwned=1</script>)',
  '&lt;script&gt;window.__pwned = "entity"&lt;/script&gt; &#60;b&#62;',
  '![an image](https://pwned.invalid/md.png)',
  '***nested* and** **unbalanced *emphasis',
];
const HOSTILE_MARKDOWN = HOSTILE.join('\n\n');
/** What each hostile line shows, as typed (the emphasis line is the one that formats). */
const HOSTILE_SHOWN = [...HOSTILE.slice(0, 5), 'nested and **unbalanced *emphasis'];
const ALLOWED_TAGS = ['P', 'STRONG', 'EM', 'UL', 'OL', 'LI', 'A', 'BR'];
const FORMATTED = 'Returns are **free** within 30 days:\n\n- print the label\n- drop the parcel off\n\nSee [our returns page](https://shop.example/returns).';

const intents = temporaryDirectory('frontdesk-rich-intents-');
let env: ConsoleTest;
let url: string;
/** Requests for pwned.invalid: an image the page tried to load. */
const pwnedRequests: string[] = [];

/** The starter catalogue with hostile answers: the greeting, a knowledge entry; a formatted one: thanks. */
function writeCatalogue(): void {
  cpSync('intents', intents.path, { recursive: true });
  const setAnswer = (file: string, answer: string) => {
    const path = join(intents.path, file);
    const intent = parse(readFileSync(path, 'utf8'));
    intent.answers.en = [answer];
    writeFileSync(path, stringify(intent));
  };
  setAnswer('greeting.yaml', HOSTILE_MARKDOWN);
  setAnswer('thanks.yaml', FORMATTED);
  const knowledge = join(intents.path, 'knowledge', 'gift-cards-promotions.md');
  const heading = '## How does the referral program work?\n';
  const document = readFileSync(knowledge, 'utf8');
  assert.ok(document.includes(heading));
  writeFileSync(knowledge, document.replace(heading, `${heading}\n${HOSTILE_MARKDOWN}\n\n`));
}

before(async () => {
  if (skip) return;
  writeCatalogue();
  env = await startConsoleTest({ timeout: WAIT, viewport: { width: 1280, height: 900 }, env: { INTENTS_DIR: intents.path, MESSAGE_BURST: '30' } });
  url = env.server.url;
  await watch(env.page.context());
});

after(async () => {
  await env?.close();
  intents.remove();
});

/** Records image requests to pwned.invalid; the formatted answer's link opens a page served here instead of the network. */
async function watch(context: BrowserContext): Promise<BrowserContext> {
  context.on('request', (request) => { if (request.url().includes('pwned.invalid')) pwnedRequests.push(request.url()); });
  await context.route('https://shop.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<title>Returns</title>' }));
  return context;
}

/** The demo shop with the widget open and connected. */
async function openWidget(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${url}/`);
  await page.locator(`${W} .launcher`).click();
  await page.waitForSelector(`${W} .fd[data-state="online"]`, { state: 'attached', timeout: WAIT });
  return page;
}

/** Sends a visitor message and returns the bot's answer to it, once drawn. */
async function ask(page: Page, text: string): Promise<Locator> {
  const answers = page.locator(`${W} .messages li.message.bot`);
  const before = await answers.count();
  await page.locator(`${W} textarea`).fill(text);
  await page.locator(`${W} textarea`).press('Enter');
  await answers.nth(before).waitFor({ timeout: WAIT });
  return answers.nth(before);
}

/** What a message bubble draws: its elements' tags, its visible text, and its links. */
function drawn(bubble: Locator) {
  return bubble.evaluate((element) => ({
    tags: [...element.querySelectorAll('*')].map((child) => child.tagName),
    text: (element as HTMLElement).innerText,
    links: [...element.querySelectorAll('a')].map((link) => ({ href: link.getAttribute('href'), target: link.target, rel: link.rel, text: link.textContent })),
  }));
}

/** The hostile Markdown drew only allowlisted elements, no link, and shows every payload as text; nothing ran or loaded. */
async function assertHarmless(page: Page, bubble: Locator): Promise<void> {
  const shown = await drawn(bubble);
  assert.deepEqual(shown.tags.filter((tag) => !ALLOWED_TAGS.includes(tag)), [], `only allowlisted elements: ${shown.tags}`);
  assert.deepEqual(shown.links, [], 'no link to javascript:, data: or an image');
  for (const line of HOSTILE_SHOWN) assert.ok(shown.text.includes(line), `shown as text: ${line}\nin: ${shown.text}`);
  assert.ok(shown.tags.includes('STRONG') && shown.tags.includes('EM'), 'the balanced emphasis formats');
  await page.waitForTimeout(300); // an image's onerror would have fired by now
  assert.equal(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined, 'no script ran');
  assert.deepEqual(pwnedRequests, [], 'no image was requested');
}

/** Bold, a list and the https link draw as elements; the link opens in a new tab without an opener. */
async function assertFormatted(page: Page, bubble: Locator, { click }: { click: boolean }): Promise<void> {
  const shown = await drawn(bubble);
  assert.deepEqual(shown.tags, ['P', 'STRONG', 'UL', 'LI', 'LI', 'P', 'A']);
  assert.equal(shown.text.replace(/\s+/g, ' ').trim(), 'Returns are free within 30 days: print the label drop the parcel off See our returns page.');
  assert.deepEqual(shown.links, [{ href: 'https://shop.example/returns', target: '_blank', rel: 'noopener noreferrer nofollow', text: 'our returns page' }]);
  if (!click) return;
  const [opened] = await Promise.all([page.context().waitForEvent('page', { timeout: WAIT }), bubble.locator('a').click()]);
  await opened.waitForLoadState();
  assert.equal(opened.url(), 'https://shop.example/returns');
  assert.equal(await opened.evaluate(() => window.opener), null, 'noopener');
  await opened.close();
}

describe('rich text in the widget and the console', { skip }, () => {
  test('an intent answer and a knowledge answer with hostile Markdown are harmless text in the widget; a formatted answer draws bold, a list and a safe link', async () => {
    const context = await watch(await env.browser.newContext({ viewport: { width: 1280, height: 900 } }));
    try {
      const page = await openWidget(context);
      const greeting = await ask(page, 'hello');
      assert.equal(await greeting.getAttribute('data-source'), 'intent');
      await assertHarmless(page, greeting.locator('.bubble'));

      const thanks = await ask(page, 'thank you so much');
      assert.equal(await thanks.getAttribute('data-source'), 'intent');
      await assertFormatted(page, thanks.locator('.bubble'), { click: true });

      const knowledge = await ask(page, 'How does the referral program work?');
      assert.equal(await knowledge.getAttribute('data-source'), 'retrieval', await knowledge.textContent() ?? '');
      await assertHarmless(page, knowledge.locator('.bubble'));
      // The entry's own Markdown still formats: its bold page name.
      assert.ok((await drawn(knowledge.locator('.bubble'))).tags.includes('STRONG'));
      await page.screenshot({ path: `${SCREENSHOTS}/rich-text-01-answers.png` });

      // History after a reload draws the same.
      await page.reload();
      await page.waitForSelector(`${W} .fd[data-state="online"]`, { state: 'attached', timeout: WAIT });
      await page.locator(`${W} .messages li.message.bot`).nth(2).waitFor({ timeout: WAIT });
      const answers = page.locator(`${W} .messages li.message.bot .bubble`);
      await assertHarmless(page, answers.nth(0));
      await assertFormatted(page, answers.nth(1), { click: false });
      await assertHarmless(page, answers.nth(2));
    } finally {
      await context.close();
    }
  });

  test("a visitor's Markdown stays plain text in the console and the widget; an agent's hostile reply is harmless text in the widget, a formatted one draws", async () => {
    const context = await watch(await env.browser.newContext({ viewport: { width: 1280, height: 900 } }));
    const { page: consolePage } = env;
    try {
      const widget = await openWidget(context);
      const visitorText = `${HOSTILE_MARKDOWN}\n\n${FORMATTED}`;
      await ask(widget, visitorText);
      await widget.locator(`${W} .human`).click();
      await widget.locator(`${W} .messages li.message.bot[data-source="handoff"]`).waitFor({ timeout: WAIT });
      const conversationId = await widget.evaluate((key) => localStorage.getItem(key)!, `frontdesk:${url}:conversation`);

      consolePage.on('pageerror', (error) => console.error('console page error:', error));
      await consolePage.goto(`${url}/console`);
      await consolePage.fill('#login-email', 'ann@example.com');
      await consolePage.fill('#login-password', 'ann password 1');
      await consolePage.click('#login-submit');
      await consolePage.waitForSelector('#connection.live');
      await consolePage.click(`#list-waiting .conversation-item[data-id="${conversationId}"]`);
      await consolePage.waitForSelector('#messages .message.bot .tag.source-handoff');

      // The visitor's message: exactly what they typed, as one text, in the console and in the widget.
      for (const [page, bubble] of [[consolePage, '#messages .message.visitor .bubble'], [widget, `${W} .messages li.message.visitor .bubble`]] as const) {
        const shown = await drawn(page.locator(bubble).first());
        assert.deepEqual(shown.tags, [], 'no element in a visitor message');
        assert.equal(await page.locator(bubble).first().textContent(), visitorText);
      }

      await consolePage.click('#actions button[data-action="take_over"]');
      await consolePage.waitForSelector('#composer-text:not([disabled])');
      for (const reply of [HOSTILE_MARKDOWN, FORMATTED]) {
        await consolePage.fill('#composer-text', reply);
        await consolePage.press('#composer-text', 'Enter');
        await consolePage.waitForFunction((count) => document.querySelectorAll('#messages .message.agent').length === count, reply === FORMATTED ? 2 : 1);
      }
      const agentReplies = widget.locator(`${W} .messages li.message.agent .bubble`);
      await agentReplies.nth(1).waitFor({ timeout: WAIT });
      await assertHarmless(widget, agentReplies.nth(0));
      await assertFormatted(widget, agentReplies.nth(1), { click: true });
      await widget.screenshot({ path: `${SCREENSHOTS}/rich-text-02-agent-replies.png` });

      // The console draws the agent's replies the same way, and the bot's formatted answers.
      await assertHarmless(consolePage, consolePage.locator('#messages .message.agent .bubble').nth(0));
      await assertFormatted(consolePage, consolePage.locator('#messages .message.agent .bubble').nth(1), { click: true });
      await consolePage.screenshot({ path: `${SCREENSHOTS}/rich-text-03-console.png` });
    } finally {
      await context.close();
    }
  });

  test('the browsers check the rich form again: an element off the allowlist or an unsafe link draws only its text', async () => {
    // The console loads public/shared/rich-text.js as a classic script; /widget.js bundles the same file.
    const html = await env.page.evaluate(() => {
      const { messageContent } = window as unknown as { messageContent(message: unknown): Node };
      const forged = [
        { tag: 'script', children: ['window.__pwned = 1'] },
        { tag: 'img', children: [] },
        { tag: 'a', href: 'javascript:window.__pwned=1', children: ['js'] },
        { tag: 'a', href: '//evil.example/', children: ['other site'] },
        { tag: 'a', href: 'https://ok.example/a b', children: ['space'] },
        { tag: 'p', children: [{ tag: 'a', href: 'https://ok.example/', children: ['ok'] }, { tag: 'ol', start: '2"', children: [] }] },
      ];
      const box = document.createElement('div');
      box.append(messageContent({ text: 'unused', rich: forged }));
      document.body.append(box);
      return box.innerHTML;
    });
    assert.equal(html, 'window.__pwned = 1jsother sitespace<p><a href="https://ok.example/" target="_blank" rel="noopener noreferrer nofollow">ok</a><ol></ol></p>');
    assert.equal(await env.page.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined);
  });
});
