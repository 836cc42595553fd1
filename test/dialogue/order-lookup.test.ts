// Issue 17, resolving a request end to end: the real server, its model and Postgres, and the
// reference shop behind the signed track_order webhook. The order lookup asks for the order number,
// then (no signed-in customer) for the e-mail address, and answers with the shop's facts; the form
// lives with the conversation in Postgres, so it survives a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/index.ts';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, queryEmbedded, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';

const dataDir = temporaryDirectory();
let server: RunningServer;
let catalogue: Catalogue;
const connections: VisitorConnection[] = [];

async function visitor(auth: Record<string, unknown> = {}): Promise<VisitorConnection> {
  const connection = await connectVisitor(server.url, { language: 'en', ...auth });
  connections.push(connection);
  return connection;
}

const storedForm = async (conversationId: string) => (await queryEmbedded(dataDir.path, 'SELECT form FROM "Conversation" WHERE id = $1', [conversationId]))[0]?.form ?? null;
const prompt = (slot: string) => catalogue.slotPrompt('track_order', slot, 'en');

before(async () => {
  catalogue = await loadCatalogue(join(import.meta.dirname, '../../intents'));
  ({ server } = await startTestServer({ DATA_DIR: dataDir.path }));
});

after(async () => {
  for (const { socket } of connections) socket.close();
  await server?.close();
  dataDir.remove();
});

test('three turns: order number, then e-mail address, answered with the shop\'s facts; the form survives a server restart', async () => {
  const first = await visitor();
  const asked = await ask(first.socket, 'where is my order?');
  assert.equal(asked.reply.intent, 'track_order');
  assert.equal(asked.reply.text, prompt('order_number'));

  const number = await ask(first.socket, 'NW-2024-0042');
  assert.equal(number.reply.text, prompt('email'), 'without a signed-in customer the shop needs the e-mail address');
  assert.deepEqual(await storedForm(first.session.conversationId), { intent: 'track_order', slots: { order_number: 'NW-2024-0042' }, asking: 'email', asks: { order_number: 1, email: 1 } });

  first.socket.close();
  await server.close();
  ({ server } = await startTestServer({ DATA_DIR: dataDir.path }));

  const again = await visitor({ visitorToken: first.session.visitorToken });
  assert.equal(again.session.conversationId, first.session.conversationId);
  const answered = await ask(again.socket, 'it is bruno@example.de');
  assert.equal(answered.reply.source, 'intent');
  assert.equal(answered.reply.intent, 'track_order');
  for (const fact of ['NW-2024-0042', 'UPS', '1Z999AA10123456784', 'https://tracking.example.com/ups/1Z999AA10123456784']) assert.ok(answered.reply.text.includes(fact), `${fact} in "${answered.reply.text}"`);
  assert.doesNotMatch(answered.reply.text, /undefined|\{\{/);
  assert.equal(await storedForm(first.session.conversationId), null, 'the answered form is closed');
});

test('another confident intent interrupts the form, which is dropped', async () => {
  const { socket, session } = await visitor();
  assert.equal((await ask(socket, 'where is my order?')).reply.text, prompt('order_number'));
  const interrupted = await ask(socket, 'how long does shipping take');
  assert.equal(interrupted.reply.intent, 'delivery_period');
  assert.equal(await storedForm(session.conversationId), null);
});

test('a correction replaces the order number, and another customer\'s order is refused like one that does not exist', async () => {
  const { socket } = await visitor();
  await ask(socket, 'where is my order?');
  assert.equal((await ask(socket, 'NW-2024-0042')).reply.text, prompt('email'));
  // #48231 is Alice's order (DHL, shipped); Bruno's e-mail address must not open it.
  assert.equal((await ask(socket, "no, it's #48231")).reply.text, prompt('email'));
  const refused = await ask(socket, 'bruno@example.de');
  assert.equal(refused.reply.text, catalogue.renderTemplate('track_order', 'order_not_found', 'en', { order_number: '48231' }));
  for (const secret of ['DHL', '00340434161094042557', 'Linen', 'Alice']) assert.ok(!refused.reply.text.includes(secret), secret);
});

test('cancelling closes the form in the visitor\'s language', async () => {
  const { socket, session } = await visitor({ language: 'de' });
  await ask(socket, 'wo ist meine Bestellung');
  const cancelled = await ask(socket, 'abbrechen');
  assert.equal(cancelled.reply.text, catalogue.botText('form_cancelled', 'de'));
  assert.equal(await storedForm(session.conversationId), null);
});

test('an action that does not answer in time ends in an apology and a handover, never an error', async () => {
  // A shop that accepts the request and never answers.
  const silent: Server = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const actionsConfig = join(dataDir.path, 'actions.yaml');
  writeFileSync(actionsConfig, JSON.stringify({ actions: { track_order: { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/track`, secret: 's'.repeat(32), timeoutMs: 300, retries: 0 } } }));
  try {
    await server.close();
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path, ACTIONS_CONFIG: actionsConfig }));
    const { socket, session } = await visitor({ language: 'de' });
    await ask(socket, 'wo ist meine Bestellung');
    const apology = await ask(socket, 'NW-2024-0042');
    assert.equal(apology.reply.source, 'handoff');
    assert.equal(apology.reply.text, catalogue.botText('action_failed', 'de'));
    const [conversation] = await queryEmbedded(dataDir.path, 'SELECT status, form FROM "Conversation" WHERE id = $1', [session.conversationId]);
    assert.deepEqual(conversation, { status: 'waiting_for_agent', form: null });
    const [stored] = await queryEmbedded(dataDir.path, `SELECT details->'action' AS action FROM "Message" WHERE "conversationId" = $1 AND role = 'bot' ORDER BY seq DESC LIMIT 1`, [session.conversationId]);
    assert.equal(stored?.action.reason, 'timeout', 'agents see why the action failed');
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});
