// Transcript review against a real server and Postgres: marking a conversation reviewed over the
// agent API confirms the bot's intents that the agent left uncorrected, up to the moment of the
// review; explicit labels win over confirmations; confirmations follow the evaluation split and
// reach the export.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { CONFIRMED_ORIGIN, labelledMessages, labelsChangedSince } from '../../src/store/training-store.ts';
import { exportLabelled } from '../../src/corpus/export.ts';
import { isEvaluationMessage, learningSets } from '../../src/corpus/retraining-sets.ts';
import { currentTrainingSet } from '../../src/corpus/training-set.ts';
import { ask, connectVisitor, request } from '../helpers/server.ts';
import { api, connectAgent, startAgentTestServer, type AgentTestServer } from './helpers.ts';

let env: AgentTestServer;
let url: string;
let token: string;

before(async () => {
  env = await startAgentTestServer([{ email: 'ann@example.com', name: 'Ann', password: 'ann password 1' }]);
  url = env.url;
  token = env.tokens[0]!;
});

after(() => env?.close());

/** A visitor conversation: each text asked in turn, with the bot's reply to it. */
async function conversation(texts: string[]) {
  const visitor = await connectVisitor(url);
  env.sockets.push(visitor.socket);
  const turns = [];
  for (const text of texts) {
    const { ack, reply } = await ask(visitor.socket, text);
    turns.push({ text, messageId: ack.messageId as string, reply });
  }
  return { id: visitor.session.conversationId, socket: visitor.socket, turns };
}

const review = (id: string, as = token) => api(url, `/api/agent/conversations/${id}/review`, { token: as, body: {} });

async function confirmed(): Promise<Map<string, string>> {
  return new Map((await labelledMessages(env.prisma)).filter((row) => row.origin === CONFIRMED_ORIGIN).map((row) => [row.messageId, row.intent]));
}

test('reviewing confirms the uncorrected intents up to the review; corrections and later replies are not confirmed', async () => {
  // Intents answered in one turn (an order request would open a form and wait for an order number).
  const chat = await conversation(['how long does shipping take?', 'which payment methods do you accept', 'what do penguins eat on sundays']);
  const [shipping, payment, offTopic] = chat.turns as [typeof chat.turns[0], typeof chat.turns[0], typeof chat.turns[0]];
  assert.equal(shipping.reply.source, 'intent', JSON.stringify(shipping.reply));
  assert.equal(payment.reply.source, 'intent', JSON.stringify(payment.reply));
  assert.equal(offTopic.reply.intent, undefined, 'a fallback carries no intent');

  // The agent corrects one answer (say the visitor meant to change the order), leaves the others.
  const corrected = await api(url, `/api/agent/messages/${payment.messageId}/label`, { token, method: 'PUT', body: { intent: 'change_order' } });
  assert.equal(corrected.status, 200);
  const labelledBefore = new Date();
  assert.equal(await labelsChangedSince(env.prisma, labelledBefore), false);

  const marked = await review(chat.id);
  assert.equal(marked.status, 200, JSON.stringify(marked.body));
  assert.equal(marked.body.ok, true);
  assert.equal(marked.body.conversation.id, chat.id);
  assert.equal(marked.body.conversation.reviewed.by.name, 'Ann');
  const reviewedAt = new Date(marked.body.conversation.reviewed.at);
  assert.ok(Math.abs(reviewedAt.getTime() - Date.now()) < 60_000);
  // A review is news for the scheduler: the next retraining has something to learn.
  assert.equal(await labelsChangedSince(env.prisma, labelledBefore), true);

  // Said after the review: not covered by it.
  const { ack: later, reply: laterReply } = await ask(chat.socket, 'and how long does express shipping take?');
  assert.ok(laterReply.intent, JSON.stringify(laterReply));

  let confirmations = await confirmed();
  assert.equal(confirmations.get(shipping.messageId), shipping.reply.intent);
  assert.equal(confirmations.has(payment.messageId), false, 'the correction, not the bot, labels it');
  assert.equal(confirmations.has(offTopic.messageId), false, 'a fallback is never confirmed');
  assert.equal(confirmations.has(later.messageId), false, 'answered after the review');
  const rows = await labelledMessages(env.prisma);
  assert.deepEqual(rows.filter((row) => row.messageId === payment.messageId).map((row) => [row.intent, row.origin]), [['change_order', 'agent']]);

  // The summary lists and the transcript carry the mark.
  const listed = await api(url, '/api/agent/conversations?limit=200', { token });
  assert.equal(listed.body.conversations.find((entry: any) => entry.id === chat.id).reviewed.at, marked.body.conversation.reviewed.at);
  const transcript = await api(url, `/api/agent/conversations/${chat.id}`, { token });
  assert.deepEqual(transcript.body.conversation.reviewed, marked.body.conversation.reviewed);

  // Reviewing again moves the mark: the later answer is confirmed now.
  const again = await review(chat.id);
  assert.ok(new Date(again.body.conversation.reviewed.at) >= reviewedAt);
  confirmations = await confirmed();
  assert.equal(confirmations.get(later.messageId), laterReply.intent);

  // A correction made after the review replaces the confirmation of that message.
  await api(url, `/api/agent/messages/${shipping.messageId}/label`, { token, method: 'PUT', body: { intent: 'delivery_options' } });
  assert.equal((await confirmed()).has(shipping.messageId), false);
  assert.deepEqual((await labelledMessages(env.prisma)).filter((row) => row.messageId === shipping.messageId).map((row) => row.origin), ['agent']);
});

