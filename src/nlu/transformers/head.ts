/**
 * A classification head over pretrained-encoder sentence vectors, trained in TypeScript and
 * exported as one small ONNX graph:
 *
 *   head.onnx   input `embedding` float [N, D] → outputs `probs` [N, C] (and `logits`)
 *   meta.json   { encoder: "transformers", encoderModel, pooling, dimension, labels, ... }
 *
 * The head is softmax regression (hidden = 0) or one ReLU hidden layer. Inputs are
 * standardized per feature while training (random or pretrained encoders are strongly
 * anisotropic), and the standardization, and the softmax temperature fitted on validation
 * data, are folded into the exported weights so the graph is just MatMul/Add/Relu/Softmax.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IntentPrediction, LabelledExample, ModelMetrics } from '../types.ts';
import { OUT_OF_SCOPE } from '../types.ts';
import { TransformersEncoder, type Pooling, type SentenceEncoder, type TransformersEncoderOptions } from './encoder.ts';
import { OnnxGraphBuilder, SeededRandom } from './onnx-builder.ts';

export const HEAD_FILE = 'head.onnx';
export const META_FILE = 'meta.json';

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
  /** L2 penalty on weights (not biases). */
  weightDecay?: number;
  batchSize?: number;
  seed?: number;
  /** Held-out examples: fit the softmax temperature and the out-of-scope threshold on them. */
  validation?: LabelledExample[];
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface TransformersHeadMeta {
  formatVersion: 1;
  encoder: 'transformers';
  /** Hugging Face id, or absolute path of a local model folder. */
  encoderModel: string;
  pooling: Pooling;
  labels: string[];
  dimensions: { embedding: number; hidden: number };
  files: { head: string };
  /** Already folded into head.onnx. */
  temperature: number;
  /** Calibrated confidence below which a message takes the fallback path. */
  threshold: number;
  thresholdRule: string;
  training: {
    examples: number;
    validationExamples: number;
    epochs: number;
    seconds: number;
    seed: number;
    trainAccuracy: number;
    validation: ModelMetrics | null;
  };
  createdAt: string;
}

// ---------------------------------------------------------------------------------------------
// Training (pure, synchronous)

interface Standardizer {
  mean: Float32Array;
  invStd: Float32Array;
}

function standardizer(X: Float32Array[], D: number): Standardizer {
  const mean = new Float32Array(D);
  const sq = new Float64Array(D);
  for (const x of X) for (let j = 0; j < D; j++) mean[j]! += x[j]! / X.length;
  for (const x of X) for (let j = 0; j < D; j++) sq[j]! += (x[j]! - mean[j]!) ** 2 / X.length;
  const invStd = new Float32Array(D);
  for (let j = 0; j < D; j++) invStd[j] = 1 / Math.sqrt(sq[j]! + 1e-8);
  return { mean, invStd };
}

/** logits (and the hidden activations) of one input row. */
function forwardRow(w: HeadWeights, x: ArrayLike<number>, hidden: Float32Array, logits: Float32Array): void {
  const { dimension: D, hidden: Hd, classes: C } = w;
  let input: ArrayLike<number> = x;
  let width = D;
  if (Hd > 0) {
    hidden.set(w.b1);
    for (let j = 0; j < D; j++) {
      const v = x[j]!;
      if (v === 0) continue;
      const row = j * Hd;
      for (let h = 0; h < Hd; h++) hidden[h]! += v * w.w1[row + h]!;
    }
    for (let h = 0; h < Hd; h++) if (hidden[h]! < 0) hidden[h] = 0;
    input = hidden;
    width = Hd;
  }
  logits.set(w.b2);
  for (let j = 0; j < width; j++) {
    const v = input[j]!;
    if (v === 0) continue;
    const row = j * C;
    for (let c = 0; c < C; c++) logits[c]! += v * w.w2[row + c]!;
  }
}

function softmaxInPlace(z: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    const e = Math.exp((z[i]! - max) / temperature);
    z[i] = e;
    sum += e;
  }
  for (let i = 0; i < z.length; i++) z[i]! /= sum;
  return z;
}

/**
 * Trains the head on sentence vectors. Returns weights that take the raw (unstandardized)
 * vectors; the temperature is not folded in yet.
 */
