import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Config } from '../../src/config/config.ts';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, nextEvent, queryEmbedded, request, startTestServer, temporaryDirectory } from '../helpers/server.ts';

const dataDir = temporaryDirectory();
const TEST_LIMITS = { MESSAGE_BURST: '20', MESSAGES_PER_SECOND: '10' };
let server: RunningServer;
let config: Config;

const sql = (text: string, values: unknown[] = []) => queryEmbedded(dataDir.path, text, values);

before(async () => {
  ({ server, config } = await startTestServer({ DATA_DIR: dataDir.path, ...TEST_LIMITS }));
});

after(async () => {
  await server?.close();
  dataDir.remove();
});


describe('chat round trip', () => {
  test('a visitor gets a session, an ack with a messageId and a templated reply', async () => {
    const { socket, session } = await connectVisitor(server.url);
    try {
      assert.match(session.visitorToken, /^v2\./);
      assert.match(session.conversationId, /^[0-9a-f-]{36}$/);
      const { ack, reply } = await ask(socket, 'I want to track my order, where is my package?');
      assert.equal(ack.ok, true);
      assert.equal(ack.conversationId, session.conversationId);
      assert.equal(reply.replyTo, ack.messageId);
      assert.equal(reply.conversationId, session.conversationId);
      assert.equal(reply.source, 'intent');
      assert.equal(reply.intent, 'track_order');
      assert.ok(reply.confidence > 0 && reply.confidence <= 1);
      assert.ok(reply.text.length > 10);

      const history = await request(socket, 'history');
      assert.equal(history.ok, true);
      assert.deepEqual(history.messages.map((m: any) => m.role), ['visitor', 'bot']);
      assert.equal(history.messages[0].messageId, ack.messageId);
      assert.equal(history.messages[1].intent, 'track_order');
    } finally {
      socket.close();
    }
  });

  test('the ack is sent only after the message is committed', async () => {
    const { socket } = await connectVisitor(server.url);
    const blocker = new pg.Client({ connectionString: embeddedDatabaseUrl(dataDir.path) });
    await blocker.connect();
    try {
      // Hold a lock that blocks every insert into Message: the server cannot commit, so it must not ack.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE "Message" IN EXCLUSIVE MODE');
      let acked: any = null;
      const pending = request(socket, 'message', { clientId: 'blocked-1', text: 'How do I get a refund?' }).then((ack) => (acked = ack));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(acked, null, 'no ack while the insert cannot commit');
      await blocker.query('COMMIT');
      const ack = await pending;
      assert.equal(ack.ok, true);
      const rows = await sql('SELECT id, text FROM "Message" WHERE id = $1', [ack.messageId]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].text, 'How do I get a refund?');
    } finally {
      await blocker.end();
      socket.close();
    }
  });

  test('a repeated clientId returns the same messageId and stores nothing new', async () => {
    const { socket, session } = await connectVisitor(server.url);
    try {
      const first = await request(socket, 'message', { clientId: 'same-key', text: 'cancel my order please' });
      const second = await request(socket, 'message', { clientId: 'same-key', text: 'cancel my order please' });
      const concurrent = await Promise.all([1, 2, 3].map(() => request(socket, 'message', { clientId: 'race-key', text: 'hello there' })));
      assert.equal(first.ok, true);
      assert.equal(second.messageId, first.messageId);
      assert.equal(second.duplicate, true);
      assert.equal(new Set(concurrent.map((ack) => ack.messageId)).size, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rows = await sql('SELECT "clientId", count(*)::int AS n FROM "Message" WHERE "conversationId" = $1 AND role = $2 GROUP BY "clientId"', [session.conversationId, 'visitor']);
      assert.deepEqual(Object.fromEntries(rows.map((row) => [row.clientId, row.n])), { 'same-key': 1, 'race-key': 1 });
      const replies = await sql('SELECT count(*)::int AS n FROM "Message" WHERE "replyToId" = $1', [first.messageId]);
      assert.equal(replies[0].n, 1, 'the resent message is answered once');
    } finally {
      socket.close();
    }
  });

  test('feedback on a bot reply is stored; on unknown or visitor messages it is refused', async () => {
    const { socket } = await connectVisitor(server.url);
    try {
      const { ack, reply } = await ask(socket, 'what payment methods do you accept');
      assert.deepEqual(await request(socket, 'feedback', { messageId: reply.messageId, rating: 'up' }), { ok: true });
      assert.deepEqual(await request(socket, 'feedback', { messageId: reply.messageId, rating: 'down' }), { ok: true });
      const rows = await sql('SELECT rating FROM "Feedback" WHERE "messageId" = $1', [reply.messageId]);
      assert.deepEqual(rows, [{ rating: 'down' }]);
      assert.equal((await request(socket, 'feedback', { messageId: ack.messageId, rating: 'up' })).error.code, 'UNKNOWN_MESSAGE');
      assert.equal((await request(socket, 'feedback', { messageId: '00000000-0000-0000-0000-000000000000', rating: 'up' })).error.code, 'UNKNOWN_MESSAGE');
      assert.equal((await request(socket, 'feedback', { messageId: 'not-a-uuid', rating: 'up' })).error.code, 'UNKNOWN_MESSAGE');
      assert.equal((await request(socket, 'feedback', { messageId: reply.messageId, rating: 'meh' })).error.code, 'INVALID_PAYLOAD');
    } finally {
      socket.close();
    }
  });
});

