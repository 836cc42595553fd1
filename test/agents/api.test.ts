import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { labelledExamples } from '../../src/agents/workspace.ts';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { currentTrainingSet } from '../../src/corpus/training-set.ts';
import { ask, connectVisitor, nextEvent, request } from '../helpers/server.ts';
import { api, connectAgent, login, startAgentTestServer, type AgentTestServer } from './helpers.ts';

let env: AgentTestServer;
let url: string;
let prisma: PrismaClient;
let annToken: string;
let bobToken: string;
let adminToken: string;

before(async () => {
  env = await startAgentTestServer([
    { email: 'ann@example.com', name: 'Ann', password: 'ann password 1' },
    { email: 'bob@example.com', name: 'Bob', password: 'bob password 1' },
    { email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' },
  ]);
  ({ url, prisma } = env);
  [annToken, bobToken, adminToken] = env.tokens as [string, string, string];
});

after(() => env?.close());

/** A visitor who asks for a person: the bot hands over and the conversation waits for an agent. */
async function visitorWaitingForAgent() {
  const visitor = env.track(await connectVisitor(url));
  const { reply } = await ask(visitor.socket, 'I want to talk to a person');
  assert.equal(reply.source, 'handoff');
  return visitor;
}

describe('authentication', () => {
  test('every agent route refuses a missing, wrong or visitor token with 401', async () => {
    const visitor = env.track(await connectVisitor(url));
    const wrong = 'fda1_' + 'x'.repeat(43);
    for (const path of ['/api/agent/me', '/api/agent/queue', '/api/agent/conversations', '/api/agent/intents', '/api/agent/corrections']) {
      for (const token of [undefined, wrong, visitor.session.visitorToken, 'garbage']) {
        const response = await api(url, path, token === undefined ? {} : { token });
        assert.equal(response.status, 401, `${path} with ${token}`);
        assert.equal(response.body.ok, false);
        assert.equal(response.body.error.code, 'UNAUTHORIZED');
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    }
    // The visitor token sent any other way is no agent credential either.
    const asQuery = await api(url, `/api/agent/queue?token=${encodeURIComponent(visitor.session.visitorToken)}`);
    assert.equal(asQuery.status, 401);
  });

  test('login: wrong password and unknown email get the same 401; a good login works until logout', async () => {
    const wrongPassword = await api(url, '/api/agent/login', { body: { email: 'ann@example.com', password: 'nope nope nope' } });
    const unknown = await api(url, '/api/agent/login', { body: { email: 'nobody@example.com', password: 'nope nope nope' } });
    assert.equal(wrongPassword.status, 401);
    assert.deepEqual(wrongPassword.body, unknown.body);
    assert.equal(wrongPassword.body.error.code, 'INVALID_CREDENTIALS');
    const malformed = await api(url, '/api/agent/login', { body: '{"email":' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'INVALID_PAYLOAD');

    const token = await login(url, 'ANN@example.com', 'ann password 1');
    const me = await api(url, '/api/agent/me', { token });
    assert.equal(me.status, 200);
    assert.deepEqual([me.body.agent.email, me.body.agent.role], ['ann@example.com', 'agent']);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    const live = env.track(await connectAgent(url, { token }));
    const dropped = new Promise((resolve) => live.socket.once('disconnect', resolve));
    assert.equal((await api(url, '/api/agent/logout', { token, method: 'POST', body: {} })).status, 200);
    assert.equal((await api(url, '/api/agent/me', { token })).status, 401);
    await dropped; // the open socket of that session is closed too
  });

  test('the /agent namespace refuses a missing, wrong or visitor token', async () => {
    const visitor = env.track(await connectVisitor(url));
    for (const auth of [{}, { token: 'fda1_' + 'y'.repeat(43) }, { token: visitor.session.visitorToken }, { visitorToken: visitor.session.visitorToken }, { token: 42 }]) {
      await assert.rejects(connectAgent(url, auth), (error: any) => {
        assert.equal(error.message, 'UNAUTHORIZED');
        assert.equal(error.data.code, 'UNAUTHORIZED');
        return true;
      }, JSON.stringify(auth));
    }
    const { hello } = env.track(await connectAgent(url, { token: annToken }));
    assert.equal(hello.agent.name, 'Ann');
  });

  test('an agent token is no visitor token', async () => {
    await assert.rejects(connectVisitor(url, { visitorToken: annToken }), (error: any) => error.data?.code === 'INVALID_TOKEN');
  });

  test('account management is for admins only', async () => {
    assert.equal((await api(url, '/api/agent/agents', { token: annToken })).status, 403);
    assert.equal((await api(url, '/api/agent/training-examples', { token: annToken })).status, 403);
    const created = await api(url, '/api/agent/agents', { token: adminToken, body: { email: 'cleo@example.com', name: 'Cleo', password: 'cleo password' } });
    assert.equal(created.status, 201);
    const cleoToken = await login(url, 'cleo@example.com', 'cleo password');
    const disabled = await api(url, `/api/agent/agents/${created.body.agent.id}`, { token: adminToken, method: 'PATCH', body: { disabled: true } });
    assert.equal(disabled.body.agent.disabled, true);
    assert.equal((await api(url, '/api/agent/me', { token: cleoToken })).status, 401);
    const list = await api(url, '/api/agent/agents', { token: adminToken });
    assert.ok(list.body.agents.some((agent: any) => agent.email === 'cleo@example.com' && agent.disabled));
    assert.ok(list.body.agents.every((agent: any) => !('passwordHash' in agent)));
  });
});

describe('taking over', () => {
  test('a handed-over conversation appears in the live queue; the agent takes it over and replies; the visitor gets the reply', async () => {
    const agent = env.track(await connectAgent(url, { token: annToken }));
    const visitor = env.track(await connectVisitor(url));
    const conversationId = visitor.session.conversationId;
    const queued = nextEvent(agent.socket, 'queue', (queue: any) => queue.waiting.some((entry: any) => entry.id === conversationId));
    const { reply } = await ask(visitor.socket, 'I want to talk to a person');
    assert.equal(reply.source, 'handoff');
    const queue = await queued;
    const entry = queue.waiting.find((item: any) => item.id === conversationId);
    assert.equal(entry.status, 'waiting_for_agent');
    assert.ok(entry.waitingSince);
    assert.equal(entry.flags.handedOver, true);

    const taken = await request(agent.socket, 'take_over', { conversationId });
    assert.equal(taken.ok, true);
    assert.equal(taken.conversation.status, 'agent');
    assert.equal(taken.conversation.assignee.name, 'Ann');
    // Another agent cannot take it away, nor reply in it.
    const other = env.track(await connectAgent(url, { token: bobToken }));
    assert.equal((await request(other.socket, 'take_over', { conversationId })).error.code, 'HELD_BY_OTHER');
    assert.equal((await request(other.socket, 'reply', { conversationId, text: 'me too' })).error.code, 'NOT_ASSIGNEE');

    const delivered = nextEvent(visitor.socket, 'reply', (event: any) => event.source === 'agent');
    const sent = await request(agent.socket, 'reply', { conversationId, text: 'Hi, I am Ann. How can I help?', clientId: 'r1' });
    assert.equal(sent.ok, true);
    const received = await delivered;
    assert.equal(received.text, 'Hi, I am Ann. How can I help?');
    assert.equal(received.messageId, sent.message.messageId);
    assert.equal(received.conversationId, conversationId);

    const history = await request(visitor.socket, 'history');
    assert.deepEqual(history.messages.map((message: any) => [message.role, message.source]), [['visitor', undefined], ['bot', 'handoff'], ['agent', 'agent']]);
  });

  test('while an agent holds the conversation the bot stays silent, and the agent sees the visitor live', async () => {
    const visitor = await visitorWaitingForAgent();
    const conversationId = visitor.session.conversationId;
    const agent = env.track(await connectAgent(url, { token: annToken }));
    assert.equal((await request(agent.socket, 'take_over', { conversationId })).ok, true);

    const replies: any[] = [];
    visitor.socket.on('reply', (event: any) => replies.push(event));
    const seen = nextEvent(agent.socket, 'message', (message: any) => message.role === 'visitor' && message.text === 'Where is my order?');
    const ack = await request(visitor.socket, 'message', { clientId: 'held-1', text: 'Where is my order?' });
    assert.equal(ack.ok, true);
    const live = await seen;
    assert.equal(live.messageId, ack.messageId);
    assert.equal(live.conversationId, conversationId);

    // The agent answers; a resend of the visitor message then gets, as its reply, the agent's answer:
    // the bot's turn on that message is over (answers are serialised per conversation) and it said nothing.
    await request(agent.socket, 'reply', { conversationId, text: 'It ships tomorrow.' });
    const resentReply = nextEvent(visitor.socket, 'reply', (event: any) => event.replyTo === ack.messageId);
    const resend = await request(visitor.socket, 'message', { clientId: 'held-1', text: 'Where is my order?' });
    assert.equal(resend.duplicate, true);
    assert.equal((await resentReply).source, 'agent');
    const history = await request(visitor.socket, 'history');
    assert.deepEqual(history.messages.slice(-2).map((message: any) => message.role), ['visitor', 'agent']);
    assert.ok(replies.every((event) => event.source === 'agent'), JSON.stringify(replies));
    const stored = await prisma.message.count({ where: { conversationId, role: 'bot', replyToId: ack.messageId } });
    assert.equal(stored, 0);

    // Handed back, the bot answers again.
    const back = await request(agent.socket, 'hand_back', { conversationId });
    assert.equal(back.conversation.status, 'bot');
    const { reply } = await ask(visitor.socket, 'I want to track my order, where is my package?');
    assert.notEqual(reply.source, 'agent');
  });

  test('the REST API drives the same state machine: take over, reply, resolve; transcripts show the details', async () => {
    const visitor = await visitorWaitingForAgent();
    const id = visitor.session.conversationId;
    const queue = await api(url, '/api/agent/queue', { token: bobToken });
    assert.ok(queue.body.waiting.some((entry: any) => entry.id === id));
    assert.equal((await api(url, `/api/agent/conversations/${id}/messages`, { token: bobToken, body: { text: 'hello' } })).body.error.code, 'NOT_ASSIGNEE');
    const taken = await api(url, `/api/agent/conversations/${id}/take-over`, { token: bobToken, body: {} });
    assert.equal(taken.status, 200);
    assert.equal(taken.body.conversation.status, 'agent');
    const delivered = nextEvent(visitor.socket, 'reply', (event: any) => event.source === 'agent');
    const sent = await api(url, `/api/agent/conversations/${id}/messages`, { token: bobToken, body: { text: 'Bob here.' } });
    assert.equal(sent.status, 201);
    assert.equal((await delivered).text, 'Bob here.');
    const resolved = await api(url, `/api/agent/conversations/${id}/resolve`, { token: bobToken, body: {} });
    assert.equal(resolved.body.conversation.status, 'resolved');
    const again = await api(url, `/api/agent/conversations/${id}/hand-back`, { token: bobToken, body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'INVALID_TRANSITION');

    const transcript = await api(url, `/api/agent/conversations/${id}`, { token: annToken });
    const [first, handoff, agentReply] = transcript.body.conversation.messages;
    assert.equal(first.role, 'visitor');
    assert.equal(handoff.source, 'handoff');
    assert.equal(handoff.intent, 'contact_human_agent');
    assert.ok(handoff.confidence > 0 && handoff.confidence <= 1);
    assert.ok(handoff.modelVersion?.name, 'the model version that answered');
    assert.deepEqual(agentReply.agent.name, 'Bob');

    assert.equal((await api(url, '/api/agent/conversations/not-a-uuid', { token: annToken })).status, 400);
    assert.equal((await api(url, '/api/agent/conversations/00000000-0000-4000-8000-000000000000', { token: annToken })).status, 404);
  });
});

describe('review and corrections', () => {
  test('conversations are filtered and searched over the API', async () => {
    const handed = await api(url, '/api/agent/conversations?handedOver=true&limit=100', { token: annToken });
    assert.ok(handed.body.conversations.length >= 2);
    assert.ok(handed.body.conversations.every((entry: any) => entry.flags.handedOver));
    const search = await api(url, `/api/agent/conversations?q=${encodeURIComponent('talk person')}`, { token: annToken });
    assert.ok(search.body.conversations.length >= 2);
    assert.ok(search.body.conversations[0].match.segments.some((segment: any) => segment.hit));
    const none = await api(url, '/api/agent/conversations?status=resolved&q=zzzzqqq', { token: annToken });
    assert.deepEqual(none.body.conversations, []);
    assert.equal((await api(url, '/api/agent/conversations?status=nonsense', { token: annToken })).body.error.code, 'INVALID_PAYLOAD');
  });

  test('a correction made in the API lands in the next training set', async () => {
    const visitor = env.track(await connectVisitor(url));
    const { ack } = await ask(visitor.socket, 'my parcel arrived broken and wet');
    const intents = await api(url, '/api/agent/intents', { token: annToken });
    assert.ok(intents.body.intents.some((intent: any) => intent.name === 'oos'));
    assert.ok(intents.body.intents.some((intent: any) => intent.name === 'contact_human_agent'));

    const bad = await api(url, `/api/agent/messages/${ack.messageId}/label`, { token: annToken, method: 'PUT', body: { intent: 'made_up' } });
    assert.equal(bad.body.error.code, 'UNKNOWN_INTENT');
    const label = await api(url, `/api/agent/messages/${ack.messageId}/label`, { token: annToken, method: 'PUT', body: { intent: 'complaint' } });
    assert.equal(label.status, 200);
    assert.equal(label.body.label.intent, 'complaint');

    const examples = await labelledExamples(prisma);
    assert.deepEqual(examples.at(-1), { text: 'my parcel arrived broken and wet', intent: 'complaint' });
    const viaApi = await api(url, '/api/agent/training-examples', { token: adminToken });
    assert.deepEqual(viaApi.body.examples.at(-1), { text: 'my parcel arrived broken and wet', intent: 'complaint' });
    // What the next training run trains on: the catalogue plus the corrections.
    const trainingSet = await currentTrainingSet(prisma, await loadCatalogue('intents'));
    assert.ok(trainingSet.some((example) => example.text === 'my parcel arrived broken and wet' && example.intent === 'complaint'));

    // Out of scope over the socket, from another visitor: the first one's complaint went to a person, and the bot stays silent there.
    const other = env.track(await connectVisitor(url));
    const { ack: offTopic } = await ask(other.socket, 'what do penguins eat');
    const agent = env.track(await connectAgent(url, { token: annToken }));
    const corrected = await request(agent.socket, 'correct', { messageId: offTopic.messageId, intent: 'oos' });
    assert.equal(corrected.ok, true);
    assert.deepEqual((await labelledExamples(prisma)).at(-1), { text: 'what do penguins eat', intent: 'oos' });
    const labelsOf = async (conversationId: string) =>
      (await request(agent.socket, 'transcript', { conversationId })).conversation.messages.filter((m: any) => m.label).map((m: any) => m.label.intent);
    assert.deepEqual(await labelsOf(visitor.session.conversationId), ['complaint']);
    assert.deepEqual(await labelsOf(other.session.conversationId), ['oos']);
  });

  test('visitor thumbs and CSAT show in the transcript and the negative-feedback filter', async () => {
    const visitor = env.track(await connectVisitor(url));
    const { reply } = await ask(visitor.socket, 'I want to track my order, where is my package?');
    assert.equal((await request(visitor.socket, 'feedback', { messageId: reply.messageId, rating: 'down' })).ok, true);
    const transcript = await api(url, `/api/agent/conversations/${visitor.session.conversationId}`, { token: annToken });
    assert.equal(transcript.body.conversation.messages[1].feedback.rating, 'down');
    const negative = await api(url, '/api/agent/conversations?negativeFeedback=1', { token: annToken });
    assert.ok(negative.body.conversations.some((entry: any) => entry.id === visitor.session.conversationId));

    // The end-of-chat score is shown too.
    assert.equal((await request(visitor.socket, 'csat', { score: 2 })).ok, true);
    const rated = await api(url, `/api/agent/conversations/${visitor.session.conversationId}`, { token: annToken });
    assert.equal(rated.body.conversation.csat, 2);
  });

  test('unknown socket events and bad payloads get stable error codes', async () => {
    const agent = env.track(await connectAgent(url, { token: annToken }));
    assert.equal((await request(agent.socket, 'take_over', { conversationId: 'nope' })).error.code, 'INVALID_PAYLOAD');
    assert.equal((await request(agent.socket, 'fly_to_moon', {})).error.code, 'UNKNOWN_EVENT');
    assert.equal((await request(agent.socket, 'take_over', { conversationId: '00000000-0000-4000-8000-000000000000' })).error.code, 'NOT_FOUND');
  });
});

describe('console page', () => {
  test('/console serves the page, its script and the Socket.IO client, with security headers', async () => {
    const page = await fetch(`${url}/console`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script src="\/console\/app\.js"/);
    for (const path of ['/console/', '/console/app.js', '/console/console.css', '/console/vendor/socket.io.min.js']) {
      assert.equal((await fetch(`${url}${path}`)).status, 200, path);
    }
    assert.equal((await fetch(`${url}/console/../package.json`)).status, 404);
    assert.equal((await fetch(`${url}/console/nope.js`)).status, 404);
  });
});
