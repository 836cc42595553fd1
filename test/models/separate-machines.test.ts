// Processes on separate machines (issue 22): `frontdesk serve` processes that share only a Postgres,
// each with a fresh DATA_DIR of its own that no other process ever reads. B serves the model
// versions A trained (fetched from Postgres, never from A's disk) and the agent answers approved on
// A; a process started later with an empty DATA_DIR serves both from its first message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { ModelRegistry } from '../../src/models/registry.ts';
import { modelDir } from '../../src/models/model-files.ts';
import { isEvaluationMessage } from '../../src/corpus/retraining-sets.ts';
import { ask, connectVisitor, nextEvent, temporaryDirectory } from '../helpers/server.ts';
import { frontdesk } from '../helpers/cli.ts';
import { api, createAgent, login } from '../agents/helpers.ts';
import { eventually, spawnServer, startTestPostgres, type ServerProcess, type TestPostgres } from '../faults/helpers.ts';

const QUESTION = 'Do you engrave initials on the leather wallets?';
const PARAPHRASE = 'do you engrave initials on leather wallets as a gift?';
const ANSWER = 'Yes: we engrave up to three initials on any leather wallet for a small fee; it adds two days to delivery.';

const dir = temporaryDirectory();
const dataDirs = { a: join(dir.path, 'machine-a'), b: join(dir.path, 'machine-b'), c: join(dir.path, 'machine-c') };
let postgres: TestPostgres;
let env: Record<string, string>;
let a: ServerProcess;
let b: ServerProcess;
let c: ServerProcess | undefined;
let prisma: PrismaClient;
let registry: ModelRegistry;
let agentToken: string;

before(async () => {
  postgres = await startTestPostgres(dir.path);
  env = { DATABASE_URL: postgres.url, SECRET_KEY: 'separate-machines-test-secret-0123456789abcdef', RETRAIN_SCHEDULE: 'off', MESSAGE_BURST: '100', MESSAGES_PER_SECOND: '50' };
  // A first: its start trains the starter model (the bootstrap path) and promotes it.
  a = await spawnServer({ ...env, DATA_DIR: dataDirs.a });
  b = await spawnServer({ ...env, DATA_DIR: dataDirs.b });
  prisma = createPrismaClient(postgres.url, 2);
  registry = new ModelRegistry(prisma);
  await createAgent(prisma, { email: 'ines@example.com', name: 'Ines', password: 'ines password 1' });
  agentToken = await login(a.url, 'ines@example.com', 'ines password 1');
});

after(async () => {
  await prisma?.$disconnect().catch(() => {});
  await Promise.allSettled([a?.stop(), b?.stop(), c?.stop()]);
  await postgres?.stop().catch(() => {});
  dir.remove();
});

/** Asks on a new visitor connection; the reply and the model version that classified the message. */
async function askOn(server: ServerProcess, text: string): Promise<{ reply: any; modelVersionId: string | null }> {
  const visitor = await connectVisitor(server.url);
  try {
    const { ack, reply } = await ask(visitor.socket, text);
    const stored = await prisma.message.findFirstOrThrow({ where: { replyToId: ack.messageId, role: 'bot' }, select: { modelVersionId: true } });
    return { reply, modelVersionId: stored.modelVersionId };
  } finally {
    visitor.socket.close();
  }
}

