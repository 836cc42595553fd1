// `npm run bench:discover [-- --seed N] [--skip-effort | --effort-only] [--only abcd|banking77]`:
// intent discovery against gold labels, as JSON lines.
//
// - ABCD dev (1,004 conversations; the first customer request of each, its subflow as the gold
//   label, 94 subflows) and BANKING77 test (3,080 messages, 77 intents): NMI, ARI and clustering
//   accuracy (Hungarian matching) of
//     reference: TF-IDF word + char n-grams → LSA (100) → k-means with the true k (4 restarts);
//     discovery with the true k, and with k chosen automatically;
//     on ABCD also discovery without the conversation context (request text only);
//     ablations: without the contrastive encoder, and the encoder's vectors without the graph.
// - Labelling effort (BANKING77): discovery on the training split's texts without labels (k = ½, 1,
//   1½ and 2 per true intent: the accuracy curve against decisions), a reviewer accepts each
//   cluster under its majority gold label (one decision per cluster), the built-in model is trained
//   on the result and scored on the test split; beside it the same model trained on the full
//   labelled training split, and on as many single random messages, labelled, as there were
//   decisions.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsvExamples } from '../src/corpus/datasets.ts';
import { parseImport } from '../src/corpus/log-formats.ts';
import { discoverIntents, type DiscoveryOptions } from '../src/discovery/discover.ts';
import { kmeans } from '../src/discovery/kmeans.ts';
import { normalizeRows, randomizedSvd, sparseTimesDense } from '../src/discovery/linalg.ts';
import { scoreClustering } from '../src/discovery/metrics.ts';
import { requestsOf, type DiscoveryRequest, type LoggedConversation } from '../src/discovery/requests.ts';
import { textFeatures } from '../src/discovery/text-features.ts';
import { createRandom, shuffleInPlace } from '../src/fitting/random.ts';
import { trainModel } from '../src/fitting/train-builtin.ts';
import { loadModel } from '../src/nlu/runtime.ts';
import type { LabelledExample } from '../src/nlu/types.ts';

const DATASETS = process.env.FRONTDESK_DATASETS ?? new URL('../../shared/datasets/', import.meta.url).pathname;
const args = process.argv.slice(2);
const seed = Number(args[args.indexOf('--seed') + 1] ?? 1) || 1;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const line = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const round = (value: number) => Number(value.toFixed(4));

interface Dataset {
  name: string;
  requests: DiscoveryRequest[];
  gold: string[];
}

async function abcd(): Promise<Dataset> {
  const records = parseImport(await readFile(join(DATASETS, 'abcd', 'dev_conversations.json'), 'utf8'), 'abcd');
  const requests: DiscoveryRequest[] = [];
  const gold: string[] = [];
  records.forEach((record, index) => {
    if (!record.ok) return;
    const labelled = record.conversation.messages.find((message) => message.intent);
    if (!labelled) return;
    const conversation: LoggedConversation = { id: `abcd-${index}`, messages: record.conversation.messages.map((message) => ({ role: message.role, text: message.text })) };
    // The first customer request (requestsOf's rule); the subflow is the conversation's label.
    const first = requestsOf(conversation, { maxLaterRequests: 0 })[0];
    if (!first) return;
    requests.push(first);
    gold.push(labelled.intent!);
  });
  return { name: 'abcd-dev', requests, gold };
}

async function bankingSplit(split: 'train' | 'test'): Promise<LabelledExample[]> {
  const file = join(DATASETS, 'banking77', `${split}.csv`);
  return parseCsvExamples(await readFile(file, 'utf8'), file);
}

const asRequests = (examples: readonly LabelledExample[], prefix: string): DiscoveryRequest[] =>
  examples.map((example, index) => ({ id: `${prefix}-${index}`, conversationId: `${prefix}-${index}`, text: example.text, language: 'en', replies: [], context: [], first: true }));

/** The reference of the issue: TF-IDF word + char n-grams → LSA → k-means with the true k. */
function reference(texts: readonly string[], k: number): Int32Array {
  const features = textFeatures(texts);
  const svd = randomizedSvd(features.matrix, 100, { seed, iterations: 3 });
  const embedding = normalizeRows(sparseTimesDense(features.matrix, svd.components));
  return kmeans(embedding, k, { seed, restarts: 4 }).labels;
}

function report(dataset: string, method: string, k: string, gold: readonly string[], labels: Int32Array, seconds: number, extra: Record<string, unknown> = {}) {
  const scores = scoreClustering(gold, labels);
  line({ dataset, method, k, nmi: round(scores.nmi), ari: round(scores.ari), accuracy: round(scores.accuracy), clusters: scores.clusters, gold_clusters: new Set(gold).size, n: gold.length, seconds: Number(seconds.toFixed(1)), seed, ...extra });
}