test('an explicit label of a text beats a confirmation of the same text, whichever came last', async () => {
  const text = 'where can I see the status of my delivery';
  const corrected = await conversation([text]);
  const confirmedChat = await conversation([text]);
  assert.ok(corrected.turns[0]!.reply.intent, JSON.stringify(corrected.turns[0]!.reply));
  await api(url, `/api/agent/messages/${corrected.turns[0]!.messageId}/label`, { token, method: 'PUT', body: { intent: 'oos' } });
  // The confirmation of the same text is the newer of the two.
  assert.equal((await review(confirmedChat.id)).status, 200);
  assert.equal((await confirmed()).get(confirmedChat.turns[0]!.messageId), confirmedChat.turns[0]!.reply.intent);

  const training = await currentTrainingSet(env.prisma, await loadCatalogue('intents'));
  assert.deepEqual(training.filter((example) => example.text === text), [{ text, intent: 'oos' }]);

  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await exportLabelled(env.prisma, out);
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.filter((line) => line.text === text), [{ text, intent: 'oos', origin: 'agent' }]);
  assert.ok(lines.some((line) => line.origin === CONFIRMED_ORIGIN), 'confirmed labels are exported with their origin');
});

test('confirmed labels follow the same evaluation split as other labels', async () => {
  // Enough confirmed messages that both sides get some.
  // Intents answered in one turn (an order lookup would open a form and wait for an order number).
  const texts = Array.from({ length: 24 }, (_, index) => `how long does it take for my delivery number ${1000 + index} to arrive?`);
  const chat = await conversation(texts);
  assert.equal((await review(chat.id)).status, 200);
  const ids = [...(await confirmed()).keys()].filter((id) => chat.turns.some((turn) => turn.messageId === id));
  assert.ok(ids.length >= 20, `${ids.length} confirmed`);
  // No frozen set yet (minFrozen out of reach), so evaluation messages are all recent traffic.
  const sets = await learningSets(env.prisma, await loadCatalogue('intents'), { minFrozen: 1_000_000 });
  assert.ok(sets.stats.confirmedLabels >= ids.length);
  const trainTexts = new Set(sets.train.map((example) => example.text));
  const recentTexts = new Set(sets.recent.map((example) => example.text));
  for (const turn of chat.turns.filter((turn) => ids.includes(turn.messageId))) {
    if (isEvaluationMessage(turn.messageId)) {
      assert.ok(recentTexts.has(turn.text) && !trainTexts.has(turn.text), `${turn.text} is an evaluation message`);
    } else {
      assert.ok(trainTexts.has(turn.text) && !recentTexts.has(turn.text), `${turn.text} is a training message`);
    }
  }
});

test('the review route: unknown conversation, malformed id, no session', async () => {
  const unknown = await review('00000000-0000-4000-8000-000000000000');
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body.error.code, 'NOT_FOUND');
  const malformed = await review('not-a-uuid');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 'INVALID_PAYLOAD');
  const chat = await conversation(['hello']);
  const anonymous = await api(url, `/api/agent/conversations/${chat.id}/review`, { body: {} });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.error.code, 'UNAUTHORIZED');
  assert.equal((await env.prisma.conversation.findUniqueOrThrow({ where: { id: chat.id } })).reviewedAt, null);
});

test('the agent socket marks a transcript reviewed too, with the same answer and errors as the route', async () => {
  const chat = await conversation(['I want to track my order, where is my package?']);
  const agent = await connectAgent(url, { token });
  env.sockets.push(agent.socket);
  const marked = await request(agent.socket, 'review', { conversationId: chat.id });
  assert.equal(marked.ok, true, JSON.stringify(marked));
  assert.equal(marked.conversation.id, chat.id);
  assert.equal(marked.conversation.reviewed.by.name, 'Ann');
  assert.equal((await confirmed()).get(chat.turns[0]!.messageId), chat.turns[0]!.reply.intent);

  const unknown = await request(agent.socket, 'review', { conversationId: '00000000-0000-4000-8000-000000000000' });
  assert.deepEqual([unknown.ok, unknown.error.code], [false, 'NOT_FOUND']);
  const malformed = await request(agent.socket, 'review', { conversationId: 42 });
  assert.deepEqual([malformed.ok, malformed.error.code], [false, 'INVALID_PAYLOAD']);
});
