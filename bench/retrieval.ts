// `npm run bench:retrieval`: answer retrieval on Bitext (a visitor question → the agent answer of a
// past question of the same intent, through the built-in encoder and the HNSW index), then the HNSW
// index itself against exact search on 100,000 vectors. One JSON line per measurement.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModel } from '../src/nlu/index.ts';
import { trainModel } from '../src/fitting/train-builtin.ts';
import { parseCsvTable } from '../src/corpus/datasets.ts';
import { createRandom, stratifiedSplit } from '../src/fitting/random.ts';
import { VectorIndex } from '../src/retrieval/vector-index.ts';
import { measureHnsw, optionsFromCommandLine } from './retrieval-hnsw.ts';

const datasets = resolve(process.env.FRONTDESK_DATASETS ?? join(import.meta.dirname, '../../shared/datasets'));
const BITEXT = join(datasets, 'bitext/Bitext_Sample_Customer_Support_Training_Dataset_v_2023-08-18.csv');

interface Row {
  question: string;
  intent: string;
  answer: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function measureAnswerRetrieval(): Promise<Record<string, unknown>> {
  const { header, rows: records } = parseCsvTable(await readFile(BITEXT, 'utf8'), BITEXT);
  const column = (name: string) => header.indexOf(name);
  const [question, intent, answer] = [column('instruction'), column('intent'), column('response')];
  const rows: Row[] = records.map((record) => ({ question: record.fields[question]!, intent: record.fields[intent]!, answer: record.fields[answer]! }));
  // Past conversations (train) are indexed by their question; new visitors (test) ask.
  const { rest: past, heldOut: asked } = stratifiedSplit(rows, (row) => row.intent, 0.2, createRandom(1));
  const outDir = await mkdtemp(join(tmpdir(), 'frontdesk-bench-'));
  try {
    const started = performance.now();
    await trainModel(past.map((row) => ({ text: row.question, intent: row.intent })), { outDir, seed: 1 });
    const trainSeconds = (performance.now() - started) / 1000;
    const model = await loadModel(outDir);
    const pastVectors = await model.embed(past.map((row) => row.question));
    const index = VectorIndex.create({ dimension: pastVectors[0]!.length, encoderId: 'bench' });
    await index.upsertMany(pastVectors.map((vector, label) => ({ label, vector })));

    let hitsAt1 = 0;
    let hitsAt5 = 0;
    let reciprocalRanks = 0;
    const latencies: number[] = [];
    for (const query of asked) {
      const begin = performance.now();
      const [vector] = await model.embed([query.question]);
      const hits = index.search(vector!, 10);
      latencies.push(performance.now() - begin);
      const rank = hits.findIndex((hit) => past[hit.label]!.intent === query.intent);
      if (rank === 0) hitsAt1 += 1;
      if (rank >= 0 && rank < 5) hitsAt5 += 1;
      if (rank >= 0) reciprocalRanks += 1 / (rank + 1);
    }
    await model.close();
    latencies.sort((a, b) => a - b);
    return {
      bench: 'answer_retrieval',
      dataset: 'bitext',
      model: 'frontdesk-builtin',
      indexed: past.length,
      queries: asked.length,
      recall_at_1: hitsAt1 / asked.length,
      recall_at_5: hitsAt5 / asked.length,
      mrr_at_10: reciprocalRanks / asked.length,
      train_s: trainSeconds,
      query_p50_ms: percentile(latencies, 0.5),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

console.log(JSON.stringify(await measureAnswerRetrieval()));
console.log(JSON.stringify(await measureHnsw(optionsFromCommandLine())));