export function trainHeadWeights(
  X: Float32Array[],
  y: number[],
  classes: number,
  opts: HeadTrainOptions = {},
): { weights: HeadWeights; epochs: number; trainAccuracy: number } {
  if (X.length === 0) throw new Error('no training examples');
  if (X.length !== y.length) throw new Error('embeddings and labels differ in length');
  const D = X[0]!.length;
  const Hd = Math.max(0, Math.floor(opts.hidden ?? 0));
  const epochs = opts.epochs ?? 40;
  const lr = opts.learningRate ?? 0.01;
  const wd = opts.weightDecay ?? 1e-4;
  const batch = Math.max(1, opts.batchSize ?? 32);
  const rng = new SeededRandom(opts.seed ?? 13);

  const st = standardizer(X, D);
  const Z = X.map((x) => {
    const z = new Float32Array(D);
    for (let j = 0; j < D; j++) z[j] = (x[j]! - st.mean[j]!) * st.invStd[j]!;
    return z;
  });

  const inW = Hd > 0 ? Hd : D;
  const w: HeadWeights = {
    dimension: D,
    hidden: Hd,
    classes,
    w1: Hd > 0 ? rng.normalArray(D * Hd, Math.sqrt(2 / D)) : new Float32Array(0),
    b1: new Float32Array(Hd),
    w2: rng.normalArray(inW * classes, Hd > 0 ? Math.sqrt(1 / Hd) : 0.01),
    b2: new Float32Array(classes),
  };
  const params = [w.w1, w.b1, w.w2, w.b2];
  const decays = [wd, 0, wd, 0];
  const grads = params.map((p) => new Float32Array(p.length));
  const m1 = params.map((p) => new Float32Array(p.length));
  const m2 = params.map((p) => new Float32Array(p.length));
  const [g1, gb1, g2, gb2] = grads as [Float32Array, Float32Array, Float32Array, Float32Array];
  const hidden = new Float32Array(Hd);
  const logits = new Float32Array(classes);
  const dHidden = new Float32Array(Hd);
  const order = X.map((_, i) => i);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    for (let start = 0; start < order.length; start += batch) {
      const idx = order.slice(start, start + batch);
      for (const g of grads) g.fill(0);
      for (const i of idx) {
        const x = Z[i]!;
        forwardRow(w, x, hidden, logits);
        softmaxInPlace(logits);
        const target = y[i]!;
        loss -= Math.log(Math.max(logits[target]!, 1e-12));
        logits[target]! -= 1; // dL/dlogits
        const input: Float32Array = Hd > 0 ? hidden : x;
        for (let j = 0; j < inW; j++) {
          const v = input[j]!;
          if (v === 0) continue;
          const row = j * classes;
          for (let c = 0; c < classes; c++) g2[row + c]! += v * logits[c]!;
        }
        for (let c = 0; c < classes; c++) gb2[c]! += logits[c]!;
        if (Hd > 0) {
          for (let h = 0; h < Hd; h++) {
            if (hidden[h]! <= 0) {
              dHidden[h] = 0;
              continue;
            }
            let s = 0;
            const row = h * classes;
            for (let c = 0; c < classes; c++) s += w.w2[row + c]! * logits[c]!;
            dHidden[h] = s;
          }
          for (let j = 0; j < D; j++) {
            const v = x[j]!;
            const row = j * Hd;
            for (let h = 0; h < Hd; h++) g1[row + h]! += v * dHidden[h]!;
          }
          for (let h = 0; h < Hd; h++) gb1[h]! += dHidden[h]!;
        }
      }
      // Adam step on the batch-mean gradient (+ L2 on weights).
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let p = 0; p < params.length; p++) {
        const P = params[p]!;
        const G = grads[p]!;
        const M = m1[p]!;
        const V = m2[p]!;
        const decay = decays[p]!;
        for (let k = 0; k < P.length; k++) {
          const g = G[k]! / idx.length + decay * P[k]!;
          M[k] = beta1 * M[k]! + (1 - beta1) * g;
          V[k] = beta2 * V[k]! + (1 - beta2) * g * g;
          P[k]! -= (lr * (M[k]! / c1)) / (Math.sqrt(V[k]! / c2) + 1e-8);
        }
      }
    }
    opts.onEpoch?.(epoch + 1, loss / order.length);
  }

  // Fold the standardization into the first layer: (x - μ)·s·W + b = x·(sW) + (b - (μ·s)·W).
  const first = Hd > 0 ? w.w1 : w.w2;
  const firstBias = Hd > 0 ? w.b1 : w.b2;
  const width = Hd > 0 ? Hd : classes;
  for (let j = 0; j < D; j++) {
    const s = st.invStd[j]!;
    const shift = st.mean[j]! * s;
    const row = j * width;
    for (let k = 0; k < width; k++) {
      firstBias[k]! -= shift * first[row + k]!;
      first[row + k]! *= s;
    }
  }

  let correct = 0;
  X.forEach((x, i) => {
    forwardRow(w, x, hidden, logits);
    if (argmax(logits) === y[i]) correct++;
  });
  return { weights: w, epochs, trainAccuracy: correct / X.length };
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Multiplies the output layer by 1/T so that softmax(logits) is the calibrated distribution. */
function foldTemperature(w: HeadWeights, temperature: number): void {
  for (let k = 0; k < w.w2.length; k++) w.w2[k]! /= temperature;
  for (let k = 0; k < w.b2.length; k++) w.b2[k]! /= temperature;
}