describe('end of chat', () => {
  test('a satisfaction score is stored, resolves the conversation, and the next connect starts a new one', async () => {
    const first = await connectVisitor(server.url);
    try {
      await ask(first.socket, 'thanks for your help');
      assert.equal((await request(first.socket, 'csat', { score: 9 })).error.code, 'INVALID_PAYLOAD');
      assert.equal((await request(first.socket, 'csat', { score: 4, conversationId: '00000000-0000-0000-0000-000000000000' })).error.code, 'UNKNOWN_CONVERSATION');
      assert.deepEqual(await request(first.socket, 'csat', { score: 4 }), { ok: true });
      const [row] = await sql('SELECT csat, status, "resolvedAt" FROM "Conversation" WHERE id = $1', [first.session.conversationId]);
      assert.equal(row.csat, 4);
      assert.equal(row.status, 'resolved');
      assert.ok(row.resolvedAt);
    } finally {
      first.socket.close();
    }
    const next = await connectVisitor(server.url, { visitorToken: first.session.visitorToken });
    next.socket.close();
    assert.notEqual(next.session.conversationId, first.session.conversationId);
  });
});

describe('resume', () => {
  test('reconnecting with the visitor token resumes the same conversation and its history', async () => {
    const first = await connectVisitor(server.url);
    const { ack } = await ask(first.socket, 'how long does delivery take?');
    first.socket.close();
    const again = await connectVisitor(server.url, { visitorToken: first.session.visitorToken });
    try {
      assert.equal(again.session.conversationId, first.session.conversationId);
      // The token is renewed at every connection, for the same visitor.
      assert.equal(again.session.visitorToken.split('.')[1], first.session.visitorToken.split('.')[1]);
      const history = await request(again.socket, 'history');
      assert.equal(history.messages[0].messageId, ack.messageId);
      assert.equal(history.messages.length, 2);
    } finally {
      again.socket.close();
    }
  });

  test('the conversation survives a full server restart', async () => {
    const first = await connectVisitor(server.url);
    const { ack, reply } = await ask(first.socket, 'I forgot my password');
    first.socket.close();
    await server.close();
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path, ...TEST_LIMITS }));
    const again = await connectVisitor(server.url, { visitorToken: first.session.visitorToken });
    try {
      assert.equal(again.session.conversationId, first.session.conversationId);
      const history = await request(again.socket, 'history');
      assert.deepEqual(history.messages.map((m: any) => m.messageId), [ack.messageId, reply.messageId]);
      // And the same clientId after the restart is still recognised.
      const resent = await request(again.socket, 'message', { clientId: 'after-restart', text: 'thanks' });
      const repeat = await request(again.socket, 'message', { clientId: 'after-restart', text: 'thanks' });
      assert.equal(resent.messageId, repeat.messageId);
    } finally {
      again.socket.close();
    }
  });
});

