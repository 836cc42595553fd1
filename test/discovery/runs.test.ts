// Discovery runs live in Postgres: a run started through one process's review is listed and reviewed
// through another's (its own DATA_DIR, the same database); two decisions on the same cluster at once
// give one CONFLICT, not a lost update; a run whose process stopped beating is reported failed; an
// erased visitor's requests leave stored runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCatalogue } from '../../src/catalogue/index.ts';
import { importFile } from '../../src/corpus/import-file.ts';
import { DiscoveryReview, ReviewError, type DiscoveryReviewOptions } from '../../src/discovery/review.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { DataRightsStore } from '../../src/store/data-rights-store.ts';
import { DiscoveryRunStore } from '../../src/store/discovery-store.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { migratedDatabase } from '../helpers/postgres.ts';
import { temporaryDirectory } from '../helpers/temp.ts';
import { fixtureConversations } from './fixtures.ts';

let database: Awaited<ReturnType<typeof migratedDatabase>>;
const processes: Array<{ prisma: PrismaClient; review: DiscoveryReview; saved: string[] }> = [];
const files = temporaryDirectory();

/** A server process's review: its own database connections, nothing shared in memory. */
function reviewProcess(): (typeof processes)[number] {
  const prisma = createPrismaClient(database.url, 4);
  const saved: string[] = [];
  const review = new DiscoveryReview({
    prisma,
    logger: createLogger('silent'),
    catalogue: () => createCatalogue([]),
    // Slow enough that a decision elsewhere on the same run arrives while this one holds it.
    editor: {
      save: async (path: string) => {
        saved.push(path);
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    } as unknown as DiscoveryReviewOptions['editor'],
    retrain: async () => ({ promoted: true, version: 'v-test' }),
  });
  const process = { prisma, review, saved };
  processes.push(process);
  return process;
}

let a: (typeof processes)[number];
let b: (typeof processes)[number];

before(async () => {
  database = await migratedDatabase();
  const file = join(files.path, 'logs.jsonl');
  writeFileSync(file, fixtureConversations(2).map((conversation) => JSON.stringify({ id: conversation.id, messages: conversation.messages })).join('\n'));
  await importFile(database.prisma, file, { format: 'jsonl' });
  a = reviewProcess();
  b = reviewProcess();
});

after(async () => {
  for (const { review, prisma } of processes) {
    await review.close();
    await prisma.$disconnect();
  }
  await database?.close();
  files.remove();
});

async function finished(review: DiscoveryReview, id: string) {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    const run = await review.get(id);
    if (run.status !== 'running') return run;
  }
  throw new Error('the run did not finish');
}

test('a run started through one process is listed and reviewed through another, and conflicting decisions give CONFLICT', { timeout: 180_000 }, async () => {
  const started = await a.review.start({ seed: 1, k: 6 }, 'root@example.com');
  const listed = (await b.review.list()).find((run) => run.id === started.id);
  assert.ok(listed, 'the other process lists the run at once');
  assert.equal(listed.createdBy, 'root@example.com');
  const run = await finished(b.review, started.id);
  assert.equal(run.status, 'done', run.error);
  assert.ok(run.clusters.length >= 6, JSON.stringify(run.clusters.map((cluster) => cluster.keywords)));
  const [first, second, third, fourth] = run.clusters;

  const merged = await b.review.merge(run.id, [first!.id, second!.id], { id: null, name: 'bea@example.com' });
  const accepted = await b.review.accept(run.id, merged.id, { name: 'merged_topic', label: 'Merged', examples: merged.examples, answer: 'An answer.' }, { id: null, name: 'bea@example.com' });
  assert.equal(accepted.status, 'accepted');
  assert.deepEqual(b.saved, ['merged_topic.yaml']);
  const seenByA = await a.review.get(run.id);
  assert.equal(seenByA.clusters.find((cluster) => cluster.id === first!.id)!.status, 'merged');
  assert.equal(seenByA.clusters.find((cluster) => cluster.id === merged.id)!.resolution!.intent, 'merged_topic');
  assert.equal((await a.review.list()).find((listed) => listed.id === run.id)!.open, run.clusters.length - 2);

  // Two admins on two processes decide on the same cluster at once: one wins, the other is told.
  const outcomes = await Promise.allSettled([
    a.review.accept(run.id, third!.id, { name: 'third_topic', label: 'Third', examples: third!.examples, answer: 'An answer.' }, { id: null, name: 'ann@example.com' }),
    b.review.markNoise(run.id, third!.id, { id: null, name: 'bea@example.com' }),
  ]);
  assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1, JSON.stringify(outcomes));
  const lost = outcomes.find((outcome) => outcome.status === 'rejected')!.reason;
  assert.ok(lost instanceof ReviewError && lost.code === 'CONFLICT', String(lost));
  const decided = (await b.review.get(run.id)).clusters.find((cluster) => cluster.id === third!.id)!;
  assert.equal(decided.status, outcomes[0].status === 'fulfilled' ? 'accepted' : 'noise');
  // Decisions on different clusters at once are both kept.
  const [, lastMerged] = await Promise.all([
    a.review.markNoise(run.id, fourth!.id, { id: null, name: 'ann@example.com' }),
    b.review.merge(run.id, run.clusters.slice(4, 6).map((cluster) => cluster.id), { id: null, name: 'bea@example.com' }),
  ]);
  const latest = await a.review.get(run.id);
  assert.equal(latest.clusters.find((cluster) => cluster.id === fourth!.id)!.status, 'noise');
  assert.equal(latest.clusters.find((cluster) => cluster.id === lastMerged.id)!.status, 'open');

  // The retraining's outcome, written by the process that started it, reaches the other.
  for (const deadline = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const retraining = (await b.review.get(run.id)).clusters.find((cluster) => cluster.id === merged.id)!.resolution!.retraining;
    if (retraining?.status === 'promoted') break;
    assert.ok(Date.now() < deadline, JSON.stringify(retraining));
  }
});

