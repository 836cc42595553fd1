import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { ChatStore, ConversationTakenError, type BotReplyInput } from '../../src/store/chat-store.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

// Concurrent calls of the hot statements run as multi-row statements (issue 8); these tests start
// many calls in one tick so that they share batches, and check each call still gets its own answer.

const logger = createLogger('silent');
const dataDir = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;
let store: ChatStore;

before(async () => {
  database = await openDatabase({ dataDir: dataDir.path, logger });
  await applyMigrations(database.url, logger);
  prisma = createPrismaClient(database.url);
  store = new ChatStore(prisma);
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  dataDir.remove();
});

async function conversations(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const conversationId = randomUUID();
    await store.createConversation(randomUUID(), conversationId);
    ids.push(conversationId);
  }
  return ids;
}

function reply(conversationId: string, replyToId: string, text: string): BotReplyInput {
  return { conversationId, replyToId, text, source: 'intent', intent: 'greeting', confidence: 0.9, details: { ranking: [] }, nextState: { status: 'bot', consecutiveFallbacks: 0 } };
}

test('visitor messages sent together are each stored once, in order, and repeats of a clientId are recognised', async () => {
  const [a, b] = (await conversations(2)) as [string, string];
  const sends = [
    { conversationId: a, clientId: 'a-1', text: 'first of a' },
    { conversationId: b, clientId: 'b-1', text: 'first of b' },
    { conversationId: a, clientId: 'a-2', text: 'second of a' },
    { conversationId: a, clientId: 'a-1', text: 'first of a, resent' },
  ];
  const results = await Promise.all(sends.map((send) => store.appendVisitorMessage(send)));
  assert.deepEqual(results.map((result) => result.created), [true, true, true, false]);
  assert.equal(results[3]!.message.id, results[0]!.message.id);
  assert.equal(results[3]!.message.text, 'first of a');
  assert.deepEqual((await store.history(a)).map((message) => message.text), ['first of a', 'second of a']);
  assert.deepEqual((await store.history(b)).map((message) => message.text), ['first of b']);

  const again = await store.appendVisitorMessage({ conversationId: b, clientId: 'b-1', text: 'later resend' });
  assert.deepEqual({ id: again.message.id, created: again.created }, { id: results[1]!.message.id, created: false });
});

test('conversations created together share statements; one held by another customer is refused alone, a repeat refreshes', async () => {
  const visitor = randomUUID();
  const held = randomUUID();
  await store.createConversation(visitor, held, { customer: { id: 'customer-1', email: 'one@example.com', name: 'One' } });
  const fresh = Array.from({ length: 5 }, () => ({ visitorId: randomUUID(), conversationId: randomUUID() }));
  const results = await Promise.allSettled([
    ...fresh.map(({ visitorId, conversationId }) => store.createConversation(visitorId, conversationId, { language: 'de' })),
    store.createConversation(visitor, held, { customer: { id: 'customer-2', email: 'two@example.com', name: 'Two' } }),
    // The same conversation twice in one batch (two tabs): ON CONFLICT refuses the statement, and its rows run one by one.
    store.createConversation(fresh[1]!.visitorId, fresh[1]!.conversationId, { page: '/again' }),
  ]);
  assert.deepEqual(results.map((result) => result.status), [...fresh.map(() => 'fulfilled'), 'rejected', 'fulfilled']);
  assert.ok((results[5] as PromiseRejectedResult).reason instanceof ConversationTakenError);
  const rows = await prisma.conversation.findMany({ where: { id: { in: fresh.map((conversation) => conversation.conversationId) } } });
  assert.equal(rows.length, 5);
  assert.ok(rows.every((row) => row.language === 'de'));
  assert.equal(rows.find((row) => row.id === fresh[1]!.conversationId)?.page, '/again');
  assert.equal((await prisma.conversation.findUnique({ where: { id: held } }))?.customerId, 'customer-1');
});

test('a row that fails in a batch fails alone; the others are stored', async () => {
  const [a] = (await conversations(1)) as [string];
  const unknownConversation = randomUUID();
  const results = await Promise.allSettled([
    store.appendVisitorMessage({ conversationId: a, clientId: 'ok-1', text: 'fine' }),
    store.appendVisitorMessage({ conversationId: unknownConversation, clientId: 'bad', text: 'no such conversation' }),
    store.appendVisitorMessage({ conversationId: a, clientId: 'ok-2', text: 'also fine' }),
  ]);
  assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual((await store.history(a)).map((message) => message.text), ['fine', 'also fine']);
});

