// Issue 17, what agents see of forms and actions: every action call the bot made (what it sent,
// what came back, latency), the open form, the entities of a message as it is answered, and an
// action run by the agent from the console, answered to the agent only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/index.ts';
import { ask, connectVisitor, nextEvent, request, type VisitorConnection } from '../helpers/server.ts';
import { connectAgent, startAgentTestServer, type AgentTestServer } from './helpers.ts';

const CUSTOMER_TOKEN_SECRET = 'the-shop-signs-its-customers-with-this-secret';
let desk: AgentTestServer;
let catalogue: Catalogue;
const visitors: VisitorConnection[] = [];

before(async () => {
  catalogue = await loadCatalogue(join(import.meta.dirname, '../../intents'));
  desk = await startAgentTestServer([{ email: 'ana@example.com', name: 'Ana', password: 'correct horse battery' }], { CUSTOMER_TOKEN_SECRET });
});

after(async () => {
  for (const { socket } of visitors) socket.close();
  await desk?.close();
});

async function agentSocket() {
  const { socket } = await connectAgent(desk.url, { token: desk.tokens[0] });
  desk.sockets.push(socket);
  return socket;
}

async function signedInVisitor(customerId: string): Promise<VisitorConnection> {
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(customerId).setExpirationTime('10m').sign(new TextEncoder().encode(CUSTOMER_TOKEN_SECRET));
  const connection = await connectVisitor(desk.url, { language: 'en', customerToken: token });
  visitors.push(connection);
  return connection;
}

test('the transcript shows each action call under its reply, and the open form', async () => {
  const { socket, session } = await signedInVisitor('cus_1001');
  await ask(socket, 'hello');
  const agent = await agentSocket();
  assert.deepEqual(await request(agent, 'watch', { conversationId: session.conversationId }), { ok: true });
  // The visitor message comes again, live, with the order number found in it.
  const withEntities = nextEvent(agent, 'message', (message) => message.role === 'visitor' && Array.isArray(message.entities));
  await ask(socket, 'please cancel order #48231');
  assert.deepEqual((await withEntities).entities.map((entity: { type: string; value: unknown }) => [entity.type, entity.value]), [['order_number', '#48231']]);

  await ask(socket, 'where is order 48213?');
  await ask(socket, 'cancel my order please');
  const { conversation } = await request(agent, 'transcript', { conversationId: session.conversationId });
  const actions = conversation.messages.filter((message: any) => message.details?.action).map((message: any) => message.details.action);
  assert.deepEqual(
    actions.map(({ name, slots, confirmed, ok, response, template }: any) => ({ name, slots, confirmed, ok, response, template })),
    [
      { name: 'cancel_order', slots: { order_number: '#48231' }, confirmed: false, ok: true, response: 'answer', template: 'cancel_too_late' },
      { name: 'track_order', slots: { order_number: '48213' }, confirmed: false, ok: true, response: 'answer', template: 'order_processing' },
    ],
  );
  assert.ok(actions.every((action: any) => typeof action.latencyMs === 'number' && action.attempts === 1));
  assert.deepEqual(conversation.form, { intent: 'cancel_order', slots: {}, asking: 'order_number', asks: { order_number: 1 } });
});

test('an agent runs an action for the conversation\'s customer: the answer comes to the agent, a change only once confirmed', async () => {
  const { socket, session } = await signedInVisitor('cus_1003');
  await ask(socket, 'hello');
  const agent = await agentSocket();
  const intents = (await request(agent, 'intents')).intents;
  assert.deepEqual(intents.find((intent: any) => intent.name === 'cancel_order').slots.map((slot: any) => slot.name), ['order_number', 'email']);

  const tracked = await request(agent, 'run_action', { conversationId: session.conversationId, intent: 'track_order', slots: { order_number: '60322' } });
  assert.equal(tracked.outcome.response, 'answer');
  assert.ok(tracked.outcome.text.includes('SF') && tracked.outcome.text.includes('60322'), tracked.outcome.text);

  const asked = await request(agent, 'run_action', { conversationId: session.conversationId, intent: 'cancel_order', slots: { order_number: '60315' } });
  assert.equal(asked.outcome.response, 'confirm');
  assert.equal(asked.outcome.text, catalogue.renderTemplate('cancel_order', 'cancel_confirm', 'en', { order_number: '60315', items: '1 × Tea set, 1 × Bamboo tray', total: '88.00', currency: 'CNY' }));
  assert.equal((await desk.prisma.shopOrder.findUniqueOrThrow({ where: { number: '60315' } })).status, 'processing');
  const done = await request(agent, 'run_action', { conversationId: session.conversationId, intent: 'cancel_order', slots: { order_number: '60315' }, confirmed: true });
  assert.equal(done.outcome.template, 'cancel_done');
  assert.equal((await desk.prisma.shopOrder.findUniqueOrThrow({ where: { number: '60315' } })).status, 'cancelled');

  // Another customer's order stays out of reach for the agent too: the action runs as this conversation's customer.
  const foreign = await request(agent, 'run_action', { conversationId: session.conversationId, intent: 'track_order', slots: { order_number: '48231' } });
  assert.equal(foreign.outcome.template, 'order_not_found');

  const messages = await desk.prisma.message.count({ where: { conversationId: session.conversationId } });
  assert.equal(messages, 2, 'nothing reached the visitor');
  // Every run is in the audit log, by whom and with what outcome (no slot values: they are the visitor's).
  const audited = await desk.prisma.auditEvent.findMany({ where: { action: 'action.run', targetId: session.conversationId }, orderBy: { seq: 'asc' } });
  assert.deepEqual(audited.map((event) => (event.details as { response: string }).response), ['answer', 'confirm', 'answer', 'answer']);
  assert.ok(audited.every((event) => !JSON.stringify(event.details).includes('60315')));
  for (const [payload, code] of [
    [{ conversationId: session.conversationId, intent: 'greeting', slots: {} }, 'UNKNOWN_INTENT'],
    [{ conversationId: '00000000-0000-4000-8000-000000000000', intent: 'track_order', slots: {} }, 'NOT_FOUND'],
    [{ conversationId: session.conversationId, intent: 'track_order', slots: { order_number: { $gt: '' } } }, 'INVALID_PAYLOAD'],
  ] as const) {
    const refused = await request(agent, 'run_action', payload);
    assert.equal(refused.error?.code, code, JSON.stringify(payload));
  }
});