test('a run whose process stopped beating is reported failed', async () => {
  const id = randomUUID();
  await database.prisma.$executeRaw`
    INSERT INTO "DiscoveryRun" (id, status, "createdAt", "createdBy", owner, "heartbeatAt", document)
    VALUES (${id}::uuid, 'running', now() - interval '10 minutes', 'root@example.com', 'a process that died', now() - interval '5 minutes', '{"options":{},"clusters":[],"longTail":[],"texts":{}}'::jsonb)`;
  const run = (await b.review.list()).find((listed) => listed.id === id)!;
  assert.equal(run.status, 'failed');
  assert.match(run.error ?? '', /stopped/);
});

test('a run finishing after a visitor was erased leaves out their requests, and only its own process finishes it', async () => {
  const store = new DiscoveryRunStore(database.prisma);
  const id = randomUUID();
  const kept = (await database.prisma.message.findFirstOrThrow({ where: { role: 'visitor' }, select: { id: true } })).id;
  const erased = randomUUID();
  await store.create({ id, createdBy: 'root@example.com', owner: 'this process', document: { options: {}, clusters: [], longTail: [], texts: {} } });
  const document = {
    options: {},
    texts: { [kept]: 'kept text', [erased]: 'erased text' },
    clusters: [{ id: 'c1', requestIds: [kept, erased], examples: ['kept text', 'Erased  text'], size: 2 }],
    longTail: [{ requestId: erased, text: 'erased text', count: 1 }],
  };
  assert.equal(await store.finish(id, 'another process', 'done', document), false);
  assert.equal(await store.finish(id, 'this process', 'done', document), true);
  const stored = (await store.get(id, { texts: true }))!;
  assert.equal(stored.status, 'done');
  assert.deepEqual(stored.document.texts, { [kept]: 'kept text' });
  assert.deepEqual(stored.document.clusters, [{ id: 'c1', requestIds: [kept], examples: ['kept text'], size: 1 }]);
  assert.deepEqual(stored.document.longTail, []);
});

test("an erased visitor's requests leave the stored runs", { timeout: 180_000 }, async () => {
  const run = await finished(a.review, (await a.review.start({ seed: 2 }, 'root@example.com')).id);
  const cluster = run.clusters[0]!;
  const messageId = cluster.requestIds[0]!;
  const message = await database.prisma.message.findUniqueOrThrow({ where: { id: messageId }, select: { conversation: { select: { visitorId: true } } } });
  const visitorMessages = await database.prisma.message.findMany({ where: { conversation: { visitorId: message.conversation.visitorId }, role: 'visitor' }, select: { id: true } });
  const before = (await database.prisma.discoveryRun.findUniqueOrThrow({ where: { id: run.id } })).document as { texts: Record<string, string> };
  const text = before.texts[messageId]!;

  await new DataRightsStore(database.prisma).eraseVisitors([message.conversation.visitorId], { actor: { kind: 'cli', name: 'test' }, action: 'visitor.erase' });

  const stored = (await database.prisma.discoveryRun.findUniqueOrThrow({ where: { id: run.id } })).document as { texts: Record<string, string>; clusters: Array<{ requestIds: string[]; examples: string[] }>; longTail: Array<{ requestId: string; text: string }> };
  for (const { id } of visitorMessages) {
    assert.equal(stored.texts[id], undefined);
    assert.ok(stored.clusters.every((candidate) => !candidate.requestIds.includes(id)));
    assert.ok(stored.longTail.every((item) => item.requestId !== id));
  }
  assert.ok(stored.clusters.every((candidate) => !candidate.examples.includes(text)));
  assert.ok(Object.keys(stored.texts).length > 0, 'the other visitors\' requests stay');
  assert.equal((await b.review.get(run.id)).clusters[0]!.size, cluster.size - cluster.requestIds.filter((id) => visitorMessages.some((m) => m.id === id)).length);
});
