import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerEvalCommand } from '../../src/cli/commands/eval.ts';
import { readArtifact } from '../../src/nlu/artifact.ts';
import { featurize } from '../../src/nlu/featurizer.ts';
import { forwardFromBuckets } from '../../src/nlu/network.ts';
import { loadModel } from '../../src/nlu/runtime.ts';
import { OUT_OF_SCOPE, type IntentModel, type LabelledExample, type ModelRun } from '../../src/nlu/types.ts';
import { readDataset } from '../../src/corpus/datasets.ts';
import { trainModel, type TrainResult } from '../../src/fitting/train-builtin.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
// Small and quick: the behaviour, not the benchmark (bench/intent.ts measures that).
const QUICK = { embedding: 48, hidden: 64, maxEpochs: 12, patience: 4 };

describe('built-in intent model', () => {
  let outDir: string;
  let train: LabelledExample[];
  let test: LabelledExample[];
  let result: TrainResult;
  let model: IntentModel;
  const runs: ModelRun[] = [];

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'frontdesk-model-'));
    train = await readDataset(join(FIXTURES, 'banking-subset-train.csv'));
    test = await readDataset(join(FIXTURES, 'banking-subset-test.csv'));
    result = await trainModel(train, { outDir, seed: 7, hyperparameters: QUICK });
    model = await loadModel(outDir, { executionProviders: ['cpu'], onRun: (run) => runs.push(run) });
  });

  after(async () => {
    await model?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  it('writes an artifact folder with the calibration and threshold in meta.json', async () => {
    const meta = JSON.parse(await readFile(join(outDir, 'meta.json'), 'utf8'));
    assert.equal(meta.encoder, 'builtin');
    assert.equal(meta.labels.length, 11, '10 intents and the out-of-scope class');
    assert.equal(meta.labels.at(-1), OUT_OF_SCOPE);
    assert.ok(meta.temperature > 0);
    assert.ok(meta.threshold > 0 && meta.threshold < 1);
    assert.equal(typeof meta.training.validation.ece, 'number');
    assert.ok((await stat(join(outDir, 'model.onnx'))).size > 0);
    assert.equal((await stat(join(outDir, meta.featurizer.idfFile))).size, meta.featurizer.buckets * 4);
  });

  it('learns far above chance on unseen messages and sends out-of-scope ones to the fallback', async () => {
    const predictions = await model.classifyBatch(test.map((example) => example.text));
    const inScope = test.flatMap((example, index) => (example.intent === OUT_OF_SCOPE ? [] : [[example, predictions[index]!] as const]));
    const outOfScope = test.flatMap((example, index) => (example.intent === OUT_OF_SCOPE ? [predictions[index]!] : []));
    const topRight = inScope.filter(([example, prediction]) => prediction.topIntent === example.intent).length / inScope.length;
    assert.ok(topRight > 0.7, `top-1 accuracy ${topRight} (chance is 0.1)`);
    const caught = outOfScope.filter((prediction) => prediction.intent === null).length / outOfScope.length;
    assert.ok(caught > 0.5, `out-of-scope recall ${caught}`);
    for (const prediction of predictions) {
      assert.equal(prediction.intent === null, prediction.confidence < model.meta.threshold);
      assert.ok(prediction.ranking.length === 5 && prediction.ranking[0]!.intent === prediction.topIntent);
      assert.ok(prediction.ranking.every((entry) => entry.intent !== OUT_OF_SCOPE), 'the out-of-scope class is never an answer');
    }
  });

  it('runs the same network in ONNX Runtime as the TypeScript forward pass', async () => {
    const texts = ['my card has not arrived yet', 'what exchange rate do you use?', '我要听稻香', ''];
    const embeddings = await model.embed(texts);
    const predictions = await model.classifyBatch(texts);
    const { idf } = await readArtifact(outDir);
    texts.forEach((text, index) => {
      const features = featurize(text, model.meta.featurizer, idf);
      const reference = forwardFromBuckets(result.network, features.ids, features.weights, model.meta.temperature);
      const top = predictions[index]!;
      const referenceConfidence = reference.probs[model.meta.labels.indexOf(top.topIntent)]!;
      assert.ok(Math.abs(top.confidence - referenceConfidence) < 1e-5, `${text}: ${top.confidence} vs ${referenceConfidence}`);
      reference.embedding.forEach((value, d) => assert.ok(Math.abs(value - embeddings[index]![d]!) < 1e-5));
      assert.ok(Math.abs(Math.hypot(...embeddings[index]!) - 1) < 1e-4 || Math.hypot(...embeddings[index]!) === 0);
    });
  });

  it('gives each prediction the sentence vector of its own run, the one embed gives', async () => {
    const text = 'my card has not arrived yet';
    runs.length = 0;
    const prediction = await model.classify(text);
    assert.equal(runs.length, 1);
    assert.deepEqual(prediction.embedding, (await model.embed([text]))[0]);
  });

  it('coalesces concurrent messages into fewer ONNX runs with identical results', async () => {
    const texts = test.slice(0, 40).map((example) => example.text);
    const alone: number[] = [];
    for (const text of texts) alone.push((await model.classify(text)).confidence);
    runs.length = 0;
    const together = await Promise.all(texts.map((text) => model.classify(text)));
    assert.ok(runs.length < texts.length / 4, `${runs.length} runs for ${texts.length} concurrent messages`);
    assert.equal(runs.reduce((sum, run) => sum + run.batchSize, 0), texts.length);
    together.forEach((prediction, index) => assert.ok(Math.abs(prediction.confidence - alone[index]!) < 1e-6));
  });

  it('adds the wide path (linear SVM) when asked, and ONNX Runtime still equals the TypeScript forward pass', async () => {
    const wideDir = await mkdtemp(join(tmpdir(), 'frontdesk-model-'));
    let wide: IntentModel | undefined;
    try {
      const trained = await trainModel(train, { outDir: wideDir, seed: 7, hyperparameters: { ...QUICK, linear: true, linearScales: [2] } });
      assert.ok(trained.meta.widePath && trained.network.linear.length > 0);
      wide = await loadModel(wideDir, { executionProviders: ['cpu'] });
      const { idf } = await readArtifact(wideDir);
      const texts = test.slice(0, 20).map((example) => example.text);
      const predictions = await wide.classifyBatch(texts);
      texts.forEach((text, index) => {
        const features = featurize(text, wide!.meta.featurizer, idf);
        const reference = forwardFromBuckets(trained.network, features.ids, features.weights, wide!.meta.temperature);
        const top = predictions[index]!;
        assert.ok(Math.abs(top.confidence - reference.probs[wide!.meta.labels.indexOf(top.topIntent)]!) < 1e-5);
      });
    } finally {
      await wide?.close();
      await rm(wideDir, { recursive: true, force: true });
    }
  });

  it('trains deterministically given a seed', async () => {
    const again = await mkdtemp(join(tmpdir(), 'frontdesk-model-'));
    try {
      const second = await trainModel(train, { outDir: again, seed: 7, hyperparameters: QUICK });
      assert.deepEqual(second.network.outputWeight, result.network.outputWeight);
      assert.equal(second.meta.threshold, result.meta.threshold);
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });

  it('frontdesk eval prints one JSON line with the agreed fields and writes a report', async () => {
    const reportPath = join(outDir, 'report.html');
    const written: string[] = [];
    const program = new Command('frontdesk').exitOverride();
    registerEvalCommand(program, { write: (text: string) => written.push(text) });
    await program.parseAsync(['eval', '--model', outDir, '--data', join(FIXTURES, 'banking-subset-test.csv'), '--json', '--report', reportPath], { from: 'user' });
    const lines = written.join('').trim().split('\n');
    assert.equal(lines.length, 1);
    const summary = JSON.parse(lines[0]!);
    for (const field of ['n', 'accuracy', 'in_scope_accuracy', 'oos_recall', 'macro_f1', 'p50_ms', 'p99_ms']) assert.equal(typeof summary[field], 'number', field);
    assert.equal(summary.n, test.length);
    const html = await readFile(reportPath, 'utf8');
    assert.match(html, /<svg[^>]*aria-label="Confusion heatmap"/);
    assert.match(html, /<svg[^>]*aria-label="Reliability diagram"/);
    assert.match(html, /card_arrival/);
  });

  it('frontdesk eval without --json prints the same figures on one line for a person', async () => {
    const written: string[] = [];
    const program = new Command('frontdesk').exitOverride();
    registerEvalCommand(program, { write: (text: string) => written.push(text) });
    await program.parseAsync(['eval', '--model', outDir, '--data', join(FIXTURES, 'banking-subset-test.csv')], { from: 'user' });
    const lines = written.join('').trim().split('\n');
    assert.equal(lines.length, 1, written.join(''));
    assert.match(lines[0]!, new RegExp(`^n=${test.length} accuracy=0\\.\\d+ in_scope_accuracy=`));
    assert.match(lines[0]!, /execution_provider=\w+$/);
  });
});