describe('isolation', () => {
  test('forged, tampered and foreign tokens are refused', async () => {
    const victim = await connectVisitor(server.url);
    victim.socket.close();
    const [version, visitorId, generation, issuedAt, signature] = victim.session.visitorToken.split('.');
    const otherId = '11111111-2222-4333-8444-555555555555';
    const forged = [
      `${version}.${otherId}.${generation}.${issuedAt}.${signature}`,
      `${version}.${visitorId}.${generation}.${issuedAt}.${signature!.slice(0, -2)}xx`,
      `${version}.${visitorId}.${generation}.${issuedAt}`,
      'v1.not-a-uuid.abc',
      'garbage',
      '',
    ];
    for (const visitorToken of forged) {
      await assert.rejects(connectVisitor(server.url, { visitorToken }), (error: any) => {
        assert.equal(error.message, 'INVALID_TOKEN');
        assert.equal(error.data?.code, 'INVALID_TOKEN');
        return true;
      }, visitorToken);
    }
    await assert.rejects(connectVisitor(server.url, { visitorToken: 42 }), (error: any) => error.data?.code === 'INVALID_PAYLOAD');
  });

  test("one visitor cannot read or write another visitor's conversation", async () => {
    const alice = await connectVisitor(server.url);
    const bob = await connectVisitor(server.url);
    try {
      await ask(alice.socket, 'I would like to delete my account, my email is alice@example.com');
      const bobHistory = await request(bob.socket, 'history', { conversationId: alice.session.conversationId });
      assert.equal(bobHistory.ok, false);
      assert.equal(bobHistory.error.code, 'UNKNOWN_CONVERSATION');
      const write = await request(bob.socket, 'message', { clientId: 'x', text: 'hi', conversationId: alice.session.conversationId });
      assert.equal(write.error.code, 'UNKNOWN_CONVERSATION');
      const own = await request(bob.socket, 'history');
      assert.equal(own.messages.length, 0);
      assert.ok(!JSON.stringify(own).includes('alice@example.com'));
      const aliceReplies = (await request(alice.socket, 'history')).messages.filter((m: any) => m.role === 'bot');
      assert.equal((await request(bob.socket, 'feedback', { messageId: aliceReplies[0].messageId, rating: 'down' })).error.code, 'UNKNOWN_MESSAGE');
      // Bob's socket never received Alice's reply.
      let leaked = false;
      bob.socket.on('reply', () => (leaked = true));
      await ask(alice.socket, 'thank you');
      assert.equal(leaked, false);
    } finally {
      alice.socket.close();
      bob.socket.close();
    }
  });
});