/** Temperature minimizing the negative log-likelihood of the in-scope validation rows. */
export function fitTemperature(logitRows: Float32Array[], targets: number[]): number {
  if (logitRows.length === 0) return 1;
  const nll = (T: number): number => {
    let s = 0;
    logitRows.forEach((z, i) => {
      const p = softmaxInPlace(Float32Array.from(z), T);
      s -= Math.log(Math.max(p[targets[i]!]!, 1e-12));
    });
    return s;
  };
  // Golden-section search on log T in [0.05, 20].
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = nll(Math.exp(a));
  let fb = nll(Math.exp(b));
  for (let it = 0; it < 40; it++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = nll(Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = nll(Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

// ---------------------------------------------------------------------------------------------
// Metrics and threshold

interface Scored {
  truth: string;
  top: string;
  confidence: number;
}

export function evaluate(rows: Scored[], threshold: number): ModelMetrics {
  const n = rows.length;
  let right = 0;
  let inScope = 0;
  let inRight = 0;
  let oos = 0;
  let oosRight = 0;
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const r of rows) {
    const predicted = r.confidence >= threshold ? r.top : OUT_OF_SCOPE;
    const ok = predicted === r.truth;
    if (ok) right++;
    if (r.truth === OUT_OF_SCOPE) {
      oos++;
      if (ok) oosRight++;
    } else {
      inScope++;
      if (ok) inRight++;
    }
    if (ok) inc(tp, r.truth);
    else {
      inc(fp, predicted);
      inc(fn, r.truth);
    }
  }
  const classes = new Set(rows.map((r) => r.truth).filter((t) => t !== OUT_OF_SCOPE));
  let f1Sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const denom = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    f1Sum += denom === 0 ? 0 : (2 * t) / denom;
  }
  // Expected calibration error of the top confidence (10 equal-width bins, in-scope rows).
  const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, acc: 0 }));
  for (const r of rows) {
    if (r.truth === OUT_OF_SCOPE) continue;
    const b = bins[Math.min(9, Math.floor(r.confidence * 10))]!;
    b.n++;
    b.conf += r.confidence;
    b.acc += r.top === r.truth ? 1 : 0;
  }
  const ece = inScope === 0 ? 0 : bins.reduce((s, b) => s + (b.n === 0 ? 0 : Math.abs(b.acc - b.conf)), 0) / inScope;
  return {
    n,
    accuracy: n === 0 ? 0 : right / n,
    in_scope_accuracy: inScope === 0 ? 0 : inRight / inScope,
    oos_recall: oos === 0 ? null : oosRight / oos,
    macro_f1: classes.size === 0 ? 0 : f1Sum / classes.size,
    ece,
  };
}

/**
 * With out-of-scope rows: the threshold that maximizes validation accuracy (an `oos` row is
 * right when it falls back). Without: the 5th percentile of the confidences of correctly
 * classified rows, so that about 95% of answers the head gets right are still given.
 */
