import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { AgentStore, AgentExistsError } from '../../src/store/agent-store.ts';
import { labelledMessages } from '../../src/store/training-store.ts';
import { searchPlan } from '../../src/store/workspace-store.ts';
import { AgentAuth, hashPassword, verifyPassword, type AgentPrincipal } from '../../src/agents/auth.ts';
import { AgentWorkspace, labelledExamples } from '../../src/agents/workspace.ts';
import { ConversationEvents } from '../../src/dialogue/conversation-events.ts';
import { VisitorTokens } from '../../src/gateway/visitor-token.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const logger = createLogger('silent');
const dataDir = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;
let auth: AgentAuth;
let workspace: AgentWorkspace;
const events = new ConversationEvents();
let ann: AgentPrincipal;
let bob: AgentPrincipal;
let clock = new Date('2026-11-23T10:00:00Z');

const INTENTS = [
  { name: 'track_order', label: 'Track my order' },
  { name: 'refund', label: 'Refunds' },
];

before(async () => {
  database = await openDatabase({ dataDir: dataDir.path, logger });
  await applyMigrations(database.url, logger);
  prisma = createPrismaClient(database.url, 4);
  auth = new AgentAuth(new AgentStore(prisma), { sessionTtlMs: 3600_000, now: () => clock });
  workspace = new AgentWorkspace({ prisma, logger, events, intents: () => INTENTS });
  await auth.createAgent({ email: 'Ann@Example.com', name: 'Ann', password: 'correct horse battery' });
  await auth.createAgent({ email: 'bob@example.com', name: 'Bob', password: 'another secret', role: 'admin' });
  ann = (await auth.authenticate((await auth.login({ email: 'ann@example.com', password: 'correct horse battery' })).token))!;
  bob = (await auth.authenticate((await auth.login({ email: 'bob@example.com', password: 'another secret' })).token))!;
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  dataDir.remove();
});

/** A conversation with messages, written the way the chat side writes them. */
async function conversation(options: {
  status?: 'bot' | 'waiting_for_agent' | 'agent' | 'resolved';
  waitingSince?: Date;
  updatedAt?: Date;
  csat?: number;
  messages?: Array<{ role: 'visitor' | 'bot' | 'agent'; text: string; source?: 'intent' | 'retrieval' | 'clarify' | 'handoff' | 'agent'; intent?: string; confidence?: number; rating?: 'up' | 'down' }>;
}) {
  const visitor = await prisma.visitor.create({ data: { id: randomUUID() } });
  const created = await prisma.conversation.create({
    data: { id: randomUUID(), visitorId: visitor.id, status: options.status ?? 'bot', waitingSince: options.waitingSince ?? null, csat: options.csat ?? null },
  });
  const ids: string[] = [];
  let previousVisitor: string | null = null;
  for (const message of options.messages ?? []) {
    const id = randomUUID();
    await prisma.message.create({
      data: {
        id, conversationId: created.id, role: message.role, text: message.text, clientId: message.role === 'visitor' ? randomUUID() : null,
        replyToId: message.role === 'visitor' ? null : previousVisitor, source: message.source ?? null, intent: message.intent ?? null, confidence: message.confidence ?? null,
      },
    });
    if (message.rating) await prisma.feedback.create({ data: { id: randomUUID(), messageId: id, rating: message.rating } });
    if (message.role === 'visitor') previousVisitor = id;
    ids.push(id);
  }
  if (options.updatedAt) await prisma.conversation.update({ where: { id: created.id }, data: { updatedAt: options.updatedAt } });
  return { id: created.id, messageIds: ids };
}

