// The learning loop, simulated on BANKING77 (npm run bench:loop [-- --cycle N --visitors N --review errors|all --seed N]).
//
// 1. A catalogue of the 77 intents with 10 training examples each (the "10-shot" start) is the
//    server's intents/ folder; the real server (embedded Postgres, Socket.IO on 127.0.0.1) trains
//    its first model from it.
// 2. The rest of the train split streams through the server as visitor traffic, a few thousand
//    messages per cycle, from a bounded number of concurrent visitors.
// 3. A simulated agent reviews every transcript: using the true label, it corrects (IntentLabel,
//    origin `agent`) each reply that was wrong or fell back (clarify, retrieval, handoff), then marks
//    the transcript reviewed through the agent API (POST /api/agent/conversations/:id/review), which
//    confirms the bot's intents it left uncorrected. With `--review all` it also labels the right
//    replies explicitly (origin `review`).
// 4. After each cycle: retrain (worker thread) → promotion gate → promote; the test split's accuracy
//    is printed as { cycle, labelled, test_accuracy, ... }.
// 5. Then: a model trained on the full labelled train split (the ceiling), and a candidate trained
//    on shuffled labels that the gate must reject.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io as connect, type Socket } from 'socket.io-client';
import { loadConfig } from '../src/config/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startServer } from '../src/server.ts';
import { createPrismaClient } from '../src/store/prisma.ts';
import { runningEmbeddedUrl } from '../src/store/database.ts';
import { AgentAuth } from '../src/agents/auth.ts';
import { AgentStore } from '../src/store/agent-store.ts';
import { loadCatalogue } from '../src/catalogue/index.ts';
import { knowledgeOf, readCatalogueFolder } from '../src/catalogue/folder.ts';
import { ModelRegistry } from '../src/models/registry.ts';
import { ModelFiles } from '../src/models/model-files.ts';
import { retrain, runRetrainJob } from '../src/models/retrain.ts';
import { readDataset } from '../src/corpus/datasets.ts';
import { loadModel } from '../src/nlu/index.ts';
import { evaluateModel } from '../src/evaluation/evaluate.ts';
import { createRandom } from '../src/fitting/random.ts';
import { normalizedKey } from '../src/corpus/training-set.ts';
import { temporaryDirectory } from '../test/helpers/temp.ts';
import type { LabelledExample } from '../src/nlu/types.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    cycle: { type: 'string', default: '2500' },
    visitors: { type: 'string', default: '16' },
    review: { type: 'string', default: 'errors' },
    seed: { type: 'string', default: '1' },
    shots: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const CYCLE = Number(args.cycle);
const VISITORS = Number(args.visitors);
const SHOTS = Number(args.shots);
const SEED = Number(args.seed);
const REVIEW_ALL = args.review === 'all';
const datasets = process.env.FRONTDESK_DATASETS ?? join(import.meta.dirname, '../../shared/datasets');

const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const log = (text: string) => process.stderr.write(`${text}\n`);

// BANKING77 names are snake_case except for a capital letter or two; the catalogue wants lower case.
const intentName = (category: string) => category.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
const train = (await readDataset(join(datasets, 'banking77/train.csv'))).map((example) => ({ text: example.text, intent: intentName(example.intent) }));
const test = (await readDataset(join(datasets, 'banking77/test.csv'))).map((example) => ({ text: example.text, intent: intentName(example.intent) }));

// Deterministic shuffle, then the first SHOTS distinct texts of every intent seed the catalogue.
const random = createRandom(SEED);
const shuffled = [...train];
for (let i = shuffled.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
}
const seedByIntent = new Map<string, string[]>();
const usedKeys = new Set<string>();
const stream: LabelledExample[] = [];
for (const example of shuffled) {
  const examples = seedByIntent.get(example.intent) ?? [];
  const key = normalizedKey(example.text).replace(/[\s\p{P}]+$/u, '');
  if (examples.length < SHOTS && !usedKeys.has(key)) {
    examples.push(example.text);
    usedKeys.add(key);
    seedByIntent.set(example.intent, examples);
  } else stream.push(example);
}

const workspace = temporaryDirectory('frontdesk-bench-loop-');
const intentsDir = join(workspace.path, 'intents');
mkdirSync(join(intentsDir, 'knowledge'), { recursive: true });
for (const [intent, examples] of seedByIntent) {
  const label = intent.replace(/_/g, ' ').slice(0, 40);
  const yaml = [
    `name: ${intent}`,
    `label: ${JSON.stringify(label)}`,
    `description: ${JSON.stringify(`BANKING77 intent ${intent}.`)}`,
    'examples:',
    ...examples.map((text) => `  - ${JSON.stringify(text)}`),
    'answers:',
    '  en:',
    `    - ${JSON.stringify(`Here is how we help with ${label}.`)}`,
  ].join('\n');
  writeFileSync(join(intentsDir, `${intent}.yaml`), `${yaml}\n`);
}
writeFileSync(join(intentsDir, 'knowledge', 'cards.md'), '# Cards\n\n## How long does a new card take to arrive?\n\nA new card arrives within 5 working days.\n');
writeFileSync(join(intentsDir, 'knowledge', 'validation.yaml'), 'pairs:\n  - query: "when will my new card arrive"\n    expected: "knowledge/cards.md#how-long-does-a-new-card-take-to-arrive"\n');

