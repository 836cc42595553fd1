// Personal data must not travel from one visitor to another (issue 14, findings 1 and 8): an agent's
// answer is harvested redacted and served to other visitors only after a person approved it, no
// visitor payload names another conversation, and the admin's list of training examples is as
// redacted as the training set itself. Real Postgres, real sockets, two server processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { currentTrainingSet } from '../../src/corpus/training-set.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, nextEvent, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';
import { api, createAgent, login, testPrisma } from './helpers.ts';

const QUESTION = 'Do you engrave initials on the leather wallets?';
const REWORDED = 'do you engrave initials on leather wallets as a gift?';
const ANSWER =
  'Hi Anna Lindqvist, yes: we engrave up to three initials on any leather wallet for $9. I have added it to order 48213 for ' +
  '12 Birch Lane, Springfield, IL 62704; the receipt goes to anna.lindqvist@example.com, we will text +1 415 555 0199 when it ' +
  'ships, and card 4111 1111 1111 1111 was charged. Refunds go to DE89 3704 0044 0532 0130 00.';
const REDACTED =
  'Hi [name], yes: we engrave up to three initials on any leather wallet for $9. I have added it to order 48213 for ' +
  '[address]; the receipt goes to [email], we will text [phone] when it ships, and card [card] was charged. Refunds go to [iban].';
const PERSONAL = ['Anna', 'Lindqvist', 'Birch Lane', 'Springfield', 'anna.lindqvist@example.com', '415 555 0199', '4111 1111 1111 1111', 'DE89'];

const firstDir = temporaryDirectory();
// A second process on the first one's Postgres: review decisions must reach its index too.
const secondDir = temporaryDirectory();
const visitorLimits = { MESSAGE_BURST: '50', MESSAGES_PER_SECOND: '20' };
let first: RunningServer;
let second: RunningServer;
let prisma: PrismaClient;
let agentToken: string;
let adminToken: string;
const sockets: Socket[] = [];

