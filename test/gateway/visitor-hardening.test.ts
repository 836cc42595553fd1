// Issue 14, the visitor side of the gateway: connecting writes nothing (7), client ids are
// well-formed (9), the frame cap and visitor token expiry and revocation (15), handshake rate limit (7).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../src/config/config.ts';
import type { RunningServer } from '../../src/server.ts';
import { ChatStore } from '../../src/store/chat-store.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { maxFrameBytes } from '../../src/gateway/protocol.ts';
import { VisitorTokens } from '../../src/gateway/visitor-token.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, nextEvent, queryEmbedded, request, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';

const dataDir = temporaryDirectory();
const SECRET_KEY = 's'.repeat(40);
const DAY_MS = 86_400_000;
// MESSAGE_BURST 5: 100 handshakes per address and minute; the limit test below, last, reaches it.
const ENV = { SECRET_KEY, MESSAGE_BURST: '5', MESSAGES_PER_SECOND: '5' };
let server: RunningServer;
let config: Config;
let prisma: PrismaClient;

const sql = (text: string, values: unknown[] = []) => queryEmbedded(dataDir.path, text, values);
const rows = async () => ({
  visitors: (await sql('SELECT count(*)::int AS n FROM "Visitor"'))[0].n as number,
  conversations: (await sql('SELECT count(*)::int AS n FROM "Conversation"'))[0].n as number,
});
const visitorIdOf = (token: string) => token.split('.')[1]!;

async function withVisitor<T>(connecting: Promise<VisitorConnection>, use: (visitor: VisitorConnection) => Promise<T>): Promise<T> {
  const visitor = await connecting;
  try {
    return await use(visitor);
  } finally {
    visitor.socket.close();
  }
}

before(async () => {
  ({ server, config } = await startTestServer({ DATA_DIR: dataDir.path, ...ENV }));
  prisma = createPrismaClient(embeddedDatabaseUrl(dataDir.path));
});

after(async () => {
  await prisma?.$disconnect();
  await server?.close();
  dataDir.remove();
});

describe('a connection writes nothing until the first message', () => {
  test('50 handshakes without a token create no row; the first message creates one visitor and one conversation', async () => {
    const before = await rows();
    const visitors = await Promise.all(Array.from({ length: 50 }, () => connectVisitor(server.url)));
    const [first, ...rest] = visitors;
    for (const { socket } of rest) socket.close();
    assert.equal(new Set(visitors.map(({ session }) => session.conversationId)).size, 50, 'every visitor has its own conversation id');
    assert.deepEqual(await rows(), before);

    const { socket, session } = first!;
    try {
      // What a client does before its first message: read the (empty) history, rate a message that is not there.
      assert.deepEqual(await request(socket, 'history'), { ok: true, conversationId: session.conversationId, messages: [] });
      assert.equal((await request(socket, 'feedback', { messageId: randomUUID(), rating: 'up' })).error.code, 'UNKNOWN_MESSAGE');
      assert.deepEqual(await rows(), before);

      const { ack, reply } = await ask(socket, 'where is my order');
      assert.equal(ack.conversationId, session.conversationId);
      assert.equal(reply.intent, 'track_order');
      assert.deepEqual(await rows(), { visitors: before.visitors + 1, conversations: before.conversations + 1 });
      const [conversation] = await sql('SELECT "visitorId" FROM "Conversation" WHERE id = $1', [session.conversationId]);
      assert.equal(conversation.visitorId, visitorIdOf(session.visitorToken));
      assert.deepEqual((await request(socket, 'feedback', { messageId: reply.messageId, rating: 'up' })), { ok: true });
    } finally {
      socket.close();
    }

    // Reconnecting with the token resumes the stored conversation.
    await withVisitor(connectVisitor(server.url, { visitorToken: session.visitorToken }), async (again) => {
      assert.equal(again.session.conversationId, session.conversationId);
      assert.deepEqual((await request(again.socket, 'history')).messages.map((message: any) => message.role), ['visitor', 'bot']);
    });
  });

  test('two tabs that connect before the first message share one conversation', async () => {
    await withVisitor(connectVisitor(server.url), (tab1) =>
      withVisitor(connectVisitor(server.url, { visitorToken: tab1.session.visitorToken }), async (tab2) => {
        assert.equal(tab2.session.conversationId, tab1.session.conversationId);
        const seenByTab1 = nextEvent(tab1.socket, 'reply');
        const { reply } = await ask(tab2.socket, 'how long does delivery take?');
        assert.equal((await seenByTab1).messageId, reply.messageId);
        const { ack } = await ask(tab1.socket, 'thank you');
        assert.equal(ack.conversationId, tab1.session.conversationId);
        const conversations = await sql('SELECT id FROM "Conversation" WHERE "visitorId" = $1', [visitorIdOf(tab1.session.visitorToken)]);
        assert.deepEqual(conversations.map((row) => row.id), [tab1.session.conversationId]);
      }),
    );
  });

  test('rating a chat without messages stores the score, and the next connection starts a new conversation', async () => {
    const first = await withVisitor(connectVisitor(server.url), async ({ socket, session }) => {
      assert.deepEqual(await request(socket, 'csat', { score: 5 }), { ok: true });
      return session;
    });
    const [row] = await sql('SELECT csat, status FROM "Conversation" WHERE id = $1', [first.conversationId]);
    assert.deepEqual(row, { csat: 5, status: 'resolved' });
    await withVisitor(connectVisitor(server.url, { visitorToken: first.visitorToken }), async ({ session }) => {
      assert.notEqual(session.conversationId, first.conversationId);
    });
  });
});