async function clusteringRows(data: Dataset): Promise<void> {
  const k = new Set(data.gold).size;
  let started = performance.now();
  report(data.name, 'reference: tfidf word+char → lsa 100 → k-means', 'true', data.gold, reference(data.requests.map((request) => request.text), k), (performance.now() - started) / 1000);
  const runs: Array<[string, string, DiscoveryOptions]> = [
    ['discovery (default: with conversation context lsa, else spectral)', 'true', { k }],
    ['discovery (default: with conversation context lsa, else spectral)', 'auto', {}],
  ];
  if (data.requests.some((request) => request.context.length > 0)) {
    runs.push(['discovery (spectral, request text only)', 'true', { k, useContext: false }], ['discovery (spectral, request text only)', 'auto', { useContext: false }]);
  }
  runs.push(
    ['ablation: without the contrastive encoder (lsa only)', 'true', { k, encoderRounds: 0 }],
    ['ablation: request text → encoder → k-means (no graph)', 'true', { k, method: 'lsa', useContext: false }],
  );
  for (const [method, kind, options] of runs) {
    started = performance.now();
    const result = discoverIntents(data.requests, { seed, ...options });
    report(data.name, method, kind, data.gold, result.clusterOf, (performance.now() - started) / 1000, { long_tail: result.longTailSize });
  }
}

async function accuracyOf(train: LabelledExample[], test: readonly LabelledExample[], label: string): Promise<{ accuracy: number; seconds: number }> {
  const outDir = await mkdtemp(join(tmpdir(), `frontdesk-bench-discover-${label}-`));
  const started = performance.now();
  try {
    await trainModel(train, { outDir, seed });
    const model = await loadModel(outDir);
    try {
      const predictions = await model.classifyBatch(test.map((example) => example.text));
      const right = predictions.filter((prediction, index) => prediction.topIntent === test[index]!.intent).length;
      return { accuracy: right / test.length, seconds: (performance.now() - started) / 1000 };
    } finally {
      await model.close();
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function labellingEffort(): Promise<void> {
  const train = await bankingSplit('train');
  const test = await bankingSplit('test');
  const intents = new Set(train.map((example) => example.intent)).size;
  const full = await accuracyOf(train, test, 'full');
  line({ dataset: 'banking77', experiment: 'labelling effort', setting: 'full supervision', decisions: train.length, examples: train.length, test_top1_accuracy: round(full.accuracy), seconds: Number(full.seconds.toFixed(1)), seed });
  for (const decisionsPerIntent of [0.5, 1, 1.5, 2]) {
    const started = performance.now();
    const result = discoverIntents(asRequests(train, 'train'), { seed, k: Math.round(decisionsPerIntent * intents), minClusterSize: 1, tailSimilarity: -1 });
    // One decision per cluster: every member gets the cluster's majority gold label.
    const labelled: LabelledExample[] = [];
    let right = 0;
    for (let c = 0; c < result.k; c++) {
      const members = train.filter((_, index) => result.clusterOf[index] === c);
      if (members.length === 0) continue;
      const counts = new Map<string, number>();
      for (const member of members) counts.set(member.intent, (counts.get(member.intent) ?? 0) + 1);
      const majority = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
      for (const member of members) labelled.push({ text: member.text, intent: majority });
      right += counts.get(majority)!;
    }
    const decisions = new Set(result.clusterOf).size;
    const purity = right / labelled.length;
    const discoverySeconds = (performance.now() - started) / 1000;
    const clustered = await accuracyOf(labelled, test, 'clusters');
    line({ dataset: 'banking77', experiment: 'labelling effort', setting: `accept each cluster under its majority label (k = ${Math.round(decisionsPerIntent * intents)})`, decisions, decisions_per_intent: round(decisions / intents), examples: labelled.length, label_accuracy: round(purity), intents_covered: new Set(labelled.map((example) => example.intent)).size, test_top1_accuracy: round(clustered.accuracy), gap_to_full: round(full.accuracy - clustered.accuracy), discovery_seconds: Number(discoverySeconds.toFixed(1)), train_seconds: Number(clustered.seconds.toFixed(1)), seed });
    // The same number of decisions spent on single random messages.
    const shuffled = [...train];
    shuffleInPlace(shuffled, createRandom(seed));
    const singles = shuffled.slice(0, decisions);
    const covered = new Set(singles.map((example) => example.intent)).size;
    if (covered < 2) continue;
    const random = await accuracyOf(singles, test, 'singles');
    line({ dataset: 'banking77', experiment: 'labelling effort', setting: `${decisions} single random messages labelled`, decisions, examples: singles.length, intents_covered: covered, test_top1_accuracy: round(random.accuracy), gap_to_full: round(full.accuracy - random.accuracy), seed });
  }
}

if (only !== 'banking77') await clusteringRows(await abcd());
if (only !== 'abcd') {
  const test = await bankingSplit('test');
  if (!args.includes('--effort-only')) await clusteringRows({ name: 'banking77-test', requests: asRequests(test, 'test'), gold: test.map((example) => example.intent) });
  if (!args.includes('--skip-effort')) await labellingEffort();
}