/** Asks until `done` holds (promotions and review decisions reach a process asynchronously), bounded. */
async function askUntil(server: ServerProcess, text: string, done: (answer: { reply: any; modelVersionId: string | null }) => boolean) {
  let last;
  for (let attempt = 0; attempt < 100; attempt++) {
    last = await askOn(server, text);
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no matching reply to "${text}": ${JSON.stringify(last)}`);
}

test("B, whose DATA_DIR never saw a model, serves the version A trained at its first start", async () => {
  const active = (await registry.active())!;
  assert.ok(existsSync(modelDir(dataDirs.a, active.name)), 'A trained it into its own DATA_DIR');
  assert.ok(existsSync(modelDir(dataDirs.b, active.name)), 'B keeps its own copy, fetched from Postgres');
  assert.match(b.output(), /model version fetched from the artifact store/);
  const { reply, modelVersionId } = await askOn(b, 'where is my order');
  assert.equal(reply.source, 'intent');
  assert.equal(reply.intent, 'track_order');
  assert.equal(modelVersionId, active.id);
});

test("an agent's answer approved on A answers a visitor's paraphrase on B", async () => {
  // A visitor on A asks what nothing answers yet; an agent answers and resolves; a person approves the harvested answer.
  const visitor = await connectVisitor(a.url);
  try {
    assert.notEqual((await ask(visitor.socket, QUESTION)).reply.source, 'retrieval');
    assert.equal((await ask(visitor.socket, 'I want to talk to a person')).reply.source, 'handoff');
    const conversation = `/api/agent/conversations/${visitor.session.conversationId}`;
    assert.equal((await api(a.url, `${conversation}/take-over`, { method: 'POST', token: agentToken })).status, 200);
    const delivered = nextEvent(visitor.socket, 'reply', (reply: any) => reply.source === 'agent');
    assert.equal((await api(a.url, `${conversation}/messages`, { method: 'POST', token: agentToken, body: { text: ANSWER } })).status, 201);
    await delivered;
    assert.equal((await api(a.url, `${conversation}/resolve`, { method: 'POST', token: agentToken })).status, 200);
  } finally {
    visitor.socket.close();
  }
  let harvested: any;
  await eventually(async () => {
    const pending = await api(a.url, '/api/agent/harvested-answers?status=pending', { token: agentToken });
    harvested = pending.body.answers.find((answer: any) => answer.question === QUESTION);
    return Boolean(harvested);
  }, 'the agent answer harvested on A');
  assert.equal((await api(a.url, `/api/agent/harvested-answers/${harvested.id}/approve`, { method: 'POST', token: agentToken, body: {} })).status, 200);

  const { reply } = await askUntil(b, PARAPHRASE, ({ reply }) => reply.retrieval?.kind === 'agent_answer');
  assert.equal(reply.source, 'retrieval');
  assert.equal(reply.text, harvested.text);
});

test('a version retrained and promoted on A reaches B through Postgres; a process started later with an empty DATA_DIR serves it and the approved answer', async () => {
  const first = (await registry.active())!;
  // Labelled traffic on A for the gate to judge on: enough of it on the evaluation side.
  const visitor = await connectVisitor(a.url);
  try {
    const texts = ['where is my order', 'cancel my order please', 'I want a refund for my order', 'how do i cancel my order'];
    const intents = ['track_order', 'cancel_order', 'get_refund', 'cancel_order'];
    let evaluation = 0;
    for (let i = 0; evaluation < 3; i++) {
      assert.ok(i < 400, 'labelled messages land on the evaluation side');
      const { ack } = await ask(visitor.socket, texts[i % texts.length]!);
      assert.equal((await api(a.url, `/api/agent/messages/${ack.messageId}/label`, { method: 'PUT', token: agentToken, body: { intent: intents[i % intents.length] } })).status, 200);
      if (isEvaluationMessage(ack.messageId)) evaluation++;
    }
  } finally {
    visitor.socket.close();
  }

  // The real retraining path on machine A: train in a worker, gate against the active version, promote.
  const trained = await frontdesk(['train', '--gate', '--margin', '1'], { env: { ...env, DATA_DIR: dataDirs.a, LOG_LEVEL: 'warn' } });
  assert.equal(trained.code, 0, trained.stderr);
  const result = JSON.parse(trained.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.promoted, true, trained.stdout);
  const promoted = await registry.find(result.name);
  assert.notEqual(promoted.id, first.id);
  assert.equal((await registry.active())!.id, promoted.id);

  const served = await askUntil(b, 'where is my order', ({ modelVersionId }) => modelVersionId === promoted.id);
  assert.equal(served.reply.intent, 'track_order');
  assert.ok(existsSync(modelDir(dataDirs.b, promoted.name)));
  // B re-embeds its index for the new encoder from Postgres: the approved answer is still there.
  await askUntil(b, PARAPHRASE, ({ reply }) => reply.retrieval?.kind === 'agent_answer');

  // C starts with an empty DATA_DIR: index built from Postgres before it is ready, so the very first asks are answered.
  c = await spawnServer({ ...env, DATA_DIR: dataDirs.c });
  const fromC = await askOn(c, PARAPHRASE);
  assert.equal(fromC.modelVersionId, promoted.id);
  assert.equal(fromC.reply.retrieval?.kind, 'agent_answer', JSON.stringify(fromC.reply));
});
