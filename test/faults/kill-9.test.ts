import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { temporaryDirectory } from '../helpers/server.ts';
import { eventually, sleep, spawnServer, startTestPostgres, type ServerProcess, type TestPostgres } from './helpers.ts';

// Crash safety: visitors send under a bounded load, the server is killed with SIGKILL mid-stream and
// started again; clients reconnect (same visitor token, same conversation) and resend whatever was
// not acknowledged with the same clientId. Every acknowledged message must exist exactly once, and
// every message must end up with exactly one reply.
const VISITORS = 20;
const MESSAGES_EACH = 25;
// Questions with a clear intent and no handoff, so that every message gets a bot reply.
const TEXTS = ['where is my order', 'how do i cancel my order', 'I want a refund', 'what payment methods do you accept', 'how long does delivery take'];

const dir = temporaryDirectory();
let postgres: TestPostgres;
let server: ServerProcess | null = null;
const sockets: Socket[] = [];

before(async () => {
  postgres = await startTestPostgres(dir.path);
});

after(async () => {
  for (const socket of sockets) socket.close();
  await server?.stop().catch(() => {});
  await postgres?.stop().catch(() => {});
  dir.remove();
});

interface Visitor {
  socket: Socket;
  conversationId: string | null;
  /** clientId → messageId of every acknowledged message. */
  acked: Map<string, string>;
  repliesTo: Set<string>;
  resends: number;
}

function openVisitor(url: string): Visitor {
  const socket = io(`${url}/chat`, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true, auth: {} });
  sockets.push(socket);
  const visitor: Visitor = { socket, conversationId: null, acked: new Map(), repliesTo: new Set(), resends: 0 };
  socket.on('session', (session: { visitorToken: string; conversationId: string }) => {
    // Reconnect as the same visitor, into the same conversation.
    socket.auth = { visitorToken: session.visitorToken };
    visitor.conversationId ??= session.conversationId;
    assert.equal(session.conversationId, visitor.conversationId, 'a reconnect returns to the same conversation');
  });
  socket.on('reply', (reply: { replyTo: string | null }) => {
    if (reply.replyTo) visitor.repliesTo.add(reply.replyTo);
  });
  return visitor;
}

/** Sends the visitor's messages one after another; anything unacknowledged is resent with the same clientId. */
async function converse(visitor: Visitor, index: number): Promise<void> {
  for (let i = 0; i < MESSAGES_EACH; i++) {
    const clientId = `v${index}-m${i}`;
    for (let attempt = 0; ; attempt++) {
      assert.ok(attempt < 400, `message ${clientId} was never acknowledged`);
      if (attempt > 0) visitor.resends += 1;
      if (!visitor.socket.connected) {
        await sleep(100);
        continue;
      }
      const ack = await visitor.socket
        .timeout(2_000)
        .emitWithAck('message', { clientId, text: TEXTS[(index + i) % TEXTS.length] })
        .catch(() => null);
      if (ack?.ok) {
        const known = visitor.acked.get(clientId);
        if (known) assert.equal(ack.messageId, known, 'a resend is acknowledged with the same message');
        visitor.acked.set(clientId, ack.messageId);
        break;
      }
      await sleep(100);
    }
    await sleep(20); // bounded load: about 50 messages per second per visitor at most
  }
}

test('kill -9 under load: every acknowledged message exists exactly once and gets one reply', async () => {
  const env = { SECRET_KEY: 'kill-9-test-secret-key-0123456789abcdef', LOG_LEVEL: 'debug', DATABASE_URL: postgres.url, DATA_DIR: join(dir.path, 'data'), MESSAGES_PER_SECOND: '200', MESSAGE_BURST: '400' };
  server = await spawnServer(env);
  const port = server.port;
  const visitors = Array.from({ length: VISITORS }, () => openVisitor(server!.url));
  const conversations = visitors.map((visitor, index) => converse(visitor, index));

  // Kill once a good part of the messages is through, while the rest are in flight.
  const total = VISITORS * MESSAGES_EACH;
  const acked = () => visitors.reduce((sum, visitor) => sum + visitor.acked.size, 0);
  await eventually(() => acked() >= total * 0.3, 'the first acknowledgements', 60_000);
  const ackedBeforeKill = acked();
  server.child.kill('SIGKILL');
  await server.exited;
  const killed = server.output();
  // Same port, so the clients' automatic reconnection finds the new process.
  server = await spawnServer(env, port);
  await Promise.all(conversations);
  assert.ok(ackedBeforeKill < total, 'the kill happened under load');

  const byClientId = new Map<string, string>();
  for (const visitor of visitors) for (const [clientId, messageId] of visitor.acked) byClientId.set(`${visitor.conversationId}/${clientId}`, messageId);
  assert.equal(byClientId.size, total);

  const stored = await postgres.query<{ id: string; conversationId: string; clientId: string }>(`SELECT id, "conversationId", "clientId" FROM "Message" WHERE role = 'visitor'`);
  assert.equal(stored.length, total, 'nothing duplicated, nothing extra');
  const storedKeys = new Map(stored.map((row) => [`${row.conversationId}/${row.clientId}`, row.id]));
  for (const [key, messageId] of byClientId) assert.equal(storedKeys.get(key), messageId, `acknowledged message ${key} is stored once, under its acknowledged id`);

  // Every message gets exactly one reply: the ones acknowledged but unanswered when the process died
  // are answered on reconnect (answerPending) or on resend.
  const repliesPerMessage = async () =>
    postgres.query<{ id: string; replies: number }>(`SELECT m.id, count(r.id)::int AS replies FROM "Message" m LEFT JOIN "Message" r ON r."replyToId" = m.id WHERE m.role = 'visitor' GROUP BY m.id`);
  try {
    await eventually(async () => (await repliesPerMessage()).every((row) => row.replies >= 1), 'a reply to every message', 30_000);
  } catch (error) {
    const unanswered = await postgres.query(`SELECT m."clientId", m.seq, m.text, c.status, c."consecutiveFallbacks" FROM "Message" m JOIN "Conversation" c ON c.id = m."conversationId" WHERE m.role = 'visitor' AND NOT EXISTS (SELECT 1 FROM "Message" r WHERE r."replyToId" = m.id) ORDER BY m.seq`);
    throw new Error(`${(error as Error).message}: ${JSON.stringify(unanswered)}`);
  }
  const counts = await repliesPerMessage();
  assert.deepEqual(counts.filter((row) => row.replies !== 1), [], 'exactly one reply per message');

  // Replies committed just before the kill may never have been written to the socket; answerPending
  // only re-answers messages without a reply, so a reconnecting client finds those in its history.
  for (const visitor of visitors) {
    const history = await visitor.socket.timeout(10_000).emitWithAck('history', {});
    assert.equal(history.ok, true);
    const botReplies = history.messages.filter((message: { role: string }) => message.role === 'bot').length;
    assert.equal(botReplies, MESSAGES_EACH, 'every reply is in the history, once');
  }

  // The logs of both processes carry no message texts and no secrets.
  const logs = killed + server.output();
  for (const text of TEXTS) assert.doesNotMatch(logs, new RegExp(text, 'i'), 'message texts stay out of the logs');
  assert.doesNotMatch(logs, /faults@|:faults@|SECRET|kill-9-test-secret/, 'no database password or secret key in the logs');
  for (const visitor of visitors) visitor.socket.close();
});