before(async () => {
  ({ server: first } = await startTestServer({ DATA_DIR: firstDir.path, ...visitorLimits }));
  prisma = testPrisma(firstDir.path);
  await createAgent(prisma, { email: 'hana@example.com', name: 'Hana', password: 'hana password 1' });
  await createAgent(prisma, { email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' });
  agentToken = await login(first.url, 'hana@example.com', 'hana password 1');
  adminToken = await login(first.url, 'root@example.com', 'root password 1');
  ({ server: second } = await startTestServer({ DATA_DIR: secondDir.path, DATABASE_URL: embeddedDatabaseUrl(firstDir.path), ...visitorLimits }));
});

after(async () => {
  for (const socket of sockets) socket.close();
  await second?.close();
  await prisma?.$disconnect();
  await first?.close();
  secondDir.remove();
  firstDir.remove();
});

function track(connection: VisitorConnection): VisitorConnection {
  sockets.push(connection.socket);
  return connection;
}

/** Asks on a fresh visitor connection; returns the bot's reply and every event payload the visitor received. */
async function askAsNewVisitor(url: string, text: string): Promise<{ reply: any; received: string }> {
  const visitor = track(await connectVisitor(url));
  const events: unknown[] = [visitor.session];
  visitor.socket.onAny((event, payload) => events.push({ event, payload }));
  const { ack, reply } = await ask(visitor.socket, text);
  const history = await visitor.socket.timeout(10_000).emitWithAck('history', {});
  visitor.socket.close();
  return { reply, received: JSON.stringify([ack, ...events, history]) };
}

/** Asks until `done(reply)` holds (review decisions reach the index asynchronously), bounded. */
async function askUntil(url: string, text: string, done: (reply: any) => boolean): Promise<{ reply: any; received: string }> {
  let last: { reply: any; received: string } | undefined;
  for (let attempt = 0; attempt < 50; attempt++) {
    last = await askAsNewVisitor(url, text);
    if (done(last.reply)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no matching reply to "${text}": ${JSON.stringify(last?.reply)}`);
}

function assertNothingOf(received: string, secrets: readonly string[]): void {
  for (const secret of secrets) assert.ok(!received.includes(secret), `a visitor payload contains ${secret}: ${received}`);
}

describe('harvested agent answers', () => {
  let visitorA: VisitorConnection;
  let answerId: string;
  let agentMessageId: string;

  test("an agent's answer full of personal data is stored redacted and pending, and nobody is served it", async () => {
    visitorA = track(await connectVisitor(first.url));
    const asked = await ask(visitorA.socket, QUESTION);
    assert.notEqual(asked.reply.source, 'retrieval', 'nothing in the knowledge base answers this yet');
    assert.equal((await ask(visitorA.socket, 'I want to talk to a person')).reply.source, 'handoff');
    const conversation = `/api/agent/conversations/${visitorA.session.conversationId}`;
    assert.equal((await api(first.url, `${conversation}/take-over`, { method: 'POST', token: agentToken })).status, 200);
    const delivered = nextEvent(visitorA.socket, 'reply', (reply: any) => reply.source === 'agent');
    const sent = await api(first.url, `${conversation}/messages`, { method: 'POST', token: agentToken, body: { text: ANSWER } });
    assert.equal(sent.status, 201);
    agentMessageId = sent.body.message.messageId;
    assert.equal((await delivered).text, ANSWER, 'the visitor the agent answered gets the answer as written');
    assert.equal((await api(first.url, `${conversation}/resolve`, { method: 'POST', token: agentToken })).status, 200);

    // Harvesting follows the resolve: wait for the answer to reach the review list (bounded).
    let listed: any;
    for (let attempt = 0; attempt < 50 && !listed; attempt++) {
      const pending = await api(first.url, '/api/agent/harvested-answers?status=pending', { token: adminToken });
      assert.equal(pending.status, 200, JSON.stringify(pending.body));
      listed = pending.body.answers.find((answer: any) => answer.conversationId === visitorA.session.conversationId);
      if (!listed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(listed, 'the harvested answer is listed for review');
    assert.equal(listed.status, 'pending');
    assert.equal(listed.text, REDACTED);
    assert.equal(listed.question, QUESTION);
    assert.equal(listed.reviewed, null);
    answerId = listed.id;
    const stored = await prisma.knowledgeChunk.findUniqueOrThrow({ where: { id: answerId } });
    assert.equal(stored.text, REDACTED, 'the raw answer is never stored for reuse');

    for (const url of [first.url, second.url]) {
      for (const text of [QUESTION, REWORDED]) {
        const { reply, received } = await askAsNewVisitor(url, text);
        assert.notEqual(reply.retrieval?.kind, 'agent_answer', `${text} → ${JSON.stringify(reply)}`);
        assertNothingOf(received, [...PERSONAL, visitorA.session.conversationId, agentMessageId, 'ships, and card']);
      }
    }
  });

  test('approved, the redacted answer reaches visitors of every process, with no reference to where it came from', async () => {
    const approved = await api(first.url, `/api/agent/harvested-answers/${answerId}/approve`, { method: 'POST', token: agentToken, body: {} });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.answer.status, 'approved');
    assert.equal(approved.body.answer.text, REDACTED);
    assert.equal(approved.body.answer.reviewed.by.name, 'Hana');
    assert.equal((await api(first.url, '/api/agent/harvested-answers?status=pending', { token: agentToken })).body.answers.length, 0);

    for (const url of [first.url, second.url]) {
      const { reply, received } = await askUntil(url, REWORDED, (candidate) => candidate.retrieval?.kind === 'agent_answer');
      assert.equal(reply.source, 'retrieval');
      assert.equal(reply.text, REDACTED);
      assert.deepEqual(Object.keys(reply.retrieval).sort(), ['kind', 'score']);
      assertNothingOf(received, [...PERSONAL, visitorA.session.conversationId, agentMessageId, answerId, 'conversation:']);
    }
  });

  test('a rejected answer leaves every index; re-approved with edits, the edits are redacted too', async () => {
    const rejected = await api(first.url, `/api/agent/harvested-answers/${answerId}/reject`, { method: 'POST', token: adminToken });
    assert.equal(rejected.body.answer.status, 'rejected');
    for (const url of [first.url, second.url]) await askUntil(url, REWORDED, (reply) => reply.retrieval?.kind !== 'agent_answer');

    const edited = 'Yes: we engrave up to three initials on leather wallets for $9. Questions? Mail anna.lindqvist@example.com or call 415-555-0199.';
    const approved = await api(first.url, `/api/agent/harvested-answers/${answerId}/approve`, { method: 'POST', token: adminToken, body: { text: edited } });
    const expected = 'Yes: we engrave up to three initials on leather wallets for $9. Questions? Mail [email] or call [phone].';
    assert.equal(approved.body.answer.text, expected);
    assert.equal(approved.body.answer.reviewed.by.name, 'Root');
    const { reply } = await askUntil(second.url, REWORDED, (candidate) => candidate.text === expected);
    assert.equal(reply.retrieval.kind, 'agent_answer');
  });

  test('the review routes need a session and check their input', async () => {
    assert.equal((await api(first.url, '/api/agent/harvested-answers')).status, 401);
    assert.equal((await api(first.url, `/api/agent/harvested-answers/${answerId}/approve`, { method: 'POST', body: {} })).status, 401);
    assert.equal((await api(first.url, '/api/agent/harvested-answers?status=maybe', { token: agentToken })).body.error.code, 'INVALID_PAYLOAD');
    assert.equal((await api(first.url, '/api/agent/harvested-answers/nope/approve', { method: 'POST', token: agentToken, body: {} })).body.error.code, 'INVALID_PAYLOAD');
    const unknown = await api(first.url, '/api/agent/harvested-answers/00000000-0000-4000-8000-000000000000/reject', { method: 'POST', token: agentToken });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    const blank = await api(first.url, `/api/agent/harvested-answers/${answerId}/approve`, { method: 'POST', token: agentToken, body: { text: '   ' } });
    assert.equal(blank.body.error.code, 'TEXT_EMPTY');
    const all = await api(first.url, '/api/agent/harvested-answers', { token: agentToken });
    assert.deepEqual(all.body.answers.map((answer: any) => answer.status), ['approved']);
  });

  test('a knowledge document answer names its public title, never its file', async () => {
    const { reply, received } = await askAsNewVisitor(first.url, 'is my cast iron pan ok in the dishwasher?');
    assert.equal(reply.source, 'retrieval', JSON.stringify(reply));
    assert.equal(reply.retrieval.kind, 'document');
    assert.match(reply.retrieval.title, /dishwasher safe|cast-iron cookware/, 'a public title, as the knowledge entry writes it');
    assert.equal(reply.retrieval.source, undefined);
    assertNothingOf(received, ['.md', 'knowledge/']);
  });
});

describe('training examples', () => {
  test('GET /training-examples lists visitor texts redacted, exactly as the training set has them', async () => {
    const visitor: { socket: Socket } = track(await connectVisitor(first.url));
    const raw = 'I paid with 4111 1111 1111 1111, mail me at jane.doe@example.com: where is my order?';
    const redacted = 'I paid with [card], mail me at [email]: where is my order?';
    const { ack } = await ask(visitor.socket, raw);
    const label = await api(first.url, `/api/agent/messages/${ack.messageId}/label`, { method: 'PUT', token: agentToken, body: { intent: 'track_order' } });
    assert.equal(label.status, 200, JSON.stringify(label.body));

    const listed = await api(first.url, '/api/agent/training-examples', { token: adminToken });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.examples.at(-1), { text: redacted, intent: 'track_order' });
    assertNothingOf(JSON.stringify(listed.body), ['4111', 'jane.doe@example.com']);
    const trainingSet = await currentTrainingSet(prisma, await loadCatalogue('intents'));
    assert.ok(trainingSet.some((example) => example.text === redacted && example.intent === 'track_order'));
  });
});
