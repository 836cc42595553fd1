// The report from the rollups (migration 20261201300000_report_rollups: "ReportMessageDay" for whole
// UTC days, "ReportConversation") against the report from the raw tables, on the desk of seed.ts:
// ranges with partial days at either end, late thumbs, CSAT and languages, concurrent writers, a
// backfill of rows written before the migration, and an erasure (whose counters stay).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { REPORT_GROUPINGS, ReportStore, wholeDays, type ReportRange } from '../../src/store/report-store.ts';
import { DataRightsStore } from '../../src/store/data-rights-store.ts';
import { DeskReports, type Report } from '../../src/reports/report.ts';
import { temporaryDirectory } from '../helpers/temp.ts';
import { seedDesk, WEEK, type SeededDesk } from './seed.ts';

const logger = createLogger('silent');
const dataDir = temporaryDirectory();
const migrationsDir = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;
let rollups: DeskReports;
let raw: DeskReports;
let desk: SeededDesk;

// The rollups and the migrations that change them (20261202200000_hot_path: counters split by connection;
// 20261202600000_static_report_triggers: the triggers' statements written out, planned once).
const ROLLUPS_MIGRATIONS = ['20261201300000_report_rollups', '20261202200000_hot_path', '20261202600000_static_report_triggers'];
const now = () => new Date('2026-11-10T00:00:00Z');

before(async () => {
  database = await openDatabase({ dataDir: dataDir.path, logger });
  // Every migration but the rollups', then the desk, then the rollups': they are backfilled.
  for (const name of readdirSync(MIGRATIONS_DIR)) {
    if (!ROLLUPS_MIGRATIONS.includes(name)) cpSync(join(MIGRATIONS_DIR, name), join(migrationsDir.path, name), { recursive: true });
  }
  mkdirSync(migrationsDir.path, { recursive: true });
  await applyMigrations(database.url, logger, migrationsDir.path);
  prisma = createPrismaClient(database.url, 8);
  desk = await seedDesk(prisma, { activeVersion: true });
  await applyMigrations(database.url, logger);
  rollups = new DeskReports(new ReportStore(prisma), { now });
  raw = new DeskReports(new ReportStore(prisma, { rollups: false }), { now });
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  dataDir.remove();
  migrationsDir.remove();
});

