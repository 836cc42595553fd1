// The pretrained-encoder back-end (Transformers.js) against a tiny BERT that the test generates:
// WordPiece vocabulary from the intent catalogue, random seeded weights, loaded fully offline.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createTinyBert } from '../fixtures/tiny-bert.ts';
import { EncoderError, TransformersEncoder } from '../../src/nlu/transformers/encoder.ts';
import { readHeadMeta, TransformersIntentModel } from '../../src/nlu/transformers/head.ts';
import { trainTransformersHead } from '../../src/fitting/train-transformers-head.ts';
import type { LabelledExample } from '../../src/nlu/types.ts';

const INTENTS_DIR = new URL('../../intents/', import.meta.url);

function catalogueExamples(): LabelledExample[] {
  const out: LabelledExample[] = [];
  for (const file of readdirSync(INTENTS_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(new URL(file, INTENTS_DIR), 'utf8')) as { name?: string; examples?: unknown[] };
    for (const text of doc.examples ?? []) {
      if (typeof text === 'string' && doc.name) out.push({ text, intent: doc.name });
    }
  }
  return out;
}

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('TransformersEncoder with a generated tiny BERT', () => {
  let root: string;
  let modelDir: string;
  let encoder: TransformersEncoder;
  const examples = catalogueExamples();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'frontdesk-tiny-bert-'));
    modelDir = join(root, 'tiny-bert');
    createTinyBert(
      modelDir,
      examples.map((e) => e.text),
      { seed: 7 },
    );
    encoder = await TransformersEncoder.load(modelDir, { batchSize: 8 });
  });

  after(async () => {
    await encoder?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('writes the folder layout transformers.js loads offline', () => {
    assert.ok(examples.length >= 100, 'the intent catalogue provides the corpus');
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      assert.ok(existsSync(join(modelDir, f)), f);
    }
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'bert');
    assert.equal(config.hidden_size, 32);
    const ids = JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>;
    const vocab = Object.entries(ids)
      .sort((a, b) => a[1] - b[1])
      .map(([token]) => token);
    assert.deepEqual(vocab.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    assert.ok(vocab.includes('order'), 'frequent words are whole tokens');
    assert.ok(vocab.some((t) => t.startsWith('##') && t.length > 3), 'subword pieces');
  });

  it('loads offline and reports its dimension and model id', () => {
    assert.equal(encoder.dimension, 32);
    assert.equal(encoder.modelId, modelDir);
    assert.equal(encoder.pooling, 'mean');
  });

  it('embeds batches into L2-normalized vectors of the model dimension, in input order', async () => {
    const texts = examples.slice(0, 21).map((e) => e.text); // 21 texts over batches of 8
    const vectors = await encoder.embed(texts);
    assert.equal(vectors.length, texts.length);
    for (const v of vectors) {
      assert.ok(v instanceof Float32Array);
      assert.equal(v.length, 32);
      assert.ok(v.every(Number.isFinite));
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
    }
    // Order is preserved although batches are sorted by length: each equals its single embedding.
    const [single] = await encoder.embed([texts[20]!]);
    assert.ok(dot(single!, vectors[20]!) > 0.9999);
    assert.deepEqual(await encoder.embed([]), []);
  });

  it('is deterministic, identical texts give identical vectors, different texts differ', async () => {
    const texts = ['where is my order', 'I forgot my password', 'where is my order', ''];
    const a = await encoder.embed(texts);
    const b = await encoder.embed(texts);
    for (let i = 0; i < texts.length; i++) assert.deepEqual(a[i], b[i]);
    assert.deepEqual(a[0], a[2]);
    assert.ok(dot(a[0]!, a[1]!) < 0.999, 'different texts give different vectors');
    assert.notDeepEqual(a[0], a[3]);
    // Loading the same folder again reproduces the same vectors.
    const again = await TransformersEncoder.load(modelDir);
    try {
      const c = await again.embed(texts);
      for (let i = 0; i < texts.length; i++) assert.ok(dot(a[i]!, c[i]!) > 0.9999);
    } finally {
      await again.close();
    }
  });

  it('applies the attention mask: padding in a batch does not change a vector', async () => {
    const short = 'hi';
    const long = 'I would like to know which delivery options you offer for large orders to another country';
    const [alone] = await encoder.embed([short]);
    const [, padded] = await encoder.embed([long, short]);
    assert.ok(dot(alone!, padded!) > 0.99999, 'the short text is padded to the long one in the same batch');
  });

  it('supports CLS pooling', async () => {
    const cls = await TransformersEncoder.load(modelDir, { pooling: 'cls' });
    try {
      const [v] = await cls.embed(['track my parcel']);
      const [m] = await encoder.embed(['track my parcel']);
      assert.equal(v!.length, 32);
      assert.ok(Math.abs(Math.hypot(...v!) - 1) < 1e-4);
      assert.ok(dot(v!, m!) < 0.9999, 'CLS vector differs from the mean');
    } finally {
      await cls.close();
    }
  });

  it('resolves a hub id offline from cacheDir (where an online load stores it)', async () => {
    const cacheDir = join(root, 'hub-cache');
    cpSync(modelDir, join(cacheDir, 'frontdesk-test', 'tiny-bert'), { recursive: true });
    const { env } = await import('@huggingface/transformers');
    const before = { allowRemoteModels: env.allowRemoteModels, cacheDir: env.cacheDir };
    const byId = await TransformersEncoder.load('frontdesk-test/tiny-bert', { cacheDir });
    try {
      assert.equal(byId.modelId, 'frontdesk-test/tiny-bert');
      const [a] = await byId.embed(['where is my order']);
      const [b] = await encoder.embed(['where is my order']);
      assert.ok(dot(a!, b!) > 0.9999);
    } finally {
      await byId.close();
    }
    assert.deepEqual({ allowRemoteModels: env.allowRemoteModels, cacheDir: env.cacheDir }, before, 'global env restored');
  });

  it('fails with ENCODER_NOT_FOUND when a model is not available offline', async () => {
    const notFound = (err: unknown) => err instanceof EncoderError && err.code === 'ENCODER_NOT_FOUND';
    await assert.rejects(TransformersEncoder.load(join(root, 'missing-model')), notFound);
    // A hub id that is not in the (empty) cache: no download is attempted offline.
    await assert.rejects(
      TransformersEncoder.load('frontdesk-test/definitely-not-cached', { cacheDir: join(root, 'empty-cache') }),
      notFound,
    );
    // A folder with config.json but without the ONNX weights.
    const partial = join(root, 'partial');
    createTinyBert(partial, ['hello world'], { numLayers: 1 });
    rmSync(join(partial, 'onnx', 'model.onnx'));
    await assert.rejects(TransformersEncoder.load(partial), notFound);
  });

  it('trains a head on its embeddings, exports head.onnx, and classifies through onnxruntime', async () => {
    const chosen = ['greeting', 'thanks', 'recover_password', 'delivery_options'];
    const train = examples.filter((e) => chosen.includes(e.intent));
    assert.ok(train.length >= 40);
    const head = await trainTransformersHead(encoder, train, { epochs: 150, seed: 3, validation: train.slice(0, 20) });
    assert.deepEqual(head.meta.labels, [...chosen].sort());
    assert.equal(head.meta.encoder, 'transformers');

    const out = join(root, 'head-artifact');
    await head.save(out);
    const meta = await readHeadMeta(out);
    assert.equal(meta.encoder, 'transformers');
    assert.equal(meta.encoderModel, modelDir);
    assert.equal(meta.dimensions.embedding, 32);

    // Reload: meta.json names the encoder folder, loaded offline again.
    const model = await TransformersIntentModel.load(out);
    try {
      const texts = train.map((e) => e.text);
      const predictions = await model.classifyBatch(texts);
      const right = predictions.filter((p, i) => p.topIntent === train[i]!.intent).length;
      const accuracy = right / train.length;
      assert.ok(accuracy >= 0.7, `training accuracy ${accuracy.toFixed(2)} should be well above chance (0.25)`);
      for (const p of predictions) {
        assert.ok(p.confidence > 0 && p.confidence <= 1);
        const total = p.ranking.reduce((s, r) => s + r.confidence, 0);
        assert.ok(Math.abs(total - 1) < 1e-4, 'probabilities over 4 intents sum to 1');
        assert.equal(p.intent, p.confidence >= meta.threshold ? p.topIntent : null);
      }
      // onnxruntime reproduces the TypeScript reference forward pass.
      const embeddings = await model.embed(texts.slice(0, 10));
      const onnxProbs = await model.probabilities(embeddings);
      const tsProbs = head.predict(embeddings);
      onnxProbs.forEach((p, i) => p.forEach((v, c) => assert.ok(Math.abs(v - tsProbs[i]![c]!) < 1e-4)));
    } finally {
      await model.close();
    }
  });

  it('trains a one-hidden-layer head as well', async () => {
    const chosen = ['greeting', 'recover_password'];
    const train = examples.filter((e) => chosen.includes(e.intent));
    const head = await trainTransformersHead(encoder, train, { hidden: 16, epochs: 100, seed: 5 });
    assert.equal(head.meta.dimensions.hidden, 16);
    const out = join(root, 'hidden-head');
    await head.save(out);
    const runs: number[] = [];
    const model = await TransformersIntentModel.load(out, { encoder, executionProviders: ['cpu'], onRun: (run) => runs.push(run.batchSize) });
    assert.equal(model.executionProvider, 'cpu');
    const predictions = await model.classifyBatch(train.map((e) => e.text));
    const accuracy = predictions.filter((p, i) => p.topIntent === train[i]!.intent).length / train.length;
    assert.ok(accuracy >= 0.8, `accuracy ${accuracy.toFixed(2)}`);
    // Messages classified one by one but at the same time share one encoder batch and one head run.
    runs.length = 0;
    const alone = await Promise.all(train.slice(0, 6).map((e) => model.classify(e.text)));
    assert.deepEqual(runs, [6]);
    assert.deepEqual(alone.map((p) => p.topIntent), predictions.slice(0, 6).map((p) => p.topIntent));
    // Each prediction carries its run's sentence vector: the encoder's own, which the retrieval index holds.
    assert.deepEqual(alone.map((p) => p.embedding), await encoder.embed(train.slice(0, 6).map((e) => e.text)));
    await model.close(); // does not close the encoder it was given
    assert.equal((await encoder.embed(['still open'])).length, 1);
  });
});