test('answer contexts and bot replies batch across conversations, and an agent-held conversation gets no bot reply', async () => {
  const ids = await conversations(3);
  const messages = await Promise.all(ids.map((conversationId, index) => store.appendVisitorMessage({ conversationId, clientId: 'q', text: `question ${index}` })));
  await prisma.conversation.update({ where: { id: ids[2]! }, data: { status: 'agent' } });

  const contexts = await Promise.all(messages.map(({ message }) => store.answerContext({ conversationId: message.conversationId, messageId: message.id })));
  assert.deepEqual(contexts.map((context) => context.state?.status), ['bot', 'bot', 'agent']);
  assert.ok(contexts.every((context) => context.reply === null));

  const replies = await Promise.all(messages.map(({ message }, index) => store.appendBotReply(reply(message.conversationId, message.id, `answer ${index}`))));
  assert.deepEqual(replies.map((stored) => stored?.text ?? null), ['answer 0', 'answer 1', null]);
  assert.deepEqual(replies.map((stored) => stored?.replyToId ?? null), [messages[0]!.message.id, messages[1]!.message.id, null]);

  const resent = await store.answerContext({ conversationId: ids[0]!, messageId: messages[0]!.message.id });
  assert.equal(resent.reply?.id, replies[0]!.id);
  assert.equal((await store.answerContext({ conversationId: randomUUID(), messageId: randomUUID() })).state, null);
});

test('a new message comes with its conversation\'s context, and a reply decided on it is stored only while the conversation is unchanged', async () => {
  const [a, b] = (await conversations(2)) as [string, string];
  const [first, repeat, other] = await Promise.all([
    store.appendVisitorMessage({ conversationId: a, clientId: 'v-1', text: 'first' }),
    store.appendVisitorMessage({ conversationId: a, clientId: 'v-1', text: 'first, resent' }),
    store.appendVisitorMessage({ conversationId: b, clientId: 'v-1', text: 'other' }),
  ]);
  assert.deepEqual(first!.context?.state, { status: 'bot', consecutiveFallbacks: 0, form: null });
  assert.equal(repeat!.context, null, 'a resend is answered from a fresh read (it may have a reply)');
  const read = await store.answerContext({ conversationId: a, messageId: first!.message.id });
  assert.equal(read.stateVersion, first!.context!.stateVersion, 'storing a message leaves the version of a conversation the bot answers');

  // Each reply changes the row: a second reply decided on the same version is refused, nothing written.
  const stored = await store.appendBotReply({ ...reply(a, first!.message.id, 'answer'), stateVersion: first!.context!.stateVersion, nextState: { status: 'bot', consecutiveFallbacks: 1 } });
  assert.equal(stored?.text, 'answer');
  const { message: second } = await store.appendVisitorMessage({ conversationId: a, clientId: 'v-2', text: 'second' });
  assert.equal(await store.appendBotReply({ ...reply(a, second.id, 'stale'), stateVersion: first!.context!.stateVersion }), null);
  assert.deepEqual(await store.conversationState(a), { status: 'bot', consecutiveFallbacks: 1 });
  assert.deepEqual((await store.history(a)).map((message) => message.text), ['first', 'answer', 'second']);

  // An agent's change (any write of the row) refuses it too; without a version only the status counts.
  await prisma.conversation.update({ where: { id: b }, data: { language: 'de' } });
  assert.equal(await store.appendBotReply({ ...reply(b, other!.message.id, 'stale'), stateVersion: other!.context!.stateVersion }), null);
  assert.equal((await store.appendBotReply(reply(b, other!.message.id, 'fresh')))?.text, 'fresh');
});

test('a handover reply records when the conversation started waiting', async () => {
  const [a] = (await conversations(1)) as [string];
  const { message } = await store.appendVisitorMessage({ conversationId: a, clientId: 'h', text: 'a human please' });
  const stored = await store.appendBotReply({ ...reply(a, message.id, 'passing you on'), source: 'handoff', intent: null, nextState: { status: 'waiting_for_agent', consecutiveFallbacks: 0 } });
  assert.equal(stored?.source, 'handoff');
  const conversation = await prisma.conversation.findUniqueOrThrow({ where: { id: a } });
  assert.equal(conversation.status, 'waiting_for_agent');
  assert.ok(conversation.waitingSince instanceof Date);
});
