// Agents' tools over the real server (issue 20): canned replies with variables, internal notes that
// never reach the visitor, attachments (type by content, size limit, signed URLs, who may read them),
// typing indicators both ways, and an erasure that removes notes and files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { ask, connectVisitor, nextEvent, queryEmbedded, request } from '../helpers/server.ts';
import { api, connectAgent, startAgentTestServer, type AgentTestServer } from './../agents/helpers.ts';
import { PNG_BYTES } from './files.ts';

let env: AgentTestServer;
let url: string;
let prisma: PrismaClient;
let annToken: string;
let bobToken: string;
let adminToken: string;

before(async () => {
  env = await startAgentTestServer(
    [
      { email: 'ann@example.com', name: 'Ann', password: 'ann password 1' },
      { email: 'bob@example.com', name: 'Bob', password: 'bob password 1' },
      { email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' },
    ],
    { ATTACHMENT_MAX_BYTES: '2048' },
  );
  ({ url, prisma } = env);
  [annToken, bobToken, adminToken] = env.tokens as [string, string, string];
});

after(() => env?.close());

async function upload(path: string, token: string, bytes: Uint8Array<ArrayBuffer>, fileName = 'photo.png') {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(fileName) },
    body: bytes,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** A visitor handed over to Ann, who holds the conversation now. */
async function heldByAnn(name = 'Vera Visitor') {
  const visitor = env.track(await connectVisitor(url, { name }));
  await ask(visitor.socket, 'I want to talk to a person');
  const take = await api(url, `/api/agent/conversations/${visitor.session.conversationId}/take-over`, { token: annToken, body: {} });
  assert.equal(take.status, 200, JSON.stringify(take.body));
  return visitor;
}

describe('canned replies', () => {
  test('shared ones are admins’ to manage, personal ones the agent’s own; /shortcut fills in the variables', async () => {
    const refused = await api(url, '/api/agent/canned-replies', { token: annToken, body: { shortcut: 'hello', text: 'Hi', shared: true } });
    assert.equal(refused.status, 403);
    const shared = await api(url, '/api/agent/canned-replies', { token: adminToken, body: { shortcut: 'hello', text: 'Hello {{visitor_name}}, {{agent_name}} here.', shared: true } });
    assert.equal(shared.status, 201, JSON.stringify(shared.body));
    const duplicate = await api(url, '/api/agent/canned-replies', { token: adminToken, body: { shortcut: 'HELLO', text: 'again', shared: true } });
    assert.equal(duplicate.body.error.code, 'SHORTCUT_EXISTS');
    const own = await api(url, '/api/agent/canned-replies', { token: annToken, body: { shortcut: 'order', text: 'Your order {{order_number}} is on its way.' } });
    assert.equal(own.status, 201);

    const annList = await api(url, '/api/agent/canned-replies', { token: annToken });
    assert.deepEqual(annList.body.cannedReplies.map((reply: any) => [reply.shortcut, reply.shared, reply.editable]), [['hello', true, false], ['order', false, true]]);
    const bobList = await api(url, '/api/agent/canned-replies', { token: bobToken });
    assert.deepEqual(bobList.body.cannedReplies.map((reply: any) => reply.shortcut), ['hello']);
    // Bob cannot change Ann's own, Ann cannot change a shared one.
    assert.equal((await api(url, `/api/agent/canned-replies/${own.body.cannedReply.id}`, { method: 'PATCH', token: bobToken, body: { text: 'x' } })).status, 404);
    assert.equal((await api(url, `/api/agent/canned-replies/${shared.body.cannedReply.id}`, { method: 'PATCH', token: annToken, body: { text: 'x' } })).status, 403);

    const visitor = await heldByAnn();
    const { conversationId } = visitor.session;
    const hello = await api(url, `/api/agent/conversations/${conversationId}/canned-replies/hello`, { token: annToken });
    assert.equal(hello.body.text, 'Hello Vera Visitor, Ann here.');
    assert.deepEqual(hello.body.missing, []);
    const order = await api(url, `/api/agent/conversations/${conversationId}/canned-replies/order`, { token: annToken });
    assert.equal(order.body.text, 'Your order  is on its way.');
    assert.deepEqual(order.body.missing, ['order_number']);
    // A slot of the conversation's form fills it.
    await queryEmbedded(env.dataDir, `UPDATE "Conversation" SET form = $1::jsonb WHERE id = $2::uuid`, [JSON.stringify({ intent: 'order_status', slots: { order_number: '48213' }, asking: null, asks: {} }), conversationId]);
    const filled = await api(url, `/api/agent/conversations/${conversationId}/canned-replies/order`, { token: annToken });
    assert.equal(filled.body.text, 'Your order 48213 is on its way.');
    assert.equal((await api(url, `/api/agent/conversations/${conversationId}/canned-replies/nothing`, { token: annToken })).status, 404);
  });
});

describe('internal notes', () => {
  test('agents see notes live; the visitor never does, and no message or training row holds them', async () => {
    const visitor = await heldByAnn();
    const { conversationId } = visitor.session;
    const bob = await connectAgent(url, { token: bobToken });
    env.sockets.push(bob.socket);
    await request(bob.socket, 'transcript', { conversationId });
    const seenByBob = nextEvent(bob.socket, 'note');
    const heardByVisitor: unknown[] = [];
    visitor.socket.onAny((event, payload) => heardByVisitor.push([event, payload]));

    const added = await api(url, `/api/agent/conversations/${conversationId}/notes`, { token: annToken, body: { text: 'VIP customer, secret note 7731' } });
    assert.equal(added.status, 201);
    assert.equal((await seenByBob).text, 'VIP customer, secret note 7731');
    const notes = await api(url, `/api/agent/conversations/${conversationId}/notes`, { token: bobToken });
    assert.deepEqual(notes.body.notes.map((note: any) => [note.text, note.agent.name]), [['VIP customer, secret note 7731', 'Ann']]);

    const history = await request(visitor.socket, 'history', {});
    assert.ok(!JSON.stringify(history).includes('7731'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!JSON.stringify(heardByVisitor).includes('7731'));
    const messages = await queryEmbedded(env.dataDir, `SELECT count(*)::int AS n FROM "Message" WHERE text LIKE '%7731%'`);
    assert.equal(messages[0].n, 0);
    const examples = await api(url, '/api/agent/training-examples', { token: adminToken });
    assert.ok(!JSON.stringify(examples.body).includes('7731'));
    assert.equal((await api(url, `/api/agent/conversations/${conversationId}/notes`, { token: annToken, body: { text: '   ' } })).body.error.code, 'TEXT_EMPTY');
  });
});

describe('attachments', () => {
  test('a visitor uploads an image: checked by content, signed URL for them and for agents, served safely', async () => {
    const visitor = await heldByAnn();
    const { conversationId, visitorToken } = visitor.session;
    const ann = await connectAgent(url, { token: annToken });
    env.sockets.push(ann.socket);
    await request(ann.socket, 'transcript', { conversationId });
    const seenByAnn = nextEvent(ann.socket, 'attachment');
    const seenByVisitor = nextEvent(visitor.socket, 'attachment');

    const sent = await upload(`/api/chat/conversations/${conversationId}/attachments`, visitorToken, PNG_BYTES, '../../etc/my "cat".png');
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const attachment = sent.body.attachment;
    assert.equal(attachment.contentType, 'image/png');
    assert.equal(attachment.fileName, 'my cat.png');
    assert.equal(attachment.role, 'visitor');
    assert.equal((await seenByAnn).id, attachment.id);
    assert.equal((await seenByVisitor).id, attachment.id);

    const listed = await api(url, `/api/agent/conversations/${conversationId}/attachments`, { token: bobToken });
    assert.equal(listed.body.attachments.length, 1);
    const file = await fetch(`${url}${listed.body.attachments[0].url}`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'image/png');
    assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
    assert.match(file.headers.get('content-disposition') ?? '', /^inline; filename="my cat.png"/);
    assert.match(file.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.deepEqual(new Uint8Array(await file.arrayBuffer()), PNG_BYTES);

    // Without a valid signature, or with one for another file, nothing.
    const bare = await fetch(`${url}/attachments/${attachment.id}`);
    assert.equal(bare.status, 404);
    const forged = attachment.url.replace(/sig=[^&]+/, 'sig=' + 'A'.repeat(43));
    assert.equal((await fetch(`${url}${forged}`)).status, 404);

    // Another visitor's token reads and writes nothing of this conversation; nor does no token.
    const stranger = env.track(await connectVisitor(url));
    await ask(stranger.socket, 'hello');
    const strangerList = await api(url, `/api/chat/conversations/${conversationId}/attachments`, { token: stranger.session.visitorToken });
    assert.equal(strangerList.body.error.code, 'UNKNOWN_CONVERSATION');
    assert.equal((await upload(`/api/chat/conversations/${conversationId}/attachments`, stranger.session.visitorToken, PNG_BYTES)).body.error.code, 'UNKNOWN_CONVERSATION');
    assert.equal((await api(url, `/api/chat/conversations/${conversationId}/attachments`)).body.error.code, 'INVALID_TOKEN');
    // An agent token is no visitor token, and the visitor token is no agent's.
    assert.equal((await api(url, `/api/agent/conversations/${conversationId}/attachments`, { token: visitorToken })).status, 401);
    const own = await api(url, `/api/chat/conversations/${conversationId}/attachments`, { token: visitorToken });
    assert.equal(own.body.attachments[0].id, attachment.id);
  });

  test('HTML named .png, an executable and an oversized file are refused with their codes', async () => {
    const visitor = await heldByAnn();
    const { conversationId, visitorToken } = visitor.session;
    const html = new TextEncoder().encode('<html><script>alert(1)</script></html>');
    const disguised = await upload(`/api/chat/conversations/${conversationId}/attachments`, visitorToken, html, 'cat.png');
    assert.equal(disguised.status, 415);
    assert.equal(disguised.body.error.code, 'ATTACHMENT_TYPE_REFUSED');
    const big = new Uint8Array(4096);
    big.set(PNG_BYTES);
    const oversized = await upload(`/api/chat/conversations/${conversationId}/attachments`, visitorToken, big);
    assert.equal(oversized.status, 413);
    assert.equal(oversized.body.error.code, 'ATTACHMENT_TOO_LARGE');
    const stored = await queryEmbedded(env.dataDir, `SELECT count(*)::int AS n FROM "Attachment" WHERE "conversationId" = $1::uuid`, [conversationId]);
    assert.equal(stored[0].n, 0);
  });

  test('only the agent holding the conversation sends a file, and the visitor hears of it', async () => {
    const visitor = await heldByAnn();
    const { conversationId } = visitor.session;
    const byBob = await upload(`/api/agent/conversations/${conversationId}/attachments`, bobToken, PNG_BYTES);
    assert.equal(byBob.body.error.code, 'NOT_ASSIGNEE');
    const heard = nextEvent(visitor.socket, 'attachment');
    const byAnn = await upload(`/api/agent/conversations/${conversationId}/attachments`, annToken, PNG_BYTES, 'label.png');
    assert.equal(byAnn.status, 201);
    const event = await heard;
    assert.equal(event.role, 'agent');
    assert.equal(event.agent.name, 'Ann');
    assert.equal((await fetch(`${url}${event.url}`)).status, 200);
  });
});

describe('the widget on other sites', () => {
  test('uploads are CORS-allowed for allowed origins only (unset: the server’s own)', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/api/chat/conversations/00000000-0000-4000-8000-000000000000/attachments`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-file-name' },
      });
    const own = await preflight(url);
    assert.equal(own.status, 204);
    assert.equal(own.headers.get('access-control-allow-origin'), url);
    assert.match(own.headers.get('access-control-allow-headers') ?? '', /X-File-Name/);
    const foreign = await preflight('https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });
});

describe('typing indicators', () => {
  test('a visitor’s typing reaches watching agents, an agent’s the widget, throttled', async () => {
    const visitor = await heldByAnn();
    const { conversationId } = visitor.session;
    const ann = await connectAgent(url, { token: annToken });
    env.sockets.push(ann.socket);
    await request(ann.socket, 'transcript', { conversationId });

    const seen: any[] = [];
    ann.socket.on('typing', (event) => seen.push(event));
    visitor.socket.emit('typing', { typing: true });
    visitor.socket.emit('typing', { typing: true }); // within the throttle: dropped
    await new Promise((resolve) => setTimeout(resolve, 300));
    visitor.socket.emit('typing', { typing: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(seen, [{ conversationId, role: 'visitor', typing: true }, { conversationId, role: 'visitor', typing: false }]);

    const heard = nextEvent(visitor.socket, 'typing');
    ann.socket.emit('typing', { conversationId, typing: true });
    assert.deepEqual(await heard, { conversationId, role: 'agent', agent: { name: 'Ann' }, typing: true });

    // An agent socket not watching the conversation types into nothing.
    const bob = await connectAgent(url, { token: bobToken });
    env.sockets.push(bob.socket);
    const stray: unknown[] = [];
    visitor.socket.on('typing', (event) => stray.push(event));
    bob.socket.emit('typing', { conversationId, typing: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(stray, []);
  });
});

describe('erasure', () => {
  test('the export lists the notes and files; erasing removes the notes, attachments and blobs; old URLs answer 404', async () => {
    const visitor = await heldByAnn();
    const { conversationId, visitorToken } = visitor.session;
    await api(url, `/api/agent/conversations/${conversationId}/notes`, { token: annToken, body: { text: 'to be erased' } });
    const sent = await upload(`/api/chat/conversations/${conversationId}/attachments`, visitorToken, PNG_BYTES);
    assert.equal(sent.status, 201);
    const exported = await api(url, `/api/agent/visitors/export?conversationId=${conversationId}`, { token: adminToken });
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    const [conversation] = exported.body.export.visitors[0].conversations.filter((entry: any) => entry.id === conversationId);
    assert.deepEqual(conversation.notes.map((note: any) => note.text), ['to be erased']);
    assert.deepEqual(conversation.attachments.map((file: any) => [file.role, file.contentType, file.size]), [['visitor', 'image/png', PNG_BYTES.length]]);
    const erased = await api(url, '/api/agent/visitors/erase', { token: adminToken, body: { conversationId } });
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    const count = async (table: string) => (await queryEmbedded(env.dataDir, `SELECT count(*)::int AS n FROM "${table}" WHERE "conversationId" = $1::uuid`, [conversationId]))[0].n;
    assert.equal(await count('ConversationNote'), 0);
    assert.equal(await count('Attachment'), 0);
    const blobs = await queryEmbedded(env.dataDir, `SELECT count(*)::int AS n FROM "AttachmentBlob" WHERE key LIKE $1`, [`attachments/${conversationId}/%`]);
    assert.equal(blobs[0].n, 0);
    assert.equal((await fetch(`${url}${sent.body.attachment.url}`)).status, 404);
    // Nothing is added to the erased conversation afterwards.
    assert.equal((await api(url, `/api/agent/conversations/${conversationId}/notes`, { token: annToken, body: { text: 'late' } })).status, 404);
  });
});
