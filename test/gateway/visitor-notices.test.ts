// Issue 15, the visitor side of a handover: "Talk to a person" is the `handoff` event (not a phrase to
// classify), the visitor hears what agents do (`status` notices, the agent's display name on replies,
// also from another process through the Postgres adapter), a resolved conversation stays readable
// by its own visitor only, and agents see who they talk to. Real Postgres, real sockets, two processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/index.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, nextEvent, queryEmbedded, request, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';
import { api, connectAgent, createAgent, login, testPrisma } from '../agents/helpers.ts';

const firstDir = temporaryDirectory();
// A second process on the first one's Postgres: visitors connect there, agents act on the first.
const secondDir = temporaryDirectory();
const LIMITS = { MESSAGE_BURST: '50', MESSAGES_PER_SECOND: '20' };
const FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0';
let first: RunningServer;
let second: RunningServer;
let prisma: PrismaClient;
let catalogue: Catalogue;
let agentToken: string;
const sockets: Socket[] = [];

const sql = (text: string, values: unknown[] = []) => queryEmbedded(firstDir.path, text, values);
const visitorIdOf = (token: string) => token.split('.')[1]!;

before(async () => {
  ({ server: first } = await startTestServer({ DATA_DIR: firstDir.path, SCALE_OUT: 'postgres', ...LIMITS }));
  prisma = testPrisma(firstDir.path);
  await createAgent(prisma, { email: 'anna@example.com', name: 'Anna', password: 'anna password 1' });
  agentToken = await login(first.url, 'anna@example.com', 'anna password 1');
  ({ server: second } = await startTestServer({ DATA_DIR: secondDir.path, DATABASE_URL: embeddedDatabaseUrl(firstDir.path), ...LIMITS }));
  catalogue = await loadCatalogue('intents');
});

after(async () => {
  for (const socket of sockets) socket.close();
  await second?.close();
  await prisma?.$disconnect();
  await first?.close();
  secondDir.remove();
  firstDir.remove();
});