/** Whole days, partial days at both ends, less than a day, a day and a bit, the whole desk. */
const RANGES: ReportRange[] = [
  WEEK,
  { from: new Date('2026-11-02T09:30:00Z'), to: new Date('2026-11-08T21:00:00Z') },
  { from: new Date('2026-11-02T09:00:30Z'), to: new Date('2026-11-02T10:01:00Z') },
  { from: new Date('2026-11-01T22:00:00Z'), to: new Date('2026-11-03T12:00:01Z') },
  { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-10T00:00:00Z') },
];

async function both(range: ReportRange, groupBy: (typeof REPORT_GROUPINGS)[number]): Promise<{ fromRollups: Report; fromRaw: Report }> {
  const [fromRollups, fromRaw] = await Promise.all([rollups.report({ range, groupBy }), raw.report({ range, groupBy })]);
  return { fromRollups, fromRaw };
}

async function assertAgree(label: string): Promise<void> {
  for (const range of RANGES) {
    for (const groupBy of REPORT_GROUPINGS) {
      const { fromRollups, fromRaw } = await both(range, groupBy);
      assert.deepEqual(fromRollups, fromRaw, `${label}: ${groupBy} ${range.from.toISOString()}…${range.to.toISOString()}`);
    }
  }
}

/** The figures of a report (not the model's accuracy or the request texts, which erasure takes with the labels and texts). */
const figures = (report: Report) => ({ total: report.total, groups: report.groups, unanswered: report.requests.unanswered, lowConfidence: report.requests.lowConfidence });

const conversationAt = async (iso: string) => (await prisma.conversation.findFirstOrThrow({ where: { createdAt: new Date(iso) } }));

describe('report rollups', () => {
  test('the whole and partial days of a range', () => {
    assert.deepEqual(wholeDays(WEEK), { from: '2026-11-02', to: '2026-11-09' });
    assert.deepEqual(wholeDays({ from: new Date('2026-11-02T09:30:00Z'), to: new Date('2026-11-08T21:00:00Z') }), { from: '2026-11-03', to: '2026-11-08' });
    assert.equal(wholeDays({ from: new Date('2026-11-02T09:30:00Z'), to: new Date('2026-11-03T09:30:00Z') }), null);
  });

  test('backfilled at migration time: the same report as from the raw tables, for every grouping, with and without partial days', async () => {
    const [counts] = await prisma.$queryRaw<Array<{ days: number; conversationDays: number; summaries: number; conversations: number }>>`
      SELECT (SELECT count(*) FROM "ReportMessageDay")::int AS days, (SELECT sum(conversations) FROM "ReportConversationDay" WHERE kind = 'language')::int AS "conversationDays",
        (SELECT count(*) FROM "ReportConversation")::int AS summaries, (SELECT count(*) FROM "Conversation")::int AS conversations`;
    assert.ok(counts!.days > 0);
    assert.equal(counts!.conversationDays, counts!.conversations);
    assert.equal(counts!.summaries, counts!.conversations);
    await assertAgree('backfill');
  });

  test('late thumbs, a changed thumb, CSAT, an assignment, a changed language and a corrected intent are counted as they come', async () => {
    const c4 = await conversationAt('2026-11-05T08:00:00Z');
    const c1 = await conversationAt('2026-11-02T09:00:00Z');
    const [b4a] = await prisma.message.findMany({ where: { conversationId: c4.id, role: 'bot', intent: 'track_order' } });
    const [b1b] = await prisma.message.findMany({ where: { conversationId: c1.id, role: 'bot', intent: 'thanks' } });
    // A thumb two days later, and one changed from up to down.
    await prisma.feedback.create({ data: { id: randomUUID(), messageId: b4a!.id, rating: 'up', createdAt: new Date('2026-11-07T10:00:00Z') } });
    await prisma.feedback.create({ data: { id: randomUUID(), messageId: b1b!.id, rating: 'up', createdAt: new Date('2026-11-02T09:30:00Z') } });
    await prisma.feedback.update({ where: { messageId: b1b!.id }, data: { rating: 'down' } });
    // CSAT at the end of the chat, an agent taking it, a language learnt late.
    await prisma.conversation.update({ where: { id: c4.id }, data: { csat: 3, status: 'resolved', resolvedAt: new Date('2026-11-05T09:00:00Z'), assigneeId: desk.agentId, language: 'de' } });
    await prisma.conversation.update({ where: { id: c1.id }, data: { language: 'fr' } });
    // A reply written later in C4 (its intent new to the conversation) and an agent's message.
    const [v4b] = await prisma.message.findMany({ where: { conversationId: c4.id, role: 'visitor' }, orderBy: { seq: 'desc' }, take: 1 });
    await prisma.message.create({
      data: { id: randomUUID(), conversationId: c4.id, role: 'bot', text: '(intent)', replyToId: v4b!.id, source: 'intent', intent: 'gift_cards', confidence: 0.3, modelVersionId: desk.versions.v2.id, createdAt: new Date('2026-11-05T08:01:00Z') },
    });
    await prisma.message.create({ data: { id: randomUUID(), conversationId: c4.id, role: 'agent', source: 'agent', text: 'Ann here.', agentId: desk.agentId, createdAt: new Date('2026-11-05T08:03:00Z') } });
    // A reply's intent corrected in place (its thumb moves with it), and a visitor message's entities (nothing to count).
    await prisma.message.update({ where: { id: b4a!.id }, data: { intent: 'order_status' } });
    await prisma.message.update({ where: { id: v4b!.id }, data: { entities: [] } });
    await assertAgree('late events');
    const byLanguage = await rollups.report({ range: WEEK, groupBy: 'language' });
    assert.equal(byLanguage.groups.find((group) => group.key === 'de')?.conversations, 2);
    assert.equal(byLanguage.groups.find((group) => group.key === null), undefined, 'no conversation or message is left without a language');
  });

  test('concurrent writers in one day and group: every message and thumb counted once', async () => {
    const conversations = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const visitorId = randomUUID();
        await prisma.visitor.create({ data: { id: visitorId } });
        return prisma.conversation.create({ data: { id: randomUUID(), visitorId, language: 'en', createdAt: new Date('2026-11-04T10:00:00Z') } });
      }),
    );
    await Promise.all(
      Array.from({ length: 60 }, async (_, index) => {
        const conversation = conversations[index % conversations.length]!;
        const visitor = await prisma.message.create({ data: { id: randomUUID(), conversationId: conversation.id, role: 'visitor', text: `question ${index}`, createdAt: new Date(Date.UTC(2026, 10, 4, 10, 0, index)) } });
        const reply = await prisma.message.create({
          data: { id: randomUUID(), conversationId: conversation.id, role: 'bot', text: '(intent)', replyToId: visitor.id, source: 'intent', intent: 'track_order', confidence: 0.9, modelVersionId: desk.versions.v2.id, createdAt: new Date(Date.UTC(2026, 10, 4, 10, 0, index)) },
        });
        if (index % 3 === 0) await prisma.feedback.create({ data: { id: randomUUID(), messageId: reply.id, rating: 'up', createdAt: new Date(Date.UTC(2026, 10, 4, 11, 0, index)) } });
      }),
    );
    await assertAgree('concurrent writers');
  });

  test('after an erasure the counters stay: the report is what it was before, where the raw tables have lost the messages', async () => {
    const c1 = await conversationAt('2026-11-02T09:00:00Z');
    const before = await Promise.all(REPORT_GROUPINGS.map((groupBy) => rollups.report({ range: WEEK, groupBy })));
    const rawBefore = await Promise.all(REPORT_GROUPINGS.map((groupBy) => raw.report({ range: WEEK, groupBy })));
    assert.deepEqual(before.map(figures), rawBefore.map(figures));
    const erased = await new DataRightsStore(prisma).eraseVisitors([c1.visitorId], { actor: { kind: 'cli', name: 'test' }, action: 'visitor.erase' });
    assert.ok(erased.messages > 0);
    const afterErasure = await Promise.all(REPORT_GROUPINGS.map((groupBy) => rollups.report({ range: WEEK, groupBy })));
    assert.deepEqual(afterErasure.map(figures), before.map(figures));
    // The raw tables no longer hold the conversation's messages (nor its thumbs).
    assert.equal(await prisma.message.count({ where: { conversationId: c1.id } }), 0);
    const rawAfter = await raw.report({ range: WEEK, groupBy: 'day' });
    assert.equal(rawAfter.total.visitorMessages, before[0]!.total.visitorMessages - 2);
  });
});
