// Issue 14, finding 2: an open `/agent` socket must not outlive the rights it was opened with. A
// password change, a role change, a disabled account or a logout closes the agent's sockets, and
// every socket request is decided on the agent's rights as they are now, like an HTTP request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import { ask, connectVisitor, request } from '../helpers/server.ts';
import { api, connectAgent, login, startAgentTestServer, type AgentTestServer } from './helpers.ts';

let env: AgentTestServer;
let adminToken: string;

const ann = { email: 'ann@example.com', name: 'Ann', password: 'ann password 1' };
const bob = { email: 'bob@example.com', name: 'Bob', password: 'bob password 1' };
const dee = { email: 'dee@example.com', name: 'Dee', password: 'dee password 1', role: 'admin' as const };

before(async () => {
  env = await startAgentTestServer([{ email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' }, ann, bob, dee]);
  adminToken = env.tokens[0]!;
});

after(() => env?.close());

async function agentId(email: string): Promise<string> {
  return (await env.prisma.agent.findUniqueOrThrow({ where: { email } })).id;
}

/** A visitor whose conversation waits for an agent. */
async function waitingVisitor() {
  const visitor = env.track(await connectVisitor(env.url));
  const { reply } = await ask(visitor.socket, 'I want to talk to a person');
  assert.equal(reply.source, 'handoff');
  return visitor;
}

/** The reason the server gives when it closes the socket; fails after 10 s. */
function closed(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket stayed open')), 10_000);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

function patchAgent(id: string, body: Record<string, unknown>) {
  return api(env.url, `/api/agent/agents/${id}`, { token: adminToken, method: 'PATCH', body });
}

describe('changes that take rights away close the agent’s open sockets', () => {
  test('a password change: the old session’s socket is closed and cannot connect again; its replies never reach the visitor', async () => {
    const token = await login(env.url, ann.email, ann.password);
    const agent = env.track(await connectAgent(env.url, { token }));
    const visitor = await waitingVisitor();
    const conversationId = visitor.session.conversationId;
    assert.equal((await request(agent.socket, 'take_over', { conversationId })).ok, true);

    const replies: any[] = [];
    visitor.socket.on('reply', (reply: any) => replies.push(reply));
    const dropped = closed(agent.socket);
    assert.equal((await patchAgent(await agentId(ann.email), { password: 'a brand new password' })).status, 200);
    assert.equal(await dropped, 'io server disconnect');
    assert.equal((await api(env.url, '/api/agent/queue', { token })).status, 401);
    await assert.rejects(connectAgent(env.url, { token }), (error: any) => error.data?.code === 'UNAUTHORIZED');
    // Nothing the old session sent reached the visitor.
    assert.deepEqual(replies.filter((reply) => reply.source === 'agent'), []);
  });

  test('a demotion: the socket is closed; reconnected, the agent has the new role and cannot take a colleague’s conversation', async () => {
    const token = await login(env.url, dee.email, dee.password);
    const admin = env.track(await connectAgent(env.url, { token }));
    assert.equal(admin.hello.agent.role, 'admin');
    const visitor = await waitingVisitor();
    const conversationId = visitor.session.conversationId;
    const bobToken = await login(env.url, bob.email, bob.password);
    assert.equal((await api(env.url, `/api/agent/conversations/${conversationId}/take-over`, { token: bobToken, body: {} })).status, 200);

    const dropped = closed(admin.socket);
    assert.equal((await patchAgent(await agentId(dee.email), { role: 'agent' })).body.agent.role, 'agent');
    await dropped;
    // The session itself is still valid: the same token connects again, as an agent now.
    const again = env.track(await connectAgent(env.url, { token }));
    assert.equal(again.hello.agent.role, 'agent');
    const refused = await request(again.socket, 'take_over', { conversationId });
    assert.equal(refused.error?.code, 'HELD_BY_OTHER');
    assert.equal((await api(env.url, `/api/agent/conversations/${conversationId}/take-over`, { token, body: {} })).status, 409);
    assert.equal((await env.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).assigneeId, await agentId(bob.email));
  });

  test('a disabled account and a logout close the sockets too', async () => {
    const created = await api(env.url, '/api/agent/agents', { token: adminToken, body: { email: 'eve@example.com', name: 'Eve', password: 'eve password 1' } });
    const eveToken = await login(env.url, 'eve@example.com', 'eve password 1');
    const eve = env.track(await connectAgent(env.url, { token: eveToken }));
    const eveDropped = closed(eve.socket);
    assert.equal((await patchAgent(created.body.agent.id, { disabled: true })).status, 200);
    await eveDropped;

    const first = await login(env.url, bob.email, bob.password);
    const second = await login(env.url, bob.email, bob.password);
    const loggingOut = env.track(await connectAgent(env.url, { token: first }));
    const staying = env.track(await connectAgent(env.url, { token: second }));
    const dropped = closed(loggingOut.socket);
    assert.equal((await api(env.url, '/api/agent/logout', { token: first, method: 'POST', body: {} })).status, 200);
    await dropped;
    // Only that session's sockets: the agent's other session goes on.
    assert.equal((await request(staying.socket, 'queue')).ok, true);
  });
});

describe('every socket request checks the agent’s rights as they are now', () => {
  // Changed straight in Postgres, as another process or the CLI would: no socket is told, and the
  // next request still sees the change.
  test('a session revoked behind the socket’s back: the next request is refused and the socket closed', async () => {
    const token = await login(env.url, bob.email, bob.password);
    const agent = env.track(await connectAgent(env.url, { token }));
    assert.equal((await request(agent.socket, 'queue')).ok, true);
    const session = await env.prisma.agentSession.findFirstOrThrow({ where: { agentId: await agentId(bob.email), revokedAt: null }, orderBy: { createdAt: 'desc' } });
    await env.prisma.agentSession.update({ where: { id: session.id }, data: { revokedAt: new Date() } });

    const dropped = closed(agent.socket);
    const queue = await request(agent.socket, 'queue');
    assert.equal(queue.ok, false);
    assert.equal(queue.error.code, 'UNAUTHORIZED');
    await dropped;
  });

  test('a role taken away behind the socket’s back: taking over a colleague’s conversation is refused, as over HTTP', async () => {
    await env.prisma.agent.update({ where: { email: dee.email }, data: { role: 'admin' } });
    const token = await login(env.url, dee.email, dee.password);
    const admin = env.track(await connectAgent(env.url, { token }));
    assert.equal(admin.hello.agent.role, 'admin');
    const visitor = await waitingVisitor();
    const conversationId = visitor.session.conversationId;
    const bobToken = await login(env.url, bob.email, bob.password);
    assert.equal((await api(env.url, `/api/agent/conversations/${conversationId}/take-over`, { token: bobToken, body: {} })).status, 200);

    await env.prisma.agent.update({ where: { email: dee.email }, data: { role: 'agent' } });
    assert.equal((await api(env.url, `/api/agent/conversations/${conversationId}/take-over`, { token, body: {} })).status, 409);
    const refused = await request(admin.socket, 'take_over', { conversationId });
    assert.equal(refused.error?.code, 'HELD_BY_OTHER');
    // And the transcript offers no transfer any more.
    const transcript = await request(admin.socket, 'transcript', { conversationId });
    assert.ok(!transcript.conversation.actions.includes('take_over'), JSON.stringify(transcript.conversation.actions));
  });
});
