import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { retrievalQuality, rocAuc, type RetrievalPair } from '../../src/nlu/retrieval-quality.ts';
import { loadModel } from '../../src/nlu/runtime.ts';
import type { IntentModel } from '../../src/nlu/types.ts';
import { embeddingText, loadKnowledge, type KnowledgeChunk } from '../../src/retrieval/knowledge.ts';
import { trainModel } from '../../src/fitting/train-builtin.ts';

const INTENTS = join(import.meta.dirname, '..', '..', 'intents');
// Small and quick; bench/knowledge-retrieval.ts measures the default model.
const QUICK = { embedding: 48, hidden: 64, maxEpochs: 8, patience: 3 };

describe('sentence vector for knowledge retrieval', () => {
  let outDir: string;
  let model: IntentModel;
  let chunks: KnowledgeChunk[];
  let pairs: RetrievalPair[];

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'frontdesk-retrieval-'));
    chunks = await loadKnowledge(join(INTENTS, 'knowledge'));
    const raw = parseYaml(await readFile(join(INTENTS, 'knowledge', 'validation.yaml'), 'utf8')) as { pairs: Array<{ query: string; expected: string | null }> };
    pairs = raw.pairs.map((pair) => ({ query: pair.query, expected: pair.expected ?? null }));
    const examples = (await loadCatalogue(INTENTS)).trainingExamples();
    await trainModel(examples, { outDir, seed: 1, hyperparameters: QUICK, unlabelled: chunks.map(embeddingText) });
    model = await loadModel(outDir, { executionProviders: ['cpu'] });
  });

  after(async () => {
    await model?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  it('gives rows to words that only the unlabelled texts use', async () => {
    assert.equal(model.meta.training.unlabelledTexts, chunks.length);
    const [dishwasher, customs, unrelated] = await model.embed(['is it dishwasher safe', 'held at customs', 'is it dishwasher safe']);
    const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);
    assert.ok(Math.abs(cosine(dishwasher!, unrelated!) - 1) < 1e-5);
    assert.ok(cosine(dishwasher!, customs!) < 0.9, 'different knowledge-only words give different vectors');
  });

  it('retrieves the expected knowledge chunk for held-out questions far above chance', async () => {
    const chunkVectors = await model.embed(chunks.map(embeddingText));
    const queryVectors = await model.embed(pairs.map((pair) => pair.query));
    const quality = retrievalQuality(chunkVectors, chunks.map((chunk) => chunk.source), queryVectors, pairs);
    assert.ok(quality.answerable > 20 && quality.unanswerable > 5);
    // Chance is 1/78; the default model reaches about 0.5 (bench/knowledge-retrieval.ts).
    assert.ok(quality.top1 > 10 * quality.chance, `top-1 ${quality.top1} (chance ${quality.chance})`);
    assert.ok(quality.top5 > 0.5, `top-5 ${quality.top5}`);
    assert.ok(quality.auc! > 0.75, `AUC of the top score, answerable vs not: ${quality.auc}`);
  });

  it('computes ROC AUC with ties counted half', () => {
    assert.equal(rocAuc([0.9, 0.8], [0.1, 0.2]), 1);
    assert.equal(rocAuc([0.5], [0.5]), 0.5);
    assert.equal(rocAuc([], [0.5]), null);
  });
});
