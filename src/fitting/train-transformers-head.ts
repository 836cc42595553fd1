// Trains the classification head of the Transformers.js back-end on pretrained-encoder sentence
// vectors and exports it as one small ONNX graph (head.onnx: `embedding` float [N, D] → `probs`
// and `logits` [N, C]). The head is softmax regression (hidden = 0) or one ReLU hidden layer.
// Inputs are standardized per feature while training (pretrained encoders are strongly
// anisotropic); the standardization and the temperature are folded into the exported weights, so
// the graph is just MatMul/Add/Relu/Softmax. Calibration, the fallback threshold and the metrics
// are the built-in model's (calibration.ts, evaluate.ts), so both back-ends decide alike.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { argmax, softmax } from '../nlu/network.ts';
import { attribute, OnnxGraphBuilder } from '../nlu/onnx-graph.ts';
import { HEAD_FILE, META_FILE, type TransformersHeadMeta } from '../nlu/transformers/head.ts';
import type { Pooling, SentenceEncoder } from '../nlu/transformers/encoder.ts';
import { OUT_OF_SCOPE, type LabelledExample } from '../nlu/types.ts';
import { calibrateOnValidation } from './calibration.ts';
import { metricsOf } from '../evaluation/evaluate.ts';
import { createRandom, normalDeviate, shuffleInPlace } from './random.ts';
import { AdamW } from './network-trainer.ts';

export interface HeadWeights {
  dimension: number;
  /** 0 for softmax regression. */
  hidden: number;
  classes: number;
  /** [dimension, hidden] and [hidden]; empty when hidden = 0. */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden || dimension, classes] and [classes]. */
  w2: Float32Array;
  b2: Float32Array;
}

