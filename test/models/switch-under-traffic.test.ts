import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ask, connectVisitor, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';
import { testPrisma } from '../agents/helpers.ts';
import { embeddedDatabaseUrl } from '../helpers/server.ts';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { ModelRegistry } from '../../src/models/registry.ts';
import { retrain, rollback } from '../../src/models/retrain.ts';
import { createLogger } from '../../src/observability/logger.ts';

const dir = temporaryDirectory();
let server: RunningServer;
let prisma: PrismaClient;

before(async () => {
  ({ server } = await startTestServer({ DATA_DIR: dir.path, RETRAIN_SCHEDULE: 'off', MESSAGES_PER_SECOND: '1000', MESSAGE_BURST: '1000' }));
  prisma = testPrisma(dir.path);
});

after(async () => {
  await prisma?.$disconnect();
  await server?.close();
  dir.remove();
});

// Catalogue utterances the bot answers confidently with every version (no fallback, so no handoff).
const TEXTS = ['where is my order', 'cancel my order please', 'how do i cancel my order', 'I want a refund for my order'];

test('retraining in a worker, promotion and rollback while a visitor sends messages: no failed or unanswered message', async () => {
  const registry = new ModelRegistry(prisma);
  const first = (await registry.active())!;
  const visitor: VisitorConnection = await connectVisitor(server.url);
  let stop = false;
  let sent = 0;
  const failures: string[] = [];
  const traffic = (async () => {
    while (!stop) {
      const text = TEXTS[sent % TEXTS.length]!;
      sent++;
      try {
        const { reply } = await ask(visitor.socket, text, `c-${randomUUID()}`);
        if (!reply?.text) failures.push(`empty reply to "${text}"`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  try {
    // Some labelled traffic for the gate to judge on.
    while (sent < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const messages = await prisma.message.findMany({ where: { role: 'visitor', conversationId: visitor.session.conversationId }, take: 20 });
    const catalogue = await loadCatalogue('intents');
    const intentOf = new Map(catalogue.trainingExamples().map((example) => [example.text.toLowerCase(), example.intent]));
    await prisma.intentLabel.createMany({
      data: messages.map((message) => ({ id: randomUUID(), messageId: message.id, intent: intentOf.get(message.text.toLowerCase()) ?? 'cancel_order', origin: 'agent' })),
    });

    const result = await retrain({
      prisma, databaseUrl: embeddedDatabaseUrl(dir.path), registry, catalogue, knowledgeDocuments: [], dataDir: dir.path, logger: createLogger('silent'),
      seed: 2, margin: 0.2, trigger: 'test', sets: { evaluationFraction: 0.5, minFrozen: 2 },
    });
    assert.ok(result.report, 'the gate ran');
    assert.ok((result.report.sets.frozen?.n ?? 0) + (result.report.sets.recent?.n ?? 0) > 0);
    const candidate = result.promoted ? result.version : await registry.promote(result.version.id);
    assert.equal((await registry.active())!.id, candidate.id);
    const sentAtPromotion = sent;
    while (sent < sentAtPromotion + 30) await new Promise((resolve) => setTimeout(resolve, 20));

    const { from, to } = await rollback(prisma, registry);
    assert.equal(from.id, candidate.id);
    assert.equal(from.status, 'rejected');
    assert.equal(to.id, first.id);
    const sentAtRollback = sent;
    while (sent < sentAtRollback + 30) await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    stop = true;
    await traffic;
    visitor.socket.close();
  }
  assert.deepEqual(failures, []);
  const replies = await prisma.message.findMany({ where: { role: 'bot', conversationId: visitor.session.conversationId }, select: { modelVersionId: true } });
  assert.equal(replies.length, sent, 'every message was answered');
  const versions = new Set(replies.map((reply) => reply.modelVersionId));
  assert.ok(versions.size >= 2, `replies came from ${versions.size} version(s)`);
});