describe('client ids', () => {
  test('an id with a lone surrogate is refused; well-formed ids that differ stay distinct', async () => {
    await withVisitor(connectVisitor(server.url), async ({ socket }) => {
      // Postgres would store both as `surr\uFFFD`: the second message was answered `duplicate: true` and dropped.
      for (const clientId of ['surr\uDC00', 'surr\uDC01', '\uD800', 'a\uD83Db']) {
        const ack = await request(socket, 'message', { clientId, text: 'hello' });
        assert.equal(ack.error?.code, 'INVALID_PAYLOAD', JSON.stringify(clientId));
      }
      assert.equal((await request(socket, 'message', { clientId: 'x'.repeat(129), text: 'hello' })).error?.code, 'INVALID_PAYLOAD');
      const first = await request(socket, 'message', { clientId: 'surr😀', text: 'where is my order' });
      const second = await request(socket, 'message', { clientId: 'surr😁', text: 'how do I get a refund' });
      assert.equal(first.ok, true);
      assert.equal(second.ok, true);
      assert.equal(second.duplicate, false);
      assert.notEqual(second.messageId, first.messageId);
    });
  });
});

describe('the Socket.IO frame cap', () => {
  test('the largest legal message fits; a longer text within the cap gets TEXT_TOO_LONG; a bigger frame closes only that connection', async () => {
    const cap = maxFrameBytes(config.maxMessageChars);
    assert.ok(cap < 64 * 1024, `cap ${cap} bytes`);
    await withVisitor(connectVisitor(server.url), async ({ socket }) => {
      // Control characters are the worst case: JSON writes each as \uXXXX.
      const largest = await request(socket, 'message', { clientId: '\u0001'.repeat(128), text: '\u0001'.repeat(config.maxMessageChars) });
      assert.equal(largest.ok, true, JSON.stringify(largest.error));
      const tooLong = await request(socket, 'message', { clientId: 'too-long', text: 'x'.repeat(config.maxMessageChars * 3) });
      assert.equal(tooLong.error?.code, 'TEXT_TOO_LONG');

      const bystander = await connectVisitor(server.url);
      try {
        const closed = nextEvent(socket, 'disconnect');
        socket.emit('message', { clientId: 'huge', text: 'x'.repeat(cap) }, () => assert.fail('a frame over the cap must not be answered'));
        assert.equal(await closed, 'transport close');
        const { ack } = await ask(bystander.socket, 'where is my order');
        assert.equal(ack.ok, true);
      } finally {
        bystander.socket.close();
      }
    });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

describe('visitor tokens', () => {
  const issuedDaysAgo = (days: number, visitorId: string) =>
    new VisitorTokens(SECRET_KEY, { ttlDays: config.visitorTokenTtlDays, now: () => Date.now() - days * DAY_MS }).issue(visitorId).token;

  test('every connection hands out a renewed token; a token unused for longer than the TTL gets INVALID_TOKEN', async () => {
    const visitorId = await withVisitor(connectVisitor(server.url), async ({ socket, session }) => {
      await ask(socket, 'where is my order');
      return visitorIdOf(session.visitorToken);
    });
    const oldToken = issuedDaysAgo(config.visitorTokenTtlDays - 1, visitorId);
    const renewed = await withVisitor(connectVisitor(server.url, { visitorToken: oldToken }), async ({ session }) => session.visitorToken);
    assert.notEqual(renewed, oldToken);
    assert.equal(visitorIdOf(renewed), visitorId);
    const issuedAt = Number(renewed.split('.')[3]) * 1000;
    assert.ok(Math.abs(Date.now() - issuedAt) < 60_000, 'the renewed token is issued now');

    await assert.rejects(connectVisitor(server.url, { visitorToken: issuedDaysAgo(config.visitorTokenTtlDays + 1, visitorId) }), (error: any) => error.data?.code === 'INVALID_TOKEN');
  });

  test('revoked tokens get INVALID_TOKEN, also those of a visitor who never sent a message', async () => {
    const store = new ChatStore(prisma);
    const talked = await withVisitor(connectVisitor(server.url), async ({ socket, session }) => (await ask(socket, 'where is my order'), session));
    const silent = await withVisitor(connectVisitor(server.url), async ({ session }) => session);
    for (const { visitorToken } of [talked, silent]) {
      await store.revokeVisitorTokens(visitorIdOf(visitorToken));
      await assert.rejects(connectVisitor(server.url, { visitorToken }), (error: any) => {
        assert.equal(error.data?.code, 'INVALID_TOKEN');
        return true;
      });
    }
    // Starting afresh without a token works.
    await withVisitor(connectVisitor(server.url), async ({ session }) => assert.notEqual(visitorIdOf(session.visitorToken), visitorIdOf(talked.visitorToken)));
  });
});

describe('handshake rate limit', () => {
  test('handshakes from one address beyond the limit get connect_error RATE_LIMITED', async () => {
    const limit = Number(ENV.MESSAGE_BURST) * 20;
    let refusal: any = null;
    for (let attempt = 0; attempt <= limit && !refusal; attempt++) {
      await connectVisitor(server.url).then(({ socket }) => socket.close(), (error) => (refusal = error));
    }
    assert.ok(refusal, `no refusal within ${limit + 1} handshakes`);
    assert.equal(refusal.message, 'RATE_LIMITED');
    assert.equal(refusal.data?.code, 'RATE_LIMITED');
    await assert.rejects(connectVisitor(server.url), (error: any) => error.data?.code === 'RATE_LIMITED');
  });
});
