import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createLogger } from '../../src/observability/logger.ts';
import { credentialsFile } from '../../src/store/database.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { ChatStore } from '../../src/store/chat-store.ts';
import { WorkspaceStore } from '../../src/store/workspace-store.ts';
import { startSearchIndexUpkeep, type SearchIndexUpkeep } from '../../src/store/search-index.ts';
import { migratedDatabase } from '../helpers/postgres.ts';

// Transcript search's index takes new words into a pending list that the upkeep job merges in the
// background (issue 22): search must find a message before and after the merge, and two processes
// must never merge at once.

const logger = createLogger('silent');
let database: Awaited<ReturnType<typeof migratedDatabase>>;
let prisma: PrismaClient;
let chat: ChatStore;
let workspace: WorkspaceStore;
let upkeep: SearchIndexUpkeep;

before(async () => {
  database = await migratedDatabase();
  prisma = database.prisma;
  chat = new ChatStore(prisma);
  workspace = new WorkspaceStore(prisma);
  // A long interval: the test merges when it wants to.
  upkeep = startSearchIndexUpkeep(prisma, logger, 3_600_000);
});

after(async () => {
  await upkeep?.stop();
  await database?.close();
});

async function conversationSaying(text: string): Promise<string> {
  const conversationId = randomUUID();
  await chat.createConversation(randomUUID(), conversationId);
  await chat.appendVisitorMessage({ conversationId, clientId: randomUUID(), text });
  return conversationId;
}

const found = async (q: string) => (await workspace.listConversations({ q })).conversations.map((summary) => summary.id);

test('a message is found while its words wait in the pending list and after they are merged', async () => {
  await upkeep.mergeNow();
  const conversationId = await conversationSaying('my parcel went to the neighbour zanzibar');
  assert.deepEqual(await found('zanzibar'), [conversationId]);
  assert.ok((await upkeep.mergeNow())! > 0, 'the new words were in the pending list');
  assert.equal(await upkeep.mergeNow(), 0, 'nothing is left to merge');
  assert.deepEqual(await found('zanzib'), [conversationId]);
});

test('a process that finds another one merging skips its turn', async () => {
  await conversationSaying('the blue teapot arrived broken');
  const other = new pg.Client({ connectionString: database.url });
  await other.connect();
  try {
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock(7404120116)');
    assert.equal(await upkeep.mergeNow(), null);
    await other.query('COMMIT');
    assert.ok((await upkeep.mergeNow())! > 0);
  } finally {
    await other.end();
  }
});

/** A logger whose records the test reads. */
function recordingLogger() {
  const records: Array<{ level: number; msg: string; pages?: number }> = [];
  return { records, logger: createLogger('debug', { write: (line: string) => void records.push(JSON.parse(line)) }) };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the job merges on its own every interval, and stops', async () => {
  const { records, logger: recording } = recordingLogger();
  const job = startSearchIndexUpkeep(prisma, recording, 20);
  try {
    const conversationId = await conversationSaying('a quokka on the invoice');
    await until(() => records.some((record) => record.msg === 'search index pending list merged' && record.pages! > 0));
    assert.deepEqual(await found('quokka'), [conversationId]);
  } finally {
    await job.stop();
  }
  const merges = records.length;
  await conversationSaying('nothing merges this one while stopped');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(records.length, merges, 'a stopped job runs no more turns');
});

test("a role that does not own the index is told once and leaves the merging to inserts and autovacuum", async () => {
  const { superuser } = JSON.parse(readFileSync(credentialsFile(database.dataDir), 'utf8')) as { superuser: { user: string; password: string } };
  const admin = new URL(database.url);
  admin.username = superuser.user;
  admin.password = superuser.password;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const reader = new URL(database.url);
  reader.username = 'search_reader';
  reader.password = 'reader-password';
  let readerPrisma: PrismaClient | null = null;
  try {
    await client.query(`CREATE ROLE search_reader LOGIN PASSWORD 'reader-password'`);
    await client.query(`GRANT USAGE ON SCHEMA public TO search_reader`);
    readerPrisma = createPrismaClient(reader.toString());
    const { records, logger: recording } = recordingLogger();
    const job = startSearchIndexUpkeep(readerPrisma, recording, 20);
    await until(() => records.some((record) => record.level === 40));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await job.stop();
    const warnings = records.filter((record) => record.level >= 40);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /not the index's owner/);
  } finally {
    await readerPrisma?.$disconnect();
    await client.query('DROP ROLE IF EXISTS search_reader').catch(() => {});
    await client.end();
  }
});
