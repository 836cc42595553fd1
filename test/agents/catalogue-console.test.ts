// Issue 19, in a real Chromium and two server processes on one Postgres: an admin edits an answer in
// the console's Catalogue tab on process A (a refused edit shows its problem with line and field; the
// preview answers with the unsaved text); process B, started before and never restarted, serves the
// new answer to a visitor (socket.io-client); undo in the console restores the old answer on B too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromiumMissing } from '../helpers/browser.ts';
import { SCREENSHOTS, signInToConsole, startConsoleTest, CONSOLE_AGENT, type ConsoleTest } from '../helpers/console.ts';
import { ask, connectVisitor, embeddedDatabaseUrl } from '../helpers/server.ts';
import { spawnServer, type ServerProcess } from '../faults/helpers.ts';
import type { Socket } from 'socket.io-client';

const WAIT = 20_000;
const NEW_ANSWER = 'Welcome to Northwind Goods, edited live from the console!';

let env: ConsoleTest;
let b: ServerProcess;
const sockets: Socket[] = [];

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** A visitor on process B says hello; the bot's reply. */
async function helloOnB(): Promise<{ intent?: string; text: string }> {
  const visitor = await connectVisitor(b.url, { language: 'en' });
  sockets.push(visitor.socket);
  try {
    return (await ask(visitor.socket, 'hello')).reply;
  } finally {
    visitor.socket.close();
  }
}

describe('editing the catalogue in the console', { skip: chromiumMissing }, () => {
  before(async () => {
    env = await startConsoleTest({ timeout: WAIT, viewport: { width: 1400, height: 900 } });
    await env.prisma.agent.update({ where: { email: CONSOLE_AGENT.email }, data: { role: 'admin' } });
    b = await spawnServer({ DATABASE_URL: embeddedDatabaseUrl(env.dataDir), SCALE_OUT: 'off', DATA_DIR: join(env.dataDir, 'b'), LOG_LEVEL: 'warn' });
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await b?.stop();
    await env?.close();
  });

  test('an admin edits an answer; the other process serves it at once; undo restores the old one', async () => {
    const { page } = env;
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const original = await helloOnB();
    assert.equal(original.intent, 'greeting');
    assert.notEqual(original.text, NEW_ANSWER);

    await signInToConsole(page, env.server.url);
    await page.click('.tab[data-tab="catalogue"]');
    await page.fill('#catalogue-search', 'Northwind Goods assistant');
    await page.click('.catalogue-item[data-path="greeting.yaml"]');
    await page.waitForFunction(() => (document.getElementById('catalogue-text') as HTMLTextAreaElement).value.includes('name: greeting'));
    const yaml = await page.inputValue('#catalogue-text');

    // A typo is refused beside the editor, with its line and field; nothing is saved.
    await page.fill('#catalogue-text', yaml.replace('handoff: false', 'handof: false'));
    await page.click('#catalogue-save');
    const problem = await page.locator('#catalogue-problems li').first().textContent();
    assert.match(problem ?? '', /greeting\.yaml · line 9 · handof unknown field "handof"/);

    await page.fill('#catalogue-text', yaml);

    // The answer fields: every English variant replaced by one, so the reply does not depend on which
    // variant is due. A placeholder is refused beside the English field.
    await page.fill('#catalogue-answer-en', 'Hello {{name}}!');
    await page.click('#catalogue-answers-save');
    const fieldProblem = page.locator('.catalogue-field-problem[data-problem-for="en"]');
    await fieldProblem.waitFor();
    assert.match((await fieldProblem.textContent()) ?? '', /^answers\.en\[0\]: .*placeholder/);
    await page.fill('#catalogue-answer-en', NEW_ANSWER);
    await page.fill('#catalogue-preview-text', 'hello');
    await page.selectOption('#catalogue-preview-language', 'en');
    await page.click('#catalogue-preview button[type="submit"]');
    await page.waitForSelector(`[aria-label="Preview reply"]:text("${NEW_ANSWER}")`);
    assert.equal((await helloOnB()).text === NEW_ANSWER, false, 'a preview saves nothing');

    await page.click('#catalogue-answers-save');
    await page.waitForSelector('#catalogue-status:text("Saved as revision 2")');
    const saved = await page.inputValue('#catalogue-text');
    assert.equal(saved.slice(0, saved.indexOf('\nanswers:')), yaml.slice(0, yaml.indexOf('\nanswers:')), 'the rest of the text as written, comments included');
    assert.match(saved, new RegExp(`answers:\n  en:\n    - "${NEW_ANSWER}"\n  de:`));
    await page.screenshot({ path: `${SCREENSHOTS}/catalogue-edit.png` });
    const served = await until('the new answer on process B', helloOnB, (reply) => reply.text === NEW_ANSWER);
    assert.equal(served.intent, 'greeting');

    await page.click('#catalogue-undo');
    await page.waitForSelector('#catalogue-status:text("Restored revision 1 as revision 3")');
    await page.waitForSelector('.catalogue-revision:has-text("3 · restore · ann@example.com")');
    const restored = await until('the old answer on process B', helloOnB, (reply) => reply.text !== NEW_ANSWER);
    assert.equal(restored.intent, 'greeting');
    assert.match(restored.text, /Northwind Goods|Hi there/);
    assert.equal(await page.inputValue('#catalogue-text'), yaml, 'the text as it was, byte for byte');

    const audit = await env.prisma.auditEvent.findMany({ where: { action: 'catalogue.edit', targetId: 'greeting.yaml' }, orderBy: { seq: 'asc' } });
    assert.deepEqual(audit.map((event) => [event.actorName, (event.details as { change: string }).change]), [[CONSOLE_AGENT.email, 'update'], [CONSOLE_AGENT.email, 'restore']]);
    assert.deepEqual(errors, []);
  });
});