describe('bad input', () => {
  test('malformed messages get stable error codes and the server keeps serving', async () => {
    const { socket } = await connectVisitor(server.url);
    try {
      const cases: Array<[unknown, string]> = [
        [{ clientId: 'a', text: 123 }, 'INVALID_PAYLOAD'],
        [{ clientId: 'a', text: null }, 'INVALID_PAYLOAD'],
        [{ clientId: 'a', text: { nested: true } }, 'INVALID_PAYLOAD'],
        [{ clientId: 'a', text: ['a'] }, 'INVALID_PAYLOAD'],
        [{ text: 'no client id' }, 'INVALID_PAYLOAD'],
        [{ clientId: 7, text: 'numeric client id' }, 'INVALID_PAYLOAD'],
        [{ clientId: 'x'.repeat(500), text: 'long client id' }, 'INVALID_PAYLOAD'],
        ['just a string', 'INVALID_PAYLOAD'],
        [null, 'INVALID_PAYLOAD'],
        [[1, 2, 3], 'INVALID_PAYLOAD'],
        [{ clientId: 'a', text: '' }, 'TEXT_EMPTY'],
        [{ clientId: 'a', text: '   \n\t ' }, 'TEXT_EMPTY'],
        [{ clientId: 'a', text: 'x'.repeat(config.maxMessageChars + 1) }, 'TEXT_TOO_LONG'],
        // Far over the limit but within the frame cap (a bigger frame closes the connection: visitor-hardening.test.ts).
        [{ clientId: 'a', text: 'x'.repeat(config.maxMessageChars * 4) }, 'TEXT_TOO_LONG'],
      ];
      for (const [payload, code] of cases) {
        const response = await request(socket, 'message', payload);
        assert.equal(response.ok, false, JSON.stringify(payload)?.slice(0, 80));
        assert.equal(response.error.code, code, JSON.stringify(payload)?.slice(0, 80));
        assert.equal(typeof response.error.message, 'string');
      }
      assert.equal((await request(socket, 'history', 'nonsense')).error.code, 'INVALID_PAYLOAD');
      assert.equal((await request(socket, 'feedback', 17)).error.code, 'INVALID_PAYLOAD');
      assert.equal((await request(socket, 'no-such-event', { a: 1 })).error.code, 'UNKNOWN_EVENT');
      // A request without an acknowledgement callback gets a protocol_error event instead.
      const protocolError = nextEvent(socket, 'protocol_error');
      socket.emit('message', { clientId: 'no-ack', text: 42 });
      assert.equal((await protocolError).error.code, 'INVALID_PAYLOAD');

      const { reply } = await ask(socket, 'where is my order');
      assert.equal(reply.intent, 'track_order');
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      socket.close();
    }
  });

  test('no malformed message was stored', async () => {
    const rows = await sql(`SELECT count(*)::int AS n FROM "Message" WHERE role = 'visitor' AND (length(text) = 0 OR length(text) > $1)`, [config.maxMessageChars]);
    assert.equal(rows[0].n, 0);
  });

  test('too many messages per second are refused with RATE_LIMITED, then accepted again', async () => {
    const { socket } = await connectVisitor(server.url);
    try {
      const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => request(socket, 'message', { clientId: `burst-${i}`, text: `hello number ${i}` })));
      const limited = acks.filter((ack) => !ack.ok);
      assert.ok(limited.length > 0, 'some messages are rate limited');
      assert.ok(limited.every((ack) => ack.error.code === 'RATE_LIMITED'));
      assert.ok(acks.filter((ack) => ack.ok).length >= Number(TEST_LIMITS.MESSAGE_BURST));
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const retry = await request(socket, 'message', { clientId: 'burst-0-retry', text: 'hello again' });
      assert.equal(retry.ok, true);
    } finally {
      socket.close();
    }
  });
});

describe('health', () => {
  test('/healthz and /readyz answer, with security headers', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = await ready.json();
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.checks, { database: 'ok', model: 'ok' });
  });

  test('/metrics exposes reply latency, replies by source, requests by outcome, batch sizes and the model', async () => {
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const body = await response.text();
    assert.match(body, /frontdesk_reply_latency_seconds_bucket\{le="[^"]+",source="intent"\} \d+/);
    assert.match(body, /frontdesk_replies_total\{source="intent"\} [1-9]/);
    assert.match(body, /frontdesk_chat_requests_total\{event="message",outcome="TEXT_TOO_LONG"\} [1-9]/);
    assert.match(body, /frontdesk_inference_batch_size_count [1-9]/);
    assert.match(body, /frontdesk_database_batch_size_count\{statement="append_visitor_message"\} [1-9]/);
    assert.match(body, /frontdesk_model_info\{version="builtin-\d+",execution_provider="(cpu|webgpu|cuda)"\} 1/);
    assert.doesNotMatch(body, /track my order/i, 'no message texts in metrics');
  });
});