export function chooseThreshold(rows: Scored[]): { threshold: number; rule: string } {
  if (rows.length === 0) return { threshold: 0, rule: 'no validation data: never fall back' };
  if (rows.some((r) => r.truth === OUT_OF_SCOPE)) {
    const candidates = [0, ...new Set(rows.map((r) => r.confidence))].sort((a, b) => a - b);
    let best = { threshold: 0, acc: -1 };
    for (const t of candidates) {
      const acc = evaluate(rows, t).accuracy;
      if (acc > best.acc) best = { threshold: t, acc };
    }
    return { threshold: best.threshold, rule: 'maximize validation accuracy, oos rows right when below threshold' };
  }
  const right = rows.filter((r) => r.top === r.truth).map((r) => r.confidence).sort((a, b) => a - b);
  const threshold = right.length === 0 ? 0 : right[Math.floor(right.length * 0.05)]!;
  return { threshold, rule: 'keep 95% of correctly classified validation messages' };
}

// ---------------------------------------------------------------------------------------------
// ONNX export

export function buildHeadOnnx(w: HeadWeights, labels: string[]): Uint8Array {
  const g = new OnnxGraphBuilder('intent_head');
  const x = g.input('embedding', 'float', ['N', w.dimension]);
  let h = x;
  let width = w.dimension;
  if (w.hidden > 0) {
    h = g.node('Relu', [g.linear(x, g.floatTensor('head.w1', w.w1, [w.dimension, w.hidden]), g.floatTensor('head.b1', w.b1, [w.hidden]))]);
    width = w.hidden;
  }
  const logits = g.linear(h, g.floatTensor('head.w2', w.w2, [width, w.classes]), g.floatTensor('head.b2', w.b2, [w.classes]), 'logits');
  g.node('Softmax', [logits], { outputs: ['probs'], attrs: { axis: -1 } });
  g.output('probs', 'float', ['N', w.classes]);
  g.output('logits', 'float', ['N', w.classes]);
  return g.toBytes({ opset: 17, producerName: 'frontdesk-transformers-head', metadata: { labels: JSON.stringify(labels) } });
}

// ---------------------------------------------------------------------------------------------
// Train end to end on an encoder

export interface TrainedHead {
  weights: HeadWeights;
  meta: TransformersHeadMeta;
  /** Calibrated probabilities in TypeScript (the reference for head.onnx). */
  predict(embeddings: Float32Array[]): Float32Array[];
  /** Writes head.onnx and meta.json into `dir` (created if needed). */
  save(dir: string): Promise<void>;
}

function predictWith(w: HeadWeights, embeddings: Float32Array[]): Float32Array[] {
  const hidden = new Float32Array(w.hidden);
  return embeddings.map((e) => {
    const z = new Float32Array(w.classes);
    forwardRow(w, e, hidden, z);
    return softmaxInPlace(z);
  });
}

