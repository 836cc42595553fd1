// RETENTION_DAYS (issue 21): conversations inactive for longer are erased in small batches, one
// process at a time; newer ones, and everything else, stay. Real Postgres, migrated.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadConfig, ConfigError } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { AuditStore } from '../../src/store/audit-store.ts';
import { runRetention, startRetention } from '../../src/privacy/retention.ts';
import { migratedDatabase } from '../helpers/postgres.ts';

const logger = createLogger('silent');
let database: Awaited<ReturnType<typeof migratedDatabase>>;
let prisma: PrismaClient;

before(async () => {
  database = await migratedDatabase(4);
  prisma = database.prisma;
});

after(() => database?.close());

const DAY_MS = 86_400_000;

/** A visitor's conversation last active `daysAgo` days ago, with a message, feedback and a label. */
async function conversation(daysAgo: number, text: string, visitor: { id: string; name?: string } = { id: randomUUID() }): Promise<string> {
  const at = new Date(Date.now() - daysAgo * DAY_MS);
  await prisma.visitor.upsert({ where: { id: visitor.id }, create: { id: visitor.id, name: visitor.name ?? null, createdAt: at, lastSeenAt: at }, update: {} });
  const id = randomUUID();
  await prisma.conversation.create({ data: { id, visitorId: visitor.id, createdAt: at, updatedAt: at, status: 'resolved', csat: 5, page: `https://shop.example/${text}` } });
  const message = await prisma.message.create({ data: { id: randomUUID(), conversationId: id, role: 'visitor', text, clientId: 'c1', createdAt: at } });
  const reply = await prisma.message.create({ data: { id: randomUUID(), conversationId: id, role: 'bot', text: `reply to ${text}`, replyToId: message.id, source: 'clarify', createdAt: at } });
  await prisma.feedback.create({ data: { id: randomUUID(), messageId: reply.id, rating: 'down' } });
  await prisma.intentLabel.create({ data: { id: randomUUID(), messageId: message.id, intent: 'oos', origin: 'import' } });
  // Raw SQL: Prisma's @updatedAt would stamp now.
  await prisma.$executeRaw`UPDATE "Conversation" SET "updatedAt" = ${at} WHERE id = ${id}::uuid`;
  return id;
}

test('RETENTION_DAYS is off unless set to a whole number of days', () => {
  assert.equal(loadConfig({}).retentionDays, null);
  assert.equal(loadConfig({ RETENTION_DAYS: 'off' }).retentionDays, null);
  assert.equal(loadConfig({ RETENTION_DAYS: '30' }).retentionDays, 30);
  for (const value of ['0', '-3', '1.5', 'forever']) assert.throws(() => loadConfig({ RETENTION_DAYS: value }), ConfigError, value);
});

test('a pass erases the content of conversations inactive for longer, in batches, and keeps the rest', async () => {
  const visitor = { id: randomUUID(), name: 'Olga Oldtimer' };
  const old = [await conversation(40, 'old-one-7781', visitor), await conversation(35, 'old-two-7782', visitor), await conversation(31, 'old-three-7783')];
  const recent = await conversation(29, 'recent-7784');
  const returning = { id: randomUUID(), name: 'Rita Returner' };
  const returningOld = await conversation(60, 'returning-old-7785', returning);
  const returningNew = await conversation(1, 'returning-new-7786', returning);

  const run = await runRetention({ prisma, databaseUrl: database.url, days: 30, logger, batchSize: 2, pauseMs: 10 });
  assert.deepEqual({ ...run, messages: undefined }, { skipped: false, batches: 2, conversations: 4, messages: undefined });
  assert.equal(run.messages, 8);

  const rows = await prisma.conversation.findMany({ where: { id: { in: [...old, recent, returningOld, returningNew] } }, include: { messages: true } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const id of [...old, returningOld]) {
    const row = byId.get(id)!;
    assert.ok(row.erasedAt, 'erased');
    assert.equal(row.messages.length, 0);
    assert.equal(row.page, null);
    assert.equal(row.csat, 5, 'aggregates stay');
  }
  for (const id of [recent, returningNew]) {
    assert.equal(byId.get(id)!.erasedAt, null);
    assert.equal(byId.get(id)!.messages.length, 2);
  }
  assert.equal((await prisma.visitor.findUniqueOrThrow({ where: { id: visitor.id } })).name, null, 'a visitor with nothing left loses their name');
  assert.equal((await prisma.visitor.findUniqueOrThrow({ where: { id: returning.id } })).name, 'Rita Returner', 'a visitor with a newer conversation keeps theirs');
  assert.equal((await prisma.visitor.findUniqueOrThrow({ where: { id: visitor.id } })).tokenGeneration, 0, 'retention revokes no tokens');
  assert.equal(await prisma.feedback.count(), 2);
  assert.equal(await prisma.intentLabel.count(), 2);

  const audit = await new AuditStore(prisma).list({ action: 'retention.erase' });
  assert.equal(audit.events.length, 2);
  assert.deepEqual(audit.events.map((event) => event.actor), [{ kind: 'system', id: null, name: 'retention' }, { kind: 'system', id: null, name: 'retention' }]);
  const erasedIds = audit.events.flatMap((event) => (event.details as { conversationIds: string[] }).conversationIds);
  assert.deepEqual(erasedIds.sort(), [...old, returningOld].sort());

  assert.deepEqual(await runRetention({ prisma, databaseUrl: database.url, days: 30, logger }), { skipped: false, batches: 0, conversations: 0, messages: 0 });
});

test('one process at a time: a pass that finds another one running skips', async () => {
  for (let i = 0; i < 3; i++) await conversation(50, `locked-${i}`);
  const runs = await Promise.all([
    runRetention({ prisma, databaseUrl: database.url, days: 30, logger, batchSize: 1, pauseMs: 300 }),
    runRetention({ prisma, databaseUrl: database.url, days: 30, logger, batchSize: 1, pauseMs: 300 }),
  ]);
  assert.deepEqual(runs.map((run) => run.skipped).sort(), [false, true]);
  assert.equal(runs.find((run) => !run.skipped)!.conversations, 3);
});

test('the hourly job is off without RETENTION_DAYS, and stops between batches', async () => {
  assert.equal(await startRetention(null, { prisma, databaseUrl: database.url, logger }).runNow(), null);
  for (let i = 0; i < 3; i++) await conversation(50, `stopped-${i}`);
  const job = startRetention(30, { prisma, databaseUrl: database.url, logger, batchSize: 1, pauseMs: 60_000 });
  const pass = job.runNow();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = Date.now();
  await job.stop();
  assert.ok(Date.now() - started < 5_000, 'stop does not wait out the pause');
  assert.equal((await pass)?.conversations, 1);
  assert.equal(await prisma.conversation.count({ where: { erasedAt: null, updatedAt: { lt: new Date(Date.now() - 30 * DAY_MS) } } }), 2);
});