async function visitor(url: string, auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<VisitorConnection> {
  const connection = await connectVisitor(url, auth, extra);
  sockets.push(connection.socket);
  return connection;
}

/** An agent's REST action on the first process: take-over, hand-back, resolve, … */
async function act(conversationId: string, action: string) {
  const { status, body } = await api(first.url, `/api/agent/conversations/${conversationId}/${action}`, { method: 'POST', token: agentToken });
  assert.equal(status, 200, JSON.stringify(body));
  return body.conversation;
}

const messagesOf = (conversationId: string) =>
  sql('SELECT role::text, source::text, text FROM "Message" WHERE "conversationId" = $1 ORDER BY seq', [conversationId]);

describe('the handoff event', () => {
  test('hands over without a visitor message: waiting_for_agent in Postgres, the agents hear it, the handoff text in the visitor\'s language; asking again changes nothing', async () => {
    const agent = await connectAgent(first.url, { token: agentToken });
    sockets.push(agent.socket);
    const { socket, session } = await visitor(second.url, { language: 'de' });
    const queued = nextEvent(agent.socket, 'queue', (queue: any) => queue.waiting.some((entry: any) => entry.id === session.conversationId));
    const handoffReply = nextEvent(socket, 'reply', (reply: any) => reply.source === 'handoff');

    assert.deepEqual(await request(socket, 'handoff'), { ok: true, status: 'waiting_for_agent' });
    const reply = await handoffReply;
    assert.equal(reply.text, catalogue.botText('handoff', 'de'));
    assert.equal(reply.conversationId, session.conversationId);
    assert.equal(reply.replyTo, null, 'it answers no visitor message');
    await queued;
    assert.equal((await sql('SELECT status::text FROM "Conversation" WHERE id = $1', [session.conversationId]))[0].status, 'waiting_for_agent');
    assert.deepEqual(await messagesOf(session.conversationId), [{ role: 'bot', source: 'handoff', text: catalogue.botText('handoff', 'de') }], 'no visitor message was made up');

    // Idempotent, with or without the payload; once an agent has it, the status says so.
    assert.deepEqual(await request(socket, 'handoff', { conversationId: session.conversationId }), { ok: true, status: 'waiting_for_agent' });
    await act(session.conversationId, 'take-over');
    assert.deepEqual(await request(socket, 'handoff'), { ok: true, status: 'agent' });
    assert.equal((await messagesOf(session.conversationId)).length, 1, 'one handoff reply');
  });

  test('without a language from the client, the handoff text is in the conversation\'s language', async () => {
    const { socket, session } = await visitor(first.url);
    await ask(socket, 'Bonjour, je voudrais savoir où se trouve ma commande, s\'il vous plaît.');
    const handoffReply = nextEvent(socket, 'reply', (reply: any) => reply.source === 'handoff');
    assert.deepEqual(await request(socket, 'handoff'), { ok: true, status: 'waiting_for_agent' });
    assert.equal((await handoffReply).text, catalogue.botText('handoff', 'fr'));
    assert.deepEqual((await messagesOf(session.conversationId)).map((message) => message.role), ['visitor', 'bot', 'bot']);
  });

  test('another visitor\'s conversation id is refused', async () => {
    const { socket } = await visitor(first.url);
    const other = await visitor(first.url);
    const ack = await request(socket, 'handoff', { conversationId: other.session.conversationId });
    assert.equal(ack.error.code, 'UNKNOWN_CONVERSATION');
  });
});

describe('visitor notices', () => {
  test('an agent joining (by display name), replying, handing back and resolving reaches the visitor on the other process', async () => {
    const { socket, session } = await visitor(second.url, { language: 'en' });
    const id = session.conversationId;
    await request(socket, 'handoff');

    const joined = nextEvent(socket, 'status');
    await act(id, 'take-over');
    assert.deepEqual(await joined, { conversationId: id, status: 'agent', agent: { name: 'Anna' } });

    const agentReply = nextEvent(socket, 'reply', (reply: any) => reply.source === 'agent');
    const sent = await api(first.url, `/api/agent/conversations/${id}/messages`, { token: agentToken, body: { text: 'Hi, Anna here. How can I help?' } });
    assert.equal(sent.status, 201);
    assert.deepEqual((await agentReply).agent, { name: 'Anna' });
    const history = await request(socket, 'history');
    assert.deepEqual(history.messages.at(-1).agent, { name: 'Anna' }, 'history names the agent too');

    const handedBack = nextEvent(socket, 'status');
    await act(id, 'hand-back');
    assert.deepEqual(await handedBack, { conversationId: id, status: 'bot' });

    const resolved = nextEvent(socket, 'status');
    await act(id, 'resolve');
    assert.deepEqual(await resolved, { conversationId: id, status: 'resolved' });
  });
});

describe('the previous conversation after a resolve', () => {
  test('session names it, history reads it (read-only), and another visitor cannot', async () => {
    const a = await visitor(first.url);
    assert.equal(a.session.previousConversationId, undefined, 'nothing resolved yet');
    const { reply } = await ask(a.socket, 'where is my order');
    const resolvedId = a.session.conversationId;
    await act(resolvedId, 'resolve');
    a.socket.close();

    const again = await visitor(first.url, { visitorToken: a.session.visitorToken });
    assert.notEqual(again.session.conversationId, resolvedId, 'a new conversation starts');
    assert.equal(again.session.previousConversationId, resolvedId);
    const previous = await request(again.socket, 'history', { conversationId: resolvedId });
    assert.equal(previous.ok, true);
    assert.equal(previous.conversationId, resolvedId);
    assert.deepEqual(previous.messages.map((message: any) => message.role), ['visitor', 'bot']);
    assert.deepEqual(await request(again.socket, 'history'), { ok: true, conversationId: again.session.conversationId, messages: [] });
    assert.equal((await request(again.socket, 'feedback', { messageId: reply.messageId, rating: 'up' })).error.code, 'UNKNOWN_MESSAGE', 'read-only');

    // Another visitor, with a resolved conversation of its own, cannot read the first one's.
    const b = await visitor(first.url);
    await ask(b.socket, 'hello');
    await act(b.session.conversationId, 'resolve');
    b.socket.close();
    const bAgain = await visitor(second.url, { visitorToken: b.session.visitorToken });
    assert.equal(bAgain.session.previousConversationId, b.session.conversationId);
    for (const conversationId of [resolvedId, again.session.conversationId]) {
      const refused = await request(bAgain.socket, 'history', { conversationId });
      assert.equal(refused.ok, false);
      assert.equal(refused.error.code, 'UNKNOWN_CONVERSATION');
    }
  });
});

describe('who agents talk to', () => {
  test('language, page, browser, name and e-mail reach the agent API, written with the first message and not at the handshake', async () => {
    const page = 'https://shop.example.com/products/leather-wallet';
    const { socket, session } = await visitor(first.url, { language: 'fr', name: 'Jonas Berg', email: 'jonas@example.com', page }, { extraHeaders: { 'user-agent': FIREFOX } });
    const visitorId = visitorIdOf(session.visitorToken);
    assert.deepEqual(await sql('SELECT id FROM "Visitor" WHERE id = $1', [visitorId]), [], 'the handshake stores nothing');

    await ask(socket, 'où est ma commande');
    const transcript = await api(first.url, `/api/agent/conversations/${session.conversationId}`, { token: agentToken });
    assert.deepEqual(transcript.body.conversation.visitor, {
      name: 'Jonas Berg', email: 'jonas@example.com', language: 'fr', page, browser: 'Firefox 128 on macOS', userAgent: FIREFOX, customer: null, followupEmail: null,
    });
    socket.close();

    // The next connection's page replaces the last one; what it does not tell is kept.
    const otherPage = 'https://shop.example.com/checkout';
    const again = await visitor(first.url, { visitorToken: session.visitorToken, page: otherPage }, { extraHeaders: { 'user-agent': FIREFOX } });
    await ask(again.socket, 'merci');
    const after = await api(first.url, `/api/agent/conversations/${session.conversationId}`, { token: agentToken });
    assert.equal(after.body.conversation.visitor.page, otherPage);
    assert.equal(after.body.conversation.visitor.name, 'Jonas Berg');
  });

  test('invalid context is dropped, not stored, and does not keep the visitor out', async () => {
    const { socket, session } = await visitor(first.url, {
      name: 'x'.repeat(121), email: 'not-an-e-mail', page: 'https://shop.example.com/account?token=secret',
    });
    await ask(socket, 'where is my order');
    const { body } = await api(first.url, `/api/agent/conversations/${session.conversationId}`, { token: agentToken });
    assert.equal(body.conversation.visitor.name, null);
    assert.equal(body.conversation.visitor.email, null);
    assert.equal(body.conversation.visitor.page, null);
    assert.equal(body.conversation.visitor.language, 'en', 'not sent: the language the bot answered in');
  });
});