const dataDir = join(workspace.path, 'data');
mkdirSync(dataDir);
const config = loadConfig({
  PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, INTENTS_DIR: intentsDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  MESSAGES_PER_SECOND: '100000', MESSAGE_BURST: '100000', RETRAIN_SCHEDULE: 'off', SHUTDOWN_GRACE_MS: '2000',
});
const logger = createLogger(config.logLevel, process.stderr);
const started = performance.now();
const server = await startServer(config, logger);
const databaseUrl = runningEmbeddedUrl(dataDir);
const prisma = createPrismaClient(databaseUrl, 4);
const registry = new ModelRegistry(prisma);
// The versions' files, as any process gets them: from the artifact store into DATA_DIR/models.
const modelFiles = new ModelFiles(registry.artifacts, dataDir);
const catalogue = await loadCatalogue(intentsDir);
const knowledgeDocuments = knowledgeOf(await readCatalogueFolder(intentsDir)).markdown;

// The simulated agent's account and session on the real agent API.
const AGENT = { email: 'reviewer@example.com', password: 'bench reviewer password', name: 'Reviewer' };
await new AgentAuth(new AgentStore(prisma)).createAgent(AGENT);
const agentToken = (await agentApi('/login', { email: AGENT.email, password: AGENT.password })).token as string;

