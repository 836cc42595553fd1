import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, startTestServer, temporaryDirectory } from '../helpers/server.ts';

// Abuse: tens of thousands of malformed events and payloads. The server stays up and answers every
// request that has an acknowledgement with `{ ok: false, error: { code } }`, the code one of the
// protocol's stable codes; malformed handshakes get a connect_error with a stable code.
const EVENTS = 20_000;
const STABLE_CODES = new Set(['INVALID_PAYLOAD', 'TEXT_EMPTY', 'TEXT_TOO_LONG', 'RATE_LIMITED', 'UNKNOWN_CONVERSATION', 'UNKNOWN_MESSAGE', 'UNKNOWN_EVENT']);

const dir = temporaryDirectory();
let server: RunningServer;

before(async () => {
  ({ server } = await startTestServer({ DATA_DIR: join(dir.path, 'data'), MESSAGES_PER_SECOND: '1000000', MESSAGE_BURST: '1000000' }));
});

after(async () => {
  await server?.close().catch(() => {});
  dir.remove();
});

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function malformed(next: () => number): [string, unknown] {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const junk = () =>
    pick<unknown>([null, 0, -1, 1e308, NaN, true, '', ' ', 'x'.repeat(Math.floor(next() * 300)), [], [1, 2], {}, { a: { b: { c: [] } } }, Buffer.from([0, 1, 2]), '\u0000\uffff\ud800', { __proto__: { polluted: true } }, { toString: 'no' }]);
  const event = pick(['message', 'message', 'message', 'history', 'feedback', 'csat', 'nonsense', 'disconnecting_', '__proto__', 'x'.repeat(200)]);
  switch (event) {
    case 'message':
      return [
        event,
        pick<unknown>([
          junk(),
          { clientId: junk(), text: 'hello' },
          { clientId: 'c', text: junk() },
          { clientId: 'x'.repeat(129), text: 'hi' },
          { clientId: 'c', text: '   \n\t ' },
          { clientId: 'c', text: 'a'.repeat(2001) },
          { clientId: 'c', text: 'hi', conversationId: pick([junk(), '00000000-0000-0000-0000-000000000000', "'; DROP TABLE \"Message\"; --"]) },
        ]),
      ];
    case 'history':
      return [event, pick<unknown>([{ limit: junk() }, { limit: 0 }, { limit: 501 }, { conversationId: 'not-mine' }, 'string', 42])];
    case 'feedback':
      return [event, pick<unknown>([junk(), { messageId: junk(), rating: 'up' }, { messageId: 'not-a-uuid', rating: 'up' }, { messageId: '00000000-0000-0000-0000-000000000000', rating: 'down' }, { messageId: 'x', rating: junk() }])];
    case 'csat':
      return [event, pick<unknown>([junk(), { score: 0 }, { score: 6 }, { score: 2.5 }, { score: '5' }, { score: 3, conversationId: 'someone-else' }])];
    default:
      return [event, junk()];
  }
}

test(`${EVENTS} malformed events: every one is answered with a stable error code and the server stays up`, async () => {
  const next = random(8);
  const visitors = await Promise.all(Array.from({ length: 10 }, () => connectVisitor(server.url)));
  const codes = new Map<string, number>();
  let protocolErrors = 0;
  for (const { socket } of visitors) socket.on('protocol_error', () => (protocolErrors += 1));
  try {
    let sent = 0;
    while (sent < EVENTS) {
      // Bounded concurrency: 500 requests in flight at a time.
      const batch = Array.from({ length: Math.min(500, EVENTS - sent) }, (_, index) => {
        const [event, payload] = malformed(next);
        const socket = visitors[(sent + index) % visitors.length]!.socket;
        return socket.timeout(10_000).emitWithAck(event, payload).then((response: any) => (response?.error?.code === 'INTERNAL' ? { ...response, event, payload } : response));
      });
      sent += batch.length;
      for (const response of await Promise.all(batch)) {
        // The generator sometimes builds a valid message (a junk string can be a fine clientId).
        if (response?.ok === true) {
          codes.set('ok', (codes.get('ok') ?? 0) + 1);
          continue;
        }
        assert.equal(response?.ok, false);
        const code = response.error?.code;
        assert.ok(STABLE_CODES.has(code), `unexpected code ${code}: ${JSON.stringify(response)}`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    // Requests without an acknowledgement get a protocol_error event instead.
    visitors[0]!.socket.emit('message', { clientId: 'no-ack', text: 'hello' });
    visitors[0]!.socket.emit('nonsense');
    const noAck = await new Promise<unknown>((resolve) => visitors[0]!.socket.once('protocol_error', resolve));
    assert.equal((noAck as any).error.code, 'INVALID_PAYLOAD');
    assert.ok(codes.get('INVALID_PAYLOAD')! > 0 && codes.get('UNKNOWN_EVENT')! > 0 && codes.get('TEXT_TOO_LONG')! > 0);
  } finally {
    for (const { socket } of visitors) socket.close();
  }

  // Malformed handshakes are refused with a stable code, not a crash.
  for (const auth of [{ visitorToken: 'v1.forged.token' }, { visitorToken: 12 }, { language: 'not a language!' }, { visitorToken: 'x'.repeat(600) }]) {
    await assert.rejects(connectVisitor(server.url, auth), (error: any) => ['INVALID_TOKEN', 'INVALID_PAYLOAD'].includes(error.data?.code));
  }
  // Garbage at the socket.io protocol level closes that connection only.
  const raw: Socket = io(`${server.url}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise((resolve) => raw.once('session', resolve));
  const closed = new Promise((resolve) => raw.once('disconnect', resolve));
  (raw.io.engine as any).write('42["message",{"unterminated');
  (raw.io.engine as any).write('9');
  await closed;
  raw.close();

  // Still up, still ready, still answering real visitors.
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  const { socket } = await connectVisitor(server.url);
  try {
    const { ack, reply } = await ask(socket, 'where is my order');
    assert.equal(ack.ok, true);
    assert.equal(reply.replyTo, ack.messageId);
  } finally {
    socket.close();
  }
  void protocolErrors;
});
