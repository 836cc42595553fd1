// Issue 20, availability in the agent console (Chromium): the top bar's button shows the agent
// available on signing in and switches to away; a visitor handed over then hears nobody is available
// and is asked for an e-mail address, leaves one, and the reply the agent types in the console
// arrives at a local SMTP server; back to available, the next handover promises someone; the
// console closes, and the agent is away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/index.ts';
import { chromiumMissing } from '../helpers/browser.ts';
import { SCREENSHOTS, signInToConsole, startConsoleTest, type ConsoleTest } from '../helpers/console.ts';
import { connectVisitor, nextEvent, request } from '../helpers/server.ts';
import { startSmtpCatcher, waitFor } from './smtp.ts';

const WAIT = 20_000;
let setting: ConsoleTest;
let catalogue: Catalogue;
let smtp: Awaited<ReturnType<typeof startSmtpCatcher>>;
const sockets: Socket[] = [];

async function handOff(url: string) {
  const { socket, session } = await connectVisitor(url, { language: 'en' });
  sockets.push(socket);
  const reply = nextEvent(socket, 'reply', (candidate: any) => candidate.source === 'handoff');
  assert.equal((await request(socket, 'handoff', {})).ok, true);
  return { socket, conversationId: session.conversationId, text: (await reply).text as string };
}

const handOffText = async (url: string) => (await handOff(url)).text;

describe('availability toggle in the console (Chromium)', { skip: chromiumMissing }, () => {
  before(async () => {
    smtp = await startSmtpCatcher();
    setting = await startConsoleTest({ timeout: WAIT, viewport: { width: 1360, height: 820 }, env: { HANDOFF_WAIT_OFFLINE_MS: 'off', SMTP_URL: smtp.url, SMTP_FROM: 'Support <support@example.com>' } });
    catalogue = await loadCatalogue('intents');
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await setting?.close();
    await smtp?.close();
  });

  test('available on signing in, away at a click, and visitors hear the difference', async () => {
    const { page, server } = setting;
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signInToConsole(page, server.url);
    const toggle = page.locator('#availability');
    await toggle.waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelector('#availability')?.getAttribute('data-available') === 'true');
    assert.match((await toggle.textContent()) ?? '', /Available/);
    assert.equal(await handOffText(server.url), catalogue.botText('handoff', 'en'));

    await toggle.click();
    await page.waitForFunction(() => document.querySelector('#availability')?.getAttribute('data-available') === 'false');
    assert.match((await toggle.textContent()) ?? '', /Away/);
    await page.screenshot({ path: `${SCREENSHOTS}/console-availability-away.png` });
    const away = await handOff(server.url);
    assert.equal(away.text, catalogue.botText('handoff_unavailable', 'en'));

    // The visitor leaves an address; the agent takes the conversation in the console and replies: it arrives by e-mail.
    const ack = await request(away.socket, 'message', { clientId: 'c-email', text: 'grace.hopper@example.com' });
    assert.equal(ack.ok, true);
    const saved = await nextEvent(away.socket, 'reply', (reply: any) => reply.replyTo === ack.messageId);
    assert.equal(saved.text, catalogue.botText('followup_email_saved', 'en').replace('{email}', 'grace.hopper@example.com'));
    await page.click(`#list-waiting .conversation-item[data-id="${away.conversationId}"]`);
    await page.waitForSelector('#detail:not([hidden])');
    // The agent sees where the reply will also go.
    await page.waitForSelector('#detail-visitor .visitor-followup >> text=grace.hopper@example.com');
    await page.click('#actions button[data-action="take_over"]');
    await page.waitForSelector('#composer-text:not([disabled])');
    await page.fill('#composer-text', 'Thanks for waiting, Grace: your refund was sent today.');
    await page.press('#composer-text', 'Enter');
    const mail = await waitFor(() => smtp.mails.find((candidate) => candidate.to.includes('grace.hopper@example.com')), 'the follow-up e-mail');
    assert.match(mail.data, /your refund was sent today/);
    assert.match(mail.data, /Ann Agent/);

    // Available again: the next handover promises someone.
    await toggle.click();
    await page.waitForFunction(() => document.querySelector('#availability')?.getAttribute('data-available') === 'true');
    assert.equal(await handOffText(server.url), catalogue.botText('handoff', 'en'));

    // The console closes: the agent is away.
    await page.close();
    const deadline = Date.now() + 10_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await handOffText(server.url);
      if (text === catalogue.botText('handoff_unavailable', 'en')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(text, catalogue.botText('handoff_unavailable', 'en'));
    assert.deepEqual(errors, []);
  });
});