async function agentApi(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/api/agent${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function testAccuracy(artifactPath: string): Promise<{ top1: number; accuracy: number }> {
  const model = await loadModel(artifactPath);
  try {
    const { evaluation } = await evaluateModel(model, test);
    return { top1: evaluation.top1_accuracy, accuracy: evaluation.accuracy };
  } finally {
    await model.close();
  }
}

const round = (value: number) => Number(value.toFixed(4));

// ---- traffic: bounded concurrency, one Socket.IO visitor per worker, a new one after a handoff.
function openVisitor(): Promise<Socket> {
  const socket = connect(`${server.url}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('session', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

interface Reply { replyTo: string; source: string; intent?: string }

async function send(socket: Socket, clientId: string, text: string): Promise<{ messageId: string; conversationId: string; reply: Reply }> {
  const replies = new Map<string, Reply>();
  let waiting: { id: string; resolve: (reply: Reply) => void } | null = null;
  const onReply = (reply: Reply) => {
    if (waiting && reply.replyTo === waiting.id) waiting.resolve(reply);
    else replies.set(reply.replyTo, reply);
  };
  socket.on('reply', onReply);
  try {
    const ack = await socket.timeout(30_000).emitWithAck('message', { clientId, text });
    if (!ack.ok) throw new Error(`message refused: ${JSON.stringify(ack.error)}`);
    const reply = replies.get(ack.messageId) ?? (await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within 30 s')), 30_000);
      waiting = { id: ack.messageId, resolve: (value) => { clearTimeout(timer); resolve(value); } };
    }));
    return { messageId: ack.messageId, conversationId: ack.conversationId, reply };
  } finally {
    socket.off('reply', onReply);
  }
}

let sent = 0;
async function streamTraffic(batch: LabelledExample[]): Promise<{ wrong: number; failed: number; reviewed: number }> {
  let next = 0;
  let wrong = 0;
  let failed = 0;
  const labels: Array<{ messageId: string; intent: string; origin: string }> = [];
  const conversations = new Set<string>();
  await Promise.all(
    Array.from({ length: VISITORS }, async () => {
      let socket = await openVisitor();
      while (next < batch.length) {
        const example = batch[next++]!;
        try {
          const { messageId, conversationId, reply } = await send(socket, `m${sent++}`, example.text);
          conversations.add(conversationId);
          const right = reply.source === 'intent' && reply.intent === example.intent;
          if (!right) wrong++;
          if (!right || REVIEW_ALL) labels.push({ messageId, intent: example.intent, origin: right ? 'review' : 'agent' });
          // After a handoff the bot stays silent in that conversation: the next message is a new visitor.
          if (reply.source === 'handoff') {
            socket.close();
            socket = await openVisitor();
          }
        } catch (error) {
          failed++;
          log(`message failed: ${(error as Error).message}`);
          socket.close();
          socket = await openVisitor();
        }
      }
      socket.close();
    }),
  );
  // The simulated agent's corrections, as the agent console stores them.
  await prisma.intentLabel.createMany({ data: labels.map((label) => ({ id: crypto.randomUUID(), messageId: label.messageId, intent: label.intent, origin: label.origin })), skipDuplicates: true });
  // Then each transcript is marked reviewed: what the agent left uncorrected is confirmed.
  const pending = [...conversations];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) await agentApi(`/conversations/${id}/review`, {}, agentToken);
  }));
  return { wrong, failed, reviewed: conversations.size };
}

async function waitForServerModel(versionId: string): Promise<void> {
  // Every server switches on the NOTIFY; the next reply of this one carries the new version.
  for (let attempt = 0; attempt < 100; attempt++) {
    const socket = await openVisitor();
    await send(socket, `probe-${attempt}-${Date.now()}`, 'hello');
    socket.close();
    const probe = await prisma.message.findFirst({ where: { role: 'bot' }, orderBy: { seq: 'desc' }, select: { modelVersionId: true } });
    if (probe?.modelVersionId === versionId || probe?.modelVersionId == null) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

try {
  const first = await registry.active();
  const start = await testAccuracy(await modelFiles.localDir(first!));
  out({ cycle: 0, labelled: 0, examples: catalogue.trainingExamples().length, test_accuracy: round(start.top1), test_accuracy_with_fallback: round(start.accuracy), model: first!.name });
  for (let cycle = 1, offset = 0; offset < stream.length; cycle++, offset += CYCLE) {
    const batch = stream.slice(offset, offset + CYCLE);
    const traffic = performance.now();
    const { wrong, failed, reviewed } = await streamTraffic(batch);
    const trafficSeconds = (performance.now() - traffic) / 1000;
    const result = await retrain({
      prisma, databaseUrl, registry, catalogue, knowledgeDocuments, dataDir: config.dataDir, logger, seed: SEED, margin: config.promotionMargin, trigger: 'bench',
    });
    if (result.promoted) await waitForServerModel(result.version.id);
    const serving = (await registry.active())!;
    const accuracy = await testAccuracy(await modelFiles.localDir(serving));
    const candidate = result.promoted ? accuracy : await testAccuracy(await modelFiles.localDir(result.version));
    out({
      cycle,
      labelled: await prisma.intentLabel.count(),
      confirmed: result.stats.confirmedLabels,
      reviewed_conversations: reviewed,
      messages: offset + batch.length,
      test_accuracy: round(accuracy.top1),
      test_accuracy_with_fallback: round(accuracy.accuracy),
      wrong_or_fallback_in_cycle: round(wrong / batch.length),
      failed_messages: failed,
      traffic_msgs_per_s: Math.round(batch.length / trafficSeconds),
      training_examples: result.examples,
      train_s: round(result.trainSeconds),
      promoted: result.promoted,
      candidate_test_accuracy: round(candidate.top1),
      gate: result.report?.reasons,
    });
  }

  // The ceiling: the same model trained on the full labelled train split.
  const fullDir = join(dataDir, 'models', 'full-data');
  await runRetrainJob({ name: 'full-data', outDir: fullDir, seed: SEED, train, unlabelled: [], gate: null });
  const full = await testAccuracy(fullDir);

  // A candidate trained on deliberately shuffled labels must be stopped by the gate.
  const corrupted = await retrain({
    prisma, databaseUrl, registry, catalogue, knowledgeDocuments, dataDir: config.dataDir, logger, seed: SEED, margin: config.promotionMargin, trigger: 'bench-corrupted', namePrefix: 'corrupted',
    transformTraining: (examples) => {
      const intents = examples.map((example) => example.intent);
      const shuffle = createRandom(SEED + 1000);
      for (let i = intents.length - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1));
        [intents[i], intents[j]] = [intents[j]!, intents[i]!];
      }
      return examples.map((example, index) => ({ text: example.text, intent: intents[index]! }));
    },
  });
  const finalActive = (await registry.active())!;
  const final = await testAccuracy(await modelFiles.localDir(finalActive));
  out({
    full_data_accuracy: round(full.top1),
    full_data_accuracy_with_fallback: round(full.accuracy),
    loop_final_accuracy: round(final.top1),
    gap_to_full: round(full.top1 - final.top1),
    corrupted_candidate_rejected: corrupted.version.status === 'rejected' && !corrupted.promoted && finalActive.id !== corrupted.version.id,
    corrupted_gate: corrupted.report?.reasons,
    review: REVIEW_ALL ? 'all' : 'errors',
    total_s: Math.round((performance.now() - started) / 1000),
  });
} finally {
  await prisma.$disconnect();
  await server.close();
  if (!args.keep) workspace.remove();
}
