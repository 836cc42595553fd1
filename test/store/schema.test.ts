import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, DataDirInUseError, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const logger = createLogger('silent');
const dataDir = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;

before(async () => {
  database = await openDatabase({ dataDir: dataDir.path, logger });
  prisma = createPrismaClient(database.url);
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  dataDir.remove();
});

test('migrations apply once, are recorded like prisma migrate deploy, and a second run does nothing', async () => {
  const first = await applyMigrations(database.url, logger);
  assert.ok(first.length >= 1);
  assert.deepEqual(await applyMigrations(database.url, logger), []);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const rows = (await client.query('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name')).rows;
  await client.end();
  assert.deepEqual(rows.map((row) => row.migration_name), first.map((migration) => migration.name));
  assert.ok(rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum) && row.finished_at));
});

test('concurrent migration runs do not race', async () => {
  const results = await Promise.all([applyMigrations(database.url, logger), applyMigrations(database.url, logger)]);
  assert.deepEqual(results, [[], []]);
});

test('every Prisma model reads and writes against the migrated schema', async () => {
  const agent = await prisma.agent.create({ data: { id: randomUUID(), email: `a-${randomUUID()}@example.com`, name: 'Ann', passwordHash: 'x', role: 'admin' } });
  const visitor = await prisma.visitor.create({ data: { id: randomUUID() } });
  const conversation = await prisma.conversation.create({
    data: { id: randomUUID(), visitorId: visitor.id, status: 'waiting_for_agent', assigneeId: agent.id, waitingSince: new Date(), csat: 5 },
  });
  const version = await prisma.modelVersion.create({
    data: { id: randomUUID(), name: `m-${randomUUID()}`, encoder: 'builtin', metrics: { accuracy: 0.9 }, thresholds: { oos: 0.4 }, report: { ok: true } },
  });
  const visitorMessage = await prisma.message.create({ data: { id: randomUUID(), conversationId: conversation.id, role: 'visitor', text: 'hi', clientId: 'c1' } });
  const botMessage = await prisma.message.create({
    data: {
      id: randomUUID(), conversationId: conversation.id, role: 'bot', text: 'hello', replyToId: visitorMessage.id, source: 'retrieval',
      intent: 'greeting', confidence: 0.5, modelVersionId: version.id, latencyMs: 1.5, details: { suggestions: [] }, agentId: agent.id,
    },
  });
  assert.ok(botMessage.seq > visitorMessage.seq);
  await prisma.feedback.create({ data: { id: randomUUID(), messageId: botMessage.id, rating: 'up' } });
  await prisma.intentLabel.create({ data: { id: randomUUID(), messageId: visitorMessage.id, intent: 'oos', agentId: agent.id } });
  const chunk = await prisma.knowledgeChunk.create({
    data: { id: randomUUID(), kind: 'agent_answer', source: `conversation:${conversation.id}`, title: 't', question: 'q', text: 'a', contentHash: 'h', encoder: 'e', embedding: new Uint8Array([1, 2, 3]) },
  });
  assert.ok(chunk.label > 0);
  await prisma.serverSecret.create({ data: { name: `s-${randomUUID()}`, value: 'v' } });
  const run = await prisma.discoveryRun.create({ data: { id: randomUUID(), status: 'running', createdBy: agent.email, owner: 'p1', heartbeatAt: new Date(), document: { clusters: [] } } });
  assert.deepEqual((await prisma.discoveryRun.findUniqueOrThrow({ where: { id: run.id } })).document, { clusters: [] });

  const loaded = await prisma.conversation.findUniqueOrThrow({
    where: { id: conversation.id },
    include: { messages: { include: { feedback: true, label: true, modelVersion: true }, orderBy: { seq: 'asc' } }, assignee: true, visitor: true },
  });
  assert.equal(loaded.messages.length, 2);
  assert.equal(loaded.messages[1]?.feedback?.rating, 'up');
  assert.equal(loaded.messages[0]?.label?.intent, 'oos');
  assert.equal(loaded.messages[1]?.modelVersion?.name, version.name);
  assert.equal(loaded.assignee?.email, agent.email);
  await assert.rejects(
    prisma.message.create({ data: { id: randomUUID(), conversationId: conversation.id, role: 'visitor', text: 'again', clientId: 'c1' } }),
    (error: any) => error.code === 'P2002',
  );
});

test('a second process cannot open the same embedded data directory', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `import { openDatabase } from './src/store/database.ts'; import { createLogger } from './src/observability/logger.ts';
    try { await openDatabase({ dataDir: ${JSON.stringify(dataDir.path)}, logger: createLogger('silent') }); console.log('opened'); process.exit(0); }
    catch (error) { console.log(error.code); process.exit(3); }`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8' });
  assert.equal(child.status, 3, child.stdout + child.stderr);
  assert.match(child.stdout, /DATA_DIR_IN_USE/);
  assert.ok(DataDirInUseError);
});