export async function trainTransformersHead(
  encoder: SentenceEncoder & { pooling?: Pooling },
  examples: LabelledExample[],
  opts: HeadTrainOptions = {},
): Promise<TrainedHead> {
  const started = performance.now();
  const inScope = examples.filter((e) => e.intent !== OUT_OF_SCOPE);
  const labels = [...new Set(inScope.map((e) => e.intent))].sort();
  if (labels.length < 2) throw new Error('a classification head needs at least two intents');
  const index = new Map(labels.map((l, i) => [l, i]));
  const X = await encoder.embed(inScope.map((e) => e.text));
  const y = inScope.map((e) => index.get(e.intent)!);
  const { weights, epochs, trainAccuracy } = trainHeadWeights(X, y, labels.length, opts);

  const validation = opts.validation ?? [];
  let temperature = 1;
  let threshold = 0;
  let thresholdRule = 'no validation data: never fall back';
  let metrics: ModelMetrics | null = null;
  if (validation.length > 0) {
    const V = await encoder.embed(validation.map((e) => e.text));
    const hidden = new Float32Array(weights.hidden);
    const rawLogits = V.map((v) => {
      const z = new Float32Array(weights.classes);
      forwardRow(weights, v, hidden, z);
      return z;
    });
    const known = validation.map((e, i) => ({ i, t: index.get(e.intent) })).filter((r) => r.t !== undefined);
    temperature = fitTemperature(
      known.map((r) => rawLogits[r.i]!),
      known.map((r) => r.t!),
    );
    foldTemperature(weights, temperature);
    const probs = predictWith(weights, V);
    const rows: Scored[] = validation.map((e, i) => {
      const p = probs[i]!;
      const top = argmax(p);
      return { truth: e.intent, top: labels[top]!, confidence: p[top]! };
    });
    ({ threshold, rule: thresholdRule } = chooseThreshold(rows));
    metrics = evaluate(rows, threshold);
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
      seed: opts.seed ?? 13,
      trainAccuracy,
      validation: metrics,
    },
    createdAt: new Date().toISOString(),
  };

  return {
    weights,
    meta,
    predict: (embeddings) => predictWith(weights, embeddings),
    async save(dir: string) {
      await mkdir(dir, { recursive: true });
      // Write-then-rename so a reader never sees a half-written artifact.
      const onnxTmp = join(dir, `${HEAD_FILE}.tmp`);
      await writeFile(onnxTmp, buildHeadOnnx(weights, labels));
      await rename(onnxTmp, join(dir, HEAD_FILE));
      const metaTmp = join(dir, `${META_FILE}.tmp`);
      await writeFile(metaTmp, `${JSON.stringify(meta, null, 2)}\n`);
      await rename(metaTmp, join(dir, META_FILE));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Serving a saved artifact

export async function readHeadMeta(dir: string): Promise<TransformersHeadMeta> {
  const meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as Partial<TransformersHeadMeta>;
  if (meta.encoder !== 'transformers' || !Array.isArray(meta.labels) || typeof meta.encoderModel !== 'string') {
    throw new Error(`${join(dir, META_FILE)} is not a transformers-encoder head artifact`);
  }
  return meta as TransformersHeadMeta;
}

/** Runs the encoder (Transformers.js) and head.onnx (onnxruntime-node) together. */
export class TransformersIntentModel {
  readonly executionProvider = 'cpu';

  private constructor(
    readonly meta: TransformersHeadMeta,
    private readonly encoder: SentenceEncoder,
    private readonly ownsEncoder: boolean,
    private readonly session: import('onnxruntime-node').InferenceSession,
    private readonly ort: typeof import('onnxruntime-node'),
  ) {}

  /**
   * Loads `dir/head.onnx` and its encoder: the one given, or the one meta.json names
   * (loaded offline unless `encoderOptions.allowRemote`).
   */
  static async load(
    dir: string,
    opts: { encoder?: SentenceEncoder; encoderOptions?: TransformersEncoderOptions } = {},
  ): Promise<TransformersIntentModel> {
    const meta = await readHeadMeta(dir);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(join(dir, meta.files?.head ?? HEAD_FILE), {
      executionProviders: ['cpu'],
    });
    const encoder =
      opts.encoder ?? (await TransformersEncoder.load(meta.encoderModel, { pooling: meta.pooling, ...opts.encoderOptions }));
    if (encoder.dimension !== meta.dimensions.embedding) {
      if (!opts.encoder) await encoder.close();
      await session.release();
      throw new Error(
        `encoder ${encoder.modelId} gives ${encoder.dimension}-d vectors, the head expects ${meta.dimensions.embedding}`,
      );
    }
    return new TransformersIntentModel(meta, encoder, !opts.encoder, session, ort);
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.encoder.embed(texts);
  }

  /** Calibrated class probabilities from head.onnx, one row per embedding. */
  async probabilities(embeddings: Float32Array[]): Promise<Float32Array[]> {
    if (embeddings.length === 0) return [];
    const D = this.meta.dimensions.embedding;
    const flat = new Float32Array(embeddings.length * D);
    embeddings.forEach((e, i) => flat.set(e, i * D));
    const out = await this.session.run({ embedding: new this.ort.Tensor('float32', flat, [embeddings.length, D]) }, ['probs']);
    const probs = out.probs!.data as Float32Array;
    const C = this.meta.labels.length;
    return embeddings.map((_, i) => probs.slice(i * C, (i + 1) * C));
  }

  async classifyBatch(texts: string[]): Promise<IntentPrediction[]> {
    const probs = await this.probabilities(await this.embed(texts));
    return probs.map((p) => {
      const ranking = [...p]
        .map((confidence, i) => ({ intent: this.meta.labels[i]!, confidence }))
        .sort((a, b) => b.confidence - a.confidence)
        .slice(0, 5);
      const top = ranking[0]!;
      return {
        intent: top.confidence >= this.meta.threshold ? top.intent : null,
        topIntent: top.intent,
        confidence: top.confidence,
        ranking,
      };
    });
  }

  async classify(text: string): Promise<IntentPrediction> {
    return (await this.classifyBatch([text]))[0]!;
  }

  async close(): Promise<void> {
    await this.session.release();
    if (this.ownsEncoder) await this.encoder.close();
  }
}
