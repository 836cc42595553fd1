// Issue 14, findings 10 and 11: control characters in what agents and visitors send. A NUL (which
// Postgres text cannot hold) in an agent's reply or clientId is an invalid payload, as on the
// visitor's path, not an internal error; \u0002/\u0003 in a visitor's text (the search's own
// highlight markers) must not fake highlights in the console's search results.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ask, connectVisitor, request } from '../helpers/server.ts';
import { api, connectAgent, startAgentTestServer, type AgentTestServer } from './helpers.ts';

let env: AgentTestServer;
let token: string;

before(async () => {
  env = await startAgentTestServer([{ email: 'ann@example.com', name: 'Ann', password: 'ann password 1' }]);
  token = env.tokens[0]!;
});

after(() => env?.close());

describe('a NUL character in an agent’s reply', () => {
  test('is an invalid payload over HTTP and over the socket, and nothing is stored', async () => {
    const visitor = env.track(await connectVisitor(env.url));
    assert.equal((await ask(visitor.socket, 'I want to talk to a person')).reply.source, 'handoff');
    const conversationId = visitor.session.conversationId;
    assert.equal((await api(env.url, `/api/agent/conversations/${conversationId}/take-over`, { token, body: {} })).status, 200);
    const agent = env.track(await connectAgent(env.url, { token }));

    const payloads = [{ text: 'your refund\u0000is on its way' }, { text: 'your refund is on its way', clientId: 'reply\u00001' }];
    for (const payload of payloads) {
      const overHttp = await api(env.url, `/api/agent/conversations/${conversationId}/messages`, { token, body: payload });
      assert.equal(overHttp.status, 400, JSON.stringify(overHttp.body));
      assert.equal(overHttp.body.error.code, 'INVALID_PAYLOAD');
      const overSocket = await request(agent.socket, 'reply', { conversationId, ...payload });
      assert.equal(overSocket.ok, false);
      assert.equal(overSocket.error.code, 'INVALID_PAYLOAD', JSON.stringify(overSocket));
    }
    assert.equal(await env.prisma.message.count({ where: { conversationId, role: 'agent' } }), 0);
    // The same reply without the NUL goes through.
    assert.equal((await request(agent.socket, 'reply', { conversationId, text: 'your refund is on its way', clientId: 'reply-1' })).ok, true);
  });

  test('anywhere else an agent writes (sign-in, search) it is an invalid payload too', async () => {
    const signIn = await api(env.url, '/api/agent/login', { body: { email: 'ann\u0000@example.com', password: 'ann password 1' } });
    assert.equal(signIn.status, 400, JSON.stringify(signIn.body));
    assert.equal(signIn.body.error.code, 'INVALID_PAYLOAD');
    const search = await api(env.url, `/api/agent/conversations?q=${encodeURIComponent('退款\u0000')}`, { token });
    assert.equal(search.status, 400, JSON.stringify(search.body));
    const agent = env.track(await connectAgent(env.url, { token }));
    const overSocket = await request(agent.socket, 'conversations', { q: '退款\u0000' });
    assert.equal(overSocket.error?.code, 'INVALID_PAYLOAD', JSON.stringify(overSocket));
  });
});

describe('search highlights', () => {
  test('only the searched words are highlighted, whatever control characters the visitor wrote', async () => {
    const visitor = env.track(await connectVisitor(env.url));
    await ask(visitor.socket, 'my parcel \u0002click here to verify your card\u0003 never arrived');
    const found = await api(env.url, '/api/agent/conversations?q=parcel', { token });
    assert.equal(found.status, 200);
    const match = found.body.conversations.find((summary: any) => summary.id === visitor.session.conversationId)?.match;
    assert.ok(match, JSON.stringify(found.body));
    const hits = match.segments.filter((segment: any) => segment.hit).map((segment: any) => segment.text);
    assert.deepEqual(hits, ['parcel']);
    assert.ok(match.segments.every((segment: any) => !/[\u0002\u0003]/.test(segment.text)), JSON.stringify(match.segments));
  });
});