describe('agent accounts and sessions', () => {
  test('passwords are stored as argon2id hashes and verified', async () => {
    const hash = await hashPassword('s3cret-password');
    assert.match(hash, /^\$argon2id\$/);
    assert.equal(await verifyPassword(hash, 's3cret-password'), true);
    assert.equal(await verifyPassword(hash, 's3cret-passworD'), false);
    assert.equal(await verifyPassword('not a hash', 'x'), false);
    const stored = await prisma.agent.findUniqueOrThrow({ where: { email: 'ann@example.com' } });
    assert.doesNotMatch(stored.passwordHash, /correct horse/);
    await assert.rejects(hashPassword('short'), { code: 'WEAK_PASSWORD' });
  });

  test('emails are unique without regard to case', async () => {
    await assert.rejects(auth.createAgent({ email: ' ANN@example.com', name: 'Other Ann', password: 'long enough password' }), AgentExistsError);
  });

  test('login yields a token whose hash (not the token) is stored; wrong credentials look alike', async () => {
    const result = await auth.login({ email: 'ANN@example.com', password: 'correct horse battery' });
    assert.match(result.token, /^fda1_[A-Za-z0-9_-]{43}$/);
    assert.equal(result.agent.email, 'ann@example.com');
    assert.equal(result.expiresAt.getTime(), clock.getTime() + 3600_000);
    const sessions = await prisma.agentSession.findMany({ where: { agentId: result.agent.id } });
    assert.ok(sessions.every((session) => session.tokenHash !== result.token && /^[0-9a-f]{64}$/.test(session.tokenHash)));

    await assert.rejects(auth.login({ email: 'ann@example.com', password: 'wrong password' }), { code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' });
    await assert.rejects(auth.login({ email: 'nobody@example.com', password: 'wrong password' }), { code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' });
  });

  test('missing, malformed, unknown, visitor, expired and revoked tokens authenticate nobody', async () => {
    const visitorToken = new VisitorTokens('x'.repeat(32)).issue().token;
    for (const token of [undefined, null, '', 'Bearer', visitorToken, `fda1_${'A'.repeat(43)}`, `fda1_${'A'.repeat(44)}`]) {
      assert.equal(await auth.authenticate(token), null, String(token));
    }
    const { token } = await auth.login({ email: 'ann@example.com', password: 'correct horse battery' });
    const principal = await auth.authenticate(token);
    assert.equal(principal?.name, 'Ann');
    assert.equal(principal?.role, 'agent');

    const saved = clock;
    clock = new Date(saved.getTime() + 3600_000 + 1);
    assert.equal(await auth.authenticate(token), null, 'expired');
    clock = saved;

    await auth.logout(principal!);
    assert.equal(await auth.authenticate(token), null, 'revoked');
  });

  test('a disabled account cannot sign in and its sessions stop working', async () => {
    const created = await auth.createAgent({ email: 'carl@example.com', name: 'Carl', password: 'carl password' });
    const { token } = await auth.login({ email: 'carl@example.com', password: 'carl password' });
    await new AgentStore(prisma).updateAgent(created.id, { disabled: true });
    assert.equal(await auth.authenticate(token), null);
    await assert.rejects(auth.login({ email: 'carl@example.com', password: 'carl password' }), { code: 'INVALID_CREDENTIALS' });
  });

  test('repeated failed sign-ins for one email are rate-limited', async () => {
    await auth.createAgent({ email: 'dora@example.com', name: 'Dora', password: 'dora password' });
    let limited = false;
    for (let attempt = 0; attempt < 12 && !limited; attempt++) {
      try {
        await auth.login({ email: 'dora@example.com', password: `wrong ${attempt}`, address: '10.0.0.9' });
      } catch (error) {
        limited = (error as { code?: string }).code === 'RATE_LIMITED';
      }
    }
    assert.ok(limited);
  });
});

describe('queue and state changes', () => {
  test('the queue lists waiting conversations longest-waiting first, and held ones apart', async () => {
    await prisma.conversation.updateMany({ where: { status: { in: ['waiting_for_agent', 'agent'] } }, data: { status: 'resolved' } });
    const late = await conversation({ status: 'waiting_for_agent', waitingSince: new Date('2026-11-23T09:30:00Z'), messages: [{ role: 'visitor', text: 'late one' }] });
    const early = await conversation({ status: 'waiting_for_agent', waitingSince: new Date('2026-11-23T09:00:00Z'), messages: [{ role: 'visitor', text: 'early one' }] });
    const held = await conversation({ status: 'bot' });
    await workspace.act(ann, held.id, 'take_over');
    await conversation({ status: 'bot' });

    const queue = await workspace.queue();
    assert.deepEqual(queue.waiting.map((entry) => entry.id), [early.id, late.id]);
    assert.equal(queue.waiting[0]?.last?.text, 'early one');
    assert.deepEqual(queue.active.map((entry) => entry.id), [held.id]);
    assert.deepEqual(queue.active[0]?.assignee, { id: ann.id, name: 'Ann' });
  });

  test('take over, hand back and resolve are written with their time stamps', async () => {
    const { id } = await conversation({ status: 'waiting_for_agent', waitingSince: new Date() });
    const taken = await workspace.act(ann, id, 'take_over');
    assert.equal(taken.status, 'agent');
    await assert.rejects(workspace.act(ann, id, 'request_agent'), { code: 'INVALID_TRANSITION' });
    await assert.rejects(workspace.act({ ...ann, id: randomUUID() }, id, 'hand_back'), { code: 'NOT_ASSIGNEE' });
    const back = await workspace.act(ann, id, 'hand_back');
    assert.deepEqual([back.status, back.assignee, back.waitingSince], ['bot', null, null]);
    const closed = await workspace.act(ann, id, 'resolve');
    assert.equal(closed.status, 'resolved');
    assert.ok(closed.resolvedAt);
    await assert.rejects(workspace.act(ann, randomUUID(), 'take_over'), { code: 'NOT_FOUND' });
  });

  test('two agents taking over at once: exactly one gets the conversation', async () => {
    const { id } = await conversation({ status: 'waiting_for_agent', waitingSince: new Date() });
    const other: AgentPrincipal = { ...ann, id: (await prisma.agent.findUniqueOrThrow({ where: { email: 'dora@example.com' } })).id, name: 'Dora' };
    const results = await Promise.allSettled([workspace.act(ann, id, 'take_over'), workspace.act(other, id, 'take_over')]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.reason.code, 'HELD_BY_OTHER');
  });

  test('state changes are announced to listeners', async () => {
    const { id } = await conversation({ status: 'waiting_for_agent', waitingSince: new Date() });
    const changed: string[] = [];
    const listener = (conversationId: string) => changed.push(conversationId);
    workspace.on('changed', listener);
    try {
      await workspace.act(ann, id, 'take_over');
      await workspace.act(ann, id, 'take_over'); // no change, no event
      assert.deepEqual(changed, [id]);
    } finally {
      workspace.off('changed', listener);
    }
  });
});

describe('agent replies', () => {
  test('only the holder replies; the reply is linked to the unanswered visitor message and is idempotent', async () => {
    const { id, messageIds } = await conversation({
      status: 'waiting_for_agent',
      waitingSince: new Date(),
      messages: [{ role: 'visitor', text: 'hi' }, { role: 'bot', text: 'passing you on', source: 'handoff' }, { role: 'visitor', text: 'hello? anyone?' }],
    });
    await assert.rejects(workspace.reply(ann, { conversationId: id, text: 'Hi!' }), { code: 'NOT_ASSIGNEE' });
    await workspace.act(ann, id, 'take_over');
    await assert.rejects(workspace.reply(bob, { conversationId: id, text: 'Hi!' }), { code: 'NOT_ASSIGNEE' });
    await assert.rejects(workspace.reply(ann, { conversationId: id, text: '   ' }), { code: 'TEXT_EMPTY' });
    await assert.rejects(workspace.reply(ann, { conversationId: id, text: 'x'.repeat(2001) }), { code: 'TEXT_TOO_LONG' });

    const outgoing: string[] = [];
    const listener = (message: { text: string }) => outgoing.push(message.text);
    events.on('replied', listener);
    try {
      const first = await workspace.reply(ann, { conversationId: id, text: '  Hi, Ann here.  ', clientId: 'k1' });
      const again = await workspace.reply(ann, { conversationId: id, text: 'Hi, Ann here.', clientId: 'k1' });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.message.messageId, first.message.messageId);
      assert.deepEqual(outgoing, ['Hi, Ann here.']);
      assert.equal(first.message.role, 'agent');
      assert.equal(first.message.source, 'agent');
      assert.deepEqual(first.message.agent, { id: ann.id, name: 'Ann' });
      assert.equal(first.message.replyTo, messageIds[2]);
    } finally {
      events.off('replied', listener);
    }
    const transcript = await workspace.transcript(id, ann);
    assert.deepEqual(transcript.messages.map((message) => message.role), ['visitor', 'bot', 'visitor', 'agent']);
    assert.deepEqual(transcript.actions, ['release', 'hand_back', 'resolve', 'reply']);
  });
});

describe('transcript review', () => {
  let lowConfidence: string;
  let fallback: string;
  let negative: string;
  let badCsat: string;
  let handedOver: string;
  let plain: string;
  let old: string;

  before(async () => {
    lowConfidence = (await conversation({ messages: [{ role: 'visitor', text: 'my parcel is lost somewhere' }, { role: 'bot', text: 'Tracking…', source: 'intent', intent: 'track_order', confidence: 0.31 }] })).id;
    fallback = (await conversation({ messages: [{ role: 'visitor', text: 'do you sell gift wrapping' }, { role: 'bot', text: 'Did you mean…', source: 'clarify', confidence: 0.2 }] })).id;
    negative = (await conversation({ messages: [{ role: 'visitor', text: 'refunds please' }, { role: 'bot', text: 'Our refund policy…', source: 'intent', intent: 'refund', confidence: 0.93, rating: 'down' }] })).id;
    badCsat = (await conversation({ csat: 1, messages: [{ role: 'visitor', text: 'whatever' }] })).id;
    handedOver = (await conversation({ messages: [{ role: 'visitor', text: 'I want a human' }, { role: 'bot', text: 'Passing you on', source: 'handoff', confidence: 0.9 }] })).id;
    plain = (await conversation({ messages: [{ role: 'visitor', text: 'where is my order 12345' }, { role: 'bot', text: 'Here is how to track it', source: 'intent', intent: 'track_order', confidence: 0.97 }] })).id;
    old = (await conversation({ updatedAt: new Date('2020-01-01T00:00:00Z'), messages: [{ role: 'visitor', text: 'an ancient question about refunds' }] })).id;
  });

  const ids = async (filters: Parameters<AgentWorkspace['list']>[0]) => (await workspace.list({ limit: 200, ...filters })).conversations.map((entry) => entry.id);

  test('filters: low confidence, fallback used, negative feedback, handed over', async () => {
    const low = await ids({ lowConfidence: true });
    assert.ok(low.includes(lowConfidence) && low.includes(fallback));
    assert.ok(!low.includes(plain) && !low.includes(negative));
    const fell = await ids({ fallback: true });
    assert.ok(fell.includes(fallback) && !fell.includes(lowConfidence) && !fell.includes(plain));
    const unhappy = await ids({ negativeFeedback: true });
    assert.ok(unhappy.includes(negative) && unhappy.includes(badCsat) && !unhappy.includes(plain));
    const human = await ids({ handedOver: true });
    assert.ok(human.includes(handedOver) && !human.includes(plain) && !human.includes(fallback));
  });

  test('a summary carries the flags, the lowest confidence and the last message', async () => {
    const summary = await workspace.summary(lowConfidence);
    assert.deepEqual(summary.flags, { lowConfidence: true, fallback: false, negativeFeedback: false, handedOver: false });
    assert.equal(summary.minConfidence, 0.31);
    assert.equal(summary.messageCount, 2);
    assert.equal(summary.last?.role, 'bot');
    assert.equal((await workspace.summary(negative)).flags.negativeFeedback, true);
  });

  test('filters: status and date range', async () => {
    const resolvedOnly = await workspace.list({ status: ['resolved'], limit: 200 });
    assert.ok(resolvedOnly.conversations.every((entry) => entry.status === 'resolved'));
    const recent = await ids({ from: new Date('2026-01-01T00:00:00Z') });
    assert.ok(!recent.includes(old) && recent.includes(plain));
    const ancient = await ids({ to: new Date('2021-01-01T00:00:00Z') });
    assert.ok(!ancient.includes(plain));
  });

  test('full-text search finds word prefixes, shows the hit, and combines with filters', async () => {
    const found = await workspace.list({ q: 'Refund' });
    const hits = found.conversations.map((entry) => entry.id);
    assert.ok(hits.includes(negative) && hits.includes(old), 'refund finds refunds');
    assert.ok(!hits.includes(plain));
    const match = found.conversations.find((entry) => entry.id === negative)?.match;
    assert.ok(match?.segments.some((segment) => segment.hit && /^refund/i.test(segment.text)), JSON.stringify(match));
    assert.deepEqual(await ids({ q: 'order 12345' }), [plain]);
    assert.deepEqual(await ids({ q: 'refunds', negativeFeedback: true }), [negative]);
    assert.deepEqual(await ids({ q: '"); DROP TABLE "Message"; --' }), []);
  });

  test('search in a script without spaces falls back to substring matching', async () => {
    const chinese = (await conversation({ messages: [{ role: 'visitor', text: '我想申请退款，订单号是123' }] })).id;
    assert.deepEqual(await ids({ q: '退款' }), [chinese]);
    assert.equal(searchPlan('退款')?.kind, 'substring');
    assert.equal(searchPlan('100%_off')?.kind, 'fts');
    assert.equal(searchPlan('  '), null);
  });

  test('pages follow each other without gaps or repeats', async () => {
    const all = await ids({});
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await workspace.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.conversations.map((entry) => entry.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, all);
  });
});

describe('corrections', () => {
  test('a correction of a visitor message lands in the next training set; "oos" marks out of scope', async () => {
    const { id, messageIds } = await conversation({
      messages: [
        { role: 'visitor', text: 'parcel never showed up' },
        { role: 'bot', text: 'Refund policy…', source: 'intent', intent: 'refund', confidence: 0.6 },
        { role: 'visitor', text: 'what is the weather on mars' },
      ],
    });
    const [wrong, botReply, offTopic] = messageIds as [string, string, string];
    const before = (await labelledExamples(prisma)).length;

    const label = await workspace.correct(ann, wrong, 'track_order');
    assert.equal(label.intent, 'track_order');
    await workspace.correct(ann, offTopic, 'oos');
    await assert.rejects(workspace.correct(ann, wrong, 'no_such_intent'), { code: 'UNKNOWN_INTENT' });
    await assert.rejects(workspace.correct(ann, botReply, 'refund'), { code: 'NOT_FOUND' });
    // A second opinion replaces the first: one label per message.
    await workspace.correct(bob, wrong, 'refund');
    await workspace.correct(ann, wrong, 'track_order');

    const examples = await labelledExamples(prisma);
    assert.equal(examples.length, before + 2);
    assert.deepEqual(examples.slice(-2), [
      { text: 'what is the weather on mars', intent: 'oos' },
      { text: 'parcel never showed up', intent: 'track_order' },
    ]);
    assert.deepEqual(await workspace.labelledExamples(), examples);
    // The training pipeline's reader sees the same corrections.
    const forTraining = await labelledMessages(prisma);
    assert.ok(forTraining.some((row) => row.text === 'parcel never showed up' && row.intent === 'track_order' && row.origin === 'agent'));

    const transcript = await workspace.transcript(id, ann);
    assert.equal(transcript.messages[0]?.label?.intent, 'track_order');
    assert.equal(transcript.messages[0]?.label?.agent?.name, 'Ann');
    assert.equal(transcript.messages[1]?.intent, 'refund');
    const recent = await workspace.corrections(5);
    assert.equal(recent[0]?.messageId, wrong);

    assert.equal(await workspace.removeCorrection(ann, offTopic), true);
    assert.ok(!(await labelledExamples(prisma)).some((example) => example.intent === 'oos' && example.text === 'what is the weather on mars'));
  });

  test('the intents offered for corrections are the catalogue and "oos"', () => {
    assert.deepEqual(workspace.intents().map((intent) => intent.name), ['track_order', 'refund', 'oos']);
  });

  // Visitors rate through the chat's `csat` event; test/gateway/chat.test.ts checks what it stores.
  test('CSAT scores are shown', async () => {
    const { id } = await conversation({ csat: 4 });
    assert.equal((await workspace.summary(id)).csat, 4);
  });
});