export interface HeadTrainOptions {
  /** Hidden ReLU units; 0 (default) trains softmax regression. */
  hidden?: number;
  epochs?: number;
  learningRate?: number;
  /** Decoupled weight decay of the weights (not the biases). */
  weightDecay?: number;
  batchSize?: number;
  seed?: number;
  /** Held-out examples: fit the softmax temperature and the out-of-scope threshold on them. */
  validation?: LabelledExample[];
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface TrainedHead {
  weights: HeadWeights;
  meta: TransformersHeadMeta;
  /** Calibrated probabilities in TypeScript (the reference for head.onnx). */
  predict(embeddings: Float32Array[]): Float32Array[];
  /** Writes head.onnx and meta.json into `dir` (created if needed). */
  save(dir: string): Promise<void>;
}

const DEFAULT_SEED = 13;

/** Per-feature mean and 1/std of the training vectors. */
function standardizer(vectors: readonly Float32Array[], dimension: number): { mean: Float32Array; inverseStd: Float32Array } {
  const mean = new Float32Array(dimension);
  const squared = new Float64Array(dimension);
  for (const x of vectors) for (let j = 0; j < dimension; j++) mean[j]! += x[j]! / vectors.length;
  for (const x of vectors) for (let j = 0; j < dimension; j++) squared[j]! += (x[j]! - mean[j]!) ** 2 / vectors.length;
  return { mean, inverseStd: Float32Array.from(squared, (value) => 1 / Math.sqrt(value + 1e-8)) };
}

/** Logits (and the hidden activations) of one input row. */
function forwardRow(w: HeadWeights, x: ArrayLike<number>, hidden: Float32Array, logits: Float32Array): void {
  let input: ArrayLike<number> = x;
  let width = w.dimension;
  if (w.hidden > 0) {
    hidden.set(w.b1);
    for (let j = 0; j < w.dimension; j++) {
      const value = x[j]!;
      if (value === 0) continue;
      const row = j * w.hidden;
      for (let h = 0; h < w.hidden; h++) hidden[h]! += value * w.w1[row + h]!;
    }
    for (let h = 0; h < w.hidden; h++) if (hidden[h]! < 0) hidden[h] = 0;
    input = hidden;
    width = w.hidden;
  }
  logits.set(w.b2);
  for (let j = 0; j < width; j++) {
    const value = input[j]!;
    if (value === 0) continue;
    const row = j * w.classes;
    for (let c = 0; c < w.classes; c++) logits[c]! += value * w.w2[row + c]!;
  }
}

function logitsOf(w: HeadWeights, embeddings: readonly Float32Array[]): Float32Array[] {
  const hidden = new Float32Array(w.hidden);
  return embeddings.map((embedding) => {
    const logits = new Float32Array(w.classes);
    forwardRow(w, embedding, hidden, logits);
    return logits;
  });
}

/**
 * Trains the head on sentence vectors by mini-batch AdamW on the cross-entropy. Returns weights
 * that take the raw (unstandardized) vectors; the temperature is not folded in yet.
 */
export function trainHeadWeights(
  X: Float32Array[],
  y: number[],
  classes: number,
  opts: HeadTrainOptions = {},
): { weights: HeadWeights; epochs: number; trainAccuracy: number } {
  if (X.length === 0) throw new Error('no training examples');
  if (X.length !== y.length) throw new Error('embeddings and labels differ in length');
  const dimension = X[0]!.length;
  const hiddenWidth = Math.max(0, Math.floor(opts.hidden ?? 0));
  const epochs = opts.epochs ?? 40;
  const learningRate = opts.learningRate ?? 0.01;
  const weightDecay = opts.weightDecay ?? 1e-4;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const random = createRandom(opts.seed ?? DEFAULT_SEED);
  const gaussian = (length: number, std: number) => Float32Array.from({ length }, () => normalDeviate(random) * std);

  const scaling = standardizer(X, dimension);
  const standardized = X.map((x) => Float32Array.from(x, (value, j) => (value - scaling.mean[j]!) * scaling.inverseStd[j]!));

  const inputWidth = hiddenWidth > 0 ? hiddenWidth : dimension;
  const w: HeadWeights = {
    dimension,
    hidden: hiddenWidth,
    classes,
    w1: hiddenWidth > 0 ? gaussian(dimension * hiddenWidth, Math.sqrt(2 / dimension)) : new Float32Array(0),
    b1: new Float32Array(hiddenWidth),
    w2: gaussian(inputWidth * classes, hiddenWidth > 0 ? Math.sqrt(1 / hiddenWidth) : 0.01),
    b2: new Float32Array(classes),
  };
  const gradients = { w1: new Float32Array(w.w1.length), b1: new Float32Array(w.b1.length), w2: new Float32Array(w.w2.length), b2: new Float32Array(w.b2.length) };
  const optimizers = [
    [new AdamW(w.w1, learningRate, weightDecay), gradients.w1],
    [new AdamW(w.b1, learningRate, 0), gradients.b1],
    [new AdamW(w.w2, learningRate, weightDecay), gradients.w2],
    [new AdamW(w.b2, learningRate, 0), gradients.b2],
  ] as const;
  const hidden = new Float32Array(hiddenWidth);
  const logits = new Float32Array(classes);
  const hiddenGradient = new Float32Array(hiddenWidth);
  const order = Int32Array.from(X.keys());

  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    let loss = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(start + batchSize, order.length);
      for (const [, gradient] of optimizers) gradient.fill(0);
      for (let position = start; position < end; position++) {
        const i = order[position]!;
        const x = standardized[i]!;
        forwardRow(w, x, hidden, logits);
        softmax(logits);
        loss -= Math.log(Math.max(logits[y[i]!]!, 1e-12));
        logits[y[i]!]! -= 1; // d(cross-entropy)/d(logits) = p - onehot
        const input: Float32Array = hiddenWidth > 0 ? hidden : x;
        for (let j = 0; j < inputWidth; j++) {
          const value = input[j]!;
          if (value === 0) continue;
          const row = j * classes;
          for (let c = 0; c < classes; c++) gradients.w2[row + c]! += value * logits[c]!;
        }
        for (let c = 0; c < classes; c++) gradients.b2[c]! += logits[c]!;
        if (hiddenWidth === 0) continue;
        for (let h = 0; h < hiddenWidth; h++) {
          if (hidden[h]! <= 0) {
            hiddenGradient[h] = 0;
            continue;
          }
          let sum = 0;
          const row = h * classes;
          for (let c = 0; c < classes; c++) sum += w.w2[row + c]! * logits[c]!;
          hiddenGradient[h] = sum;
        }
        for (let j = 0; j < dimension; j++) {
          const value = x[j]!;
          const row = j * hiddenWidth;
          for (let h = 0; h < hiddenWidth; h++) gradients.w1[row + h]! += value * hiddenGradient[h]!;
        }
        for (let h = 0; h < hiddenWidth; h++) gradients.b1[h]! += hiddenGradient[h]!;
      }
      for (const [optimizer, gradient] of optimizers) optimizer.update(gradient, 1 / (end - start));
    }
    opts.onEpoch?.(epoch + 1, loss / order.length);
  }

  // Fold the standardization into the first layer: (x - μ)·s·W + b = x·(sW) + (b - (μ·s)·W).
  const first = hiddenWidth > 0 ? w.w1 : w.w2;
  const firstBias = hiddenWidth > 0 ? w.b1 : w.b2;
  const width = hiddenWidth > 0 ? hiddenWidth : classes;
  for (let j = 0; j < dimension; j++) {
    const scale = scaling.inverseStd[j]!;
    const shift = scaling.mean[j]! * scale;
    const row = j * width;
    for (let k = 0; k < width; k++) {
      firstBias[k]! -= shift * first[row + k]!;
      first[row + k]! *= scale;
    }
  }

  const right = logitsOf(w, X).filter((row, i) => argmax(row) === y[i]).length;
  return { weights: w, epochs, trainAccuracy: right / X.length };
}

