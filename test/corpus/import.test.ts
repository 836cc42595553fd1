import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { importFile } from '../../src/corpus/import-file.ts';
import { parseImport } from '../../src/corpus/log-formats.ts';
import { exportConversations, exportLabelled } from '../../src/corpus/export.ts';
import { temporaryDirectory } from '../helpers/temp.ts';
import { Writable } from 'node:stream';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { currentTrainingSet, learnableIntents } from '../../src/corpus/training-set.ts';

const logger = createLogger('silent');
const dir = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;

before(async () => {
  database = await openDatabase({ dataDir: join(dir.path, 'data'), logger });
  await applyMigrations(database.url, logger);
  prisma = createPrismaClient(database.url, 2);
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  dir.remove();
});

async function counts() {
  return { conversations: await prisma.conversation.count(), messages: await prisma.message.count(), labels: await prisma.intentLabel.count(), visitors: await prisma.visitor.count() };
}

function collect(): { stream: Writable; lines: () => any[] } {
  let text = '';
  const stream = new Writable({ write: (chunk, _encoding, done) => { text += chunk; done(); } });
  return { stream, lines: () => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

const ABCD = JSON.stringify([
  ["SYS:Hello. How may I help you today?\n\nUSR:hi\n\nUSR:I can't remember my username for the site\n\nACT:Account has been pulled up for David Williams.\n\nSYS:What is your email?\n\nUSR:davidw33@email.com\n\n", 'recover_username'],
  ["SYS:Hi, how may I help you?\n\nUSR:I would like to know the status of my refund please\n\nSYS:Sure.\n\n", 'status_refund'],
  ['no prefixes in this transcript', 'broken'],
  ["SYS:Hello\n\n", 'no_customer'],
]);

test('ABCD conversations: customer and agent turns, actions skipped, the subflow labels the first request; a re-import adds nothing', async () => {
  const file = join(dir.path, 'abcd.json');
  writeFileSync(file, ABCD);
  const before = await counts();
  const first = await importFile(prisma, file);
  assert.equal(first.format, 'abcd');
  assert.equal(first.created, 2);
  assert.deepEqual(first.skipped.map((problem) => problem.line), [3, 4]);
  const afterFirst = await counts();
  assert.equal(afterFirst.conversations - before.conversations, 2);
  assert.equal(afterFirst.messages - before.messages, 5 + 3);
  assert.equal(afterFirst.labels - before.labels, 2);
  const label = await prisma.intentLabel.findFirstOrThrow({ where: { intent: 'recover_username' }, include: { message: true } });
  assert.equal(label.message.text, "I can't remember my username for the site");
  assert.equal(label.origin, 'import');

  const second = await importFile(prisma, file);
  assert.equal(second.created, 0);
  assert.equal(second.existing, 2);
  assert.deepEqual(await counts(), afterFirst);
});

test('CSV rows: malformed ones are reported with their line and skipped, the rest imported once', async () => {
  const file = join(dir.path, 'logs.csv');
  writeFileSync(file, [
    'text,intent',
    'where is my order,track_order',
    '"I want a refund, please",get_refund',
    'bad "quote" here,track_order',
    ',track_order',
    'too,many,fields',
    'no label at all,',
    '"never closed,track_order',
    'cancel it,bad intent name!',
    'what is the weather,oos',
  ].join('\n'));
  const before = await counts();
  const summary = await importFile(prisma, file);
  assert.equal(summary.created, 4);
  assert.deepEqual(summary.skipped.map((problem) => problem.line), [4, 5, 6, 8, 9]);
  assert.ok(summary.skipped.every((problem) => problem.reason.length > 0));
  const after = await counts();
  assert.equal(after.conversations - before.conversations, 4);
  assert.equal(after.labels - before.labels, 3);
  // Nothing of a skipped row was written.
  assert.equal(await prisma.message.count({ where: { text: { contains: 'quote' } } }), 0);

  assert.equal((await importFile(prisma, file)).created, 0);
  assert.deepEqual(await counts(), after);
});

test('JSONL conversations: a re-import with a changed label updates the imported label but never an agent correction', async () => {
  const file = join(dir.path, 'logs.jsonl');
  const lines = [
    JSON.stringify({ id: 'conv-1', messages: [{ role: 'user', text: 'my parcel never came', intent: 'track_order' }, { role: 'agent', text: 'Let me check.' }] }),
    JSON.stringify({ messages: [{ role: 'visitor', text: 'hello there' }, { role: 'bot', text: 'Hi! How can I help?' }, { role: 'visitor', text: 'refund my jacket', intent: 'get_refund' }] }),
    '{ not json',
    JSON.stringify({ messages: [] }),
    JSON.stringify({ messages: [{ role: 'robot', text: 'x' }] }),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  const summary = await importFile(prisma, file);
  assert.equal(summary.created, 2);
  assert.deepEqual(summary.skipped.map((problem) => problem.line), [3, 4, 5]);

  // An agent corrects the second conversation's label; the file changes the first one's.
  const refund = await prisma.intentLabel.findFirstOrThrow({ where: { intent: 'get_refund', message: { text: 'refund my jacket' } } });
  await prisma.intentLabel.update({ where: { id: refund.id }, data: { intent: 'return_item', origin: 'agent' } });
  writeFileSync(file, `${[
    JSON.stringify({ id: 'conv-1', messages: [{ role: 'user', text: 'my parcel never came', intent: 'delivery_problem' }, { role: 'agent', text: 'Let me check.' }] }),
    JSON.stringify({ messages: [{ role: 'visitor', text: 'hello there' }, { role: 'bot', text: 'Hi! How can I help?' }, { role: 'visitor', text: 'refund my jacket', intent: 'get_refund' }] }),
  ].join('\n')}\n`);
  const before = await counts();
  const again = await importFile(prisma, file);
  assert.equal(again.created, 0);
  assert.equal(again.labels, 1);
  assert.deepEqual(await counts(), before);
  assert.equal((await prisma.intentLabel.findFirstOrThrow({ where: { message: { text: 'my parcel never came' } } })).intent, 'delivery_problem');
  assert.equal((await prisma.intentLabel.findUniqueOrThrow({ where: { id: refund.id } })).intent, 'return_item');
});

test('exports are redacted, and exported conversations import back as the same conversations', async () => {
  const file = join(dir.path, 'pii.jsonl');
  writeFileSync(file, `${JSON.stringify({ id: `pii-${randomUUID()}`, messages: [{ role: 'visitor', text: 'charge card 4111 1111 1111 1111 and mail jo@example.com', intent: 'payment_issue' }] })}\n`);
  await importFile(prisma, file);
  const labelled = collect();
  await exportLabelled(prisma, labelled.stream);
  const rows = labelled.lines();
  assert.ok(rows.some((row) => row.text === 'charge card [card] and mail [email]' && row.intent === 'payment_issue'));
  assert.ok(rows.every((row) => !/4111|@example\.com/.test(row.text)));

  const conversations = collect();
  const exported = await exportConversations(prisma, conversations.stream);
  assert.equal(exported, await prisma.conversation.count());
  assert.ok(conversations.lines().every((row) => !JSON.stringify(row).includes('davidw33@email.com')));
  const roundTrip = join(dir.path, 'export.jsonl');
  writeFileSync(roundTrip, conversations.lines().map((row) => JSON.stringify(row)).join('\n'));
  assert.equal(parseImport(conversations.lines().map((row) => JSON.stringify(row)).join('\n'), 'jsonl').filter((record) => record.ok).length, exported);
});

test('labels of intents outside the catalogue are reported per line and never trained', async () => {
  const catalogue = await loadCatalogue('intents');
  const file = join(dir.path, 'foreign-intents.csv');
  writeFileSync(file, 'text,intent\nI need a refund for the blue mug,refund\nwhere is the parcel I ordered on monday,track_order\nplease change the address on my account,change_address\n');
  const summary = await importFile(prisma, file, { learnableIntents: learnableIntents(catalogue) });
  assert.equal(summary.created, 3);
  assert.deepEqual(summary.unknownIntents, [
    { line: 2, intent: 'refund' },
    { line: 4, intent: 'change_address' },
  ]);
  // The labels are kept (a later catalogue intent of that name learns from them), but not trained today.
  const examples = await currentTrainingSet(prisma, catalogue);
  const byText = new Map(examples.map((example) => [example.text, example.intent]));
  assert.equal(byText.get('where is the parcel I ordered on monday'), 'track_order');
  assert.equal(byText.has('I need a refund for the blue mug'), false);
  assert.equal(byText.has('please change the address on my account'), false);
  assert.ok(examples.every((example) => learnableIntents(catalogue).has(example.intent)));
});