/** Multiplies the output layer by 1/T so that softmax(logits) is the calibrated distribution. */
function foldTemperature(w: HeadWeights, temperature: number): void {
  for (let k = 0; k < w.w2.length; k++) w.w2[k]! /= temperature;
  for (let k = 0; k < w.b2.length; k++) w.b2[k]! /= temperature;
}

export function buildHeadOnnx(w: HeadWeights, labels: string[]): Uint8Array {
  const graph = new OnnxGraphBuilder('intent_head');
  const linear = (input: string, weight: string, bias: string, output?: string) => graph.node('Add', [graph.node('MatMul', [input, weight]), bias], {}, output);
  const embedding = graph.input('embedding', 'float32', ['N', w.dimension]);
  let features = embedding;
  let width = w.dimension;
  if (w.hidden > 0) {
    const hidden = linear(embedding, graph.constant('head.w1', [w.dimension, w.hidden], w.w1), graph.constant('head.b1', [w.hidden], w.b1));
    features = graph.node('Relu', [hidden]);
    width = w.hidden;
  }
  const logits = linear(features, graph.constant('head.w2', [width, w.classes], w.w2), graph.constant('head.b2', [w.classes], w.b2), 'logits');
  graph.node('Softmax', [logits], { axis: attribute.int(-1) }, 'probs');
  graph.output('probs', 'float32', ['N', w.classes]);
  graph.output('logits', 'float32', ['N', w.classes]);
  return graph.toBytes({ labels: JSON.stringify(labels) });
}

/** Write-then-rename, so a reader never sees a half-written file. */
async function replaceFile(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

export async function trainTransformersHead(encoder: SentenceEncoder & { pooling?: Pooling }, examples: LabelledExample[], opts: HeadTrainOptions = {}): Promise<TrainedHead> {
  const started = performance.now();
  const inScope = examples.filter((example) => example.intent !== OUT_OF_SCOPE);
  const labels = [...new Set(inScope.map((example) => example.intent))].sort();
  if (labels.length < 2) throw new Error('a classification head needs at least two intents');
  const labelIndex = new Map(labels.map((label, index) => [label, index]));
  const X = await encoder.embed(inScope.map((example) => example.text));
  const y = inScope.map((example) => labelIndex.get(example.intent)!);
  const { weights, epochs, trainAccuracy } = trainHeadWeights(X, y, labels.length, opts);

  const validation = opts.validation ?? [];
  let temperature = 1;
  let threshold = 0;
  let thresholdRule = 'no validation data: never fall back';
  let metrics: TransformersHeadMeta['training']['validation'] = null;
  if (validation.length > 0) {
    const calibration = calibrateOnValidation(
      logitsOf(weights, await encoder.embed(validation.map((example) => example.text))),
      validation.map((example) => labelIndex.get(example.intent) ?? -1),
      labels,
    );
    ({ temperature, threshold, thresholdRule } = calibration);
    foldTemperature(weights, temperature);
    metrics = metricsOf(calibration.evaluation);
  }

  const meta: TransformersHeadMeta = {
    formatVersion: 1,
    encoder: 'transformers',
    encoderModel: encoder.modelId,
    pooling: encoder.pooling ?? 'mean',
    labels,
    dimensions: { embedding: weights.dimension, hidden: weights.hidden },
    files: { head: HEAD_FILE },
    temperature,
    threshold,
    thresholdRule,
    training: {
      examples: inScope.length,
      validationExamples: validation.length,
      epochs,
      seconds: (performance.now() - started) / 1000,
      seed: opts.seed ?? DEFAULT_SEED,
      trainAccuracy,
      validation: metrics,
    },
    createdAt: new Date().toISOString(),
  };

  return {
    weights,
    meta,
    predict: (embeddings) => logitsOf(weights, embeddings).map((row) => softmax(row)),
    async save(dir: string) {
      await mkdir(dir, { recursive: true });
      await replaceFile(join(dir, HEAD_FILE), buildHeadOnnx(weights, labels));
      await replaceFile(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    },
  };
}
