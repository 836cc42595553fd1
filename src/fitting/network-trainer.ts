// Mini-batch training of the intent network: the epochs, weight averaging, validation and the
// choice of the weights to keep. The arithmetic of a step (hand-written backpropagation, AdamW on
// the dense layers, row-wise AdaGrad on the touched embedding rows) is in training-kernel.ts and
// its SIMD kernels; an epoch over BANKING77 takes about 0.3 s on one core.
import { argmax, createActivations, forwardActivations, softmax, type NetworkShape, type NetworkWeights } from '../nlu/network.ts';
import { availableParallelism } from 'node:os';
import { createRandom, shuffleInPlace } from './random.ts';
import { createKernelState, Kernel, SHARDS, type KernelSettings, type KernelState } from './training-kernel.ts';
import { startTrainingWorker, type TrainingWorker } from './training-threads.ts';

/** One message as rows of the embedding table with their TF-IDF weights. */
export interface EncodedExample {
  rows: Int32Array;
  weights: Float32Array;
  /** Class index, or -1 for an out-of-scope message (trained towards a uniform distribution). */
  label: number;
}

export interface Hyperparameters {
  embedding: number;
  hidden: number;
  batchSize: number;
  maxEpochs: number;
  /** Epochs without a better validation score before stopping. */
  patience: number;
  denseLearningRate: number;
  embeddingLearningRate: number;
  weightDecay: number;
  hiddenDropout: number;
  /** Probability of dropping each n-gram of a message in an epoch (the rest are renormalized). */
  featureDropout: number;
  labelSmoothing: number;
  /**
   * Add the wide path: a one-vs-rest linear SVM on the same TF-IDF rows, fitted after the network
   * (see fitLinearSvm), whose scores are added to the logits with a scale chosen on validation.
   */
  linear: boolean;
  /** Cost C of the wide path's SVM (sklearn LinearSVC's C; larger = less regularization). */
  linearC: number;
  /** Most passes of dual coordinate descent over the training rows, per class. */
  linearEpochs: number;
  /** Scales of the SVM scores tried on validation; the best is added to the logits (0: none). */
  linearScales: readonly number[];
  /** Width of the fixed random projection in the sentence vector (see NetworkWeights.projection). */
  projection: number;
  /** See NetworkWeights.sentenceLexicalWeight; an export choice, not used in training. */
  sentenceLexicalWeight: number;
  /**
   * Threads to train on (1 or 2; default 1, see trainingThreads). Not a model choice: one or two
   * threads give bit-for-bit the same network (see training-kernel.ts).
   */
  threads?: number;
}

export const DEFAULT_HYPERPARAMETERS: Hyperparameters = {
  embedding: 128,
  hidden: 256,
  batchSize: 32,
  maxEpochs: 12,
  patience: 5,
  denseLearningRate: 1e-3,
  embeddingLearningRate: 0.05,
  weightDecay: 1e-4,
  hiddenDropout: 0.3,
  featureDropout: 0.35,
  labelSmoothing: 0.1,
  linear: false,
  linearC: 1,
  linearEpochs: 10,
  linearScales: [0, 1, 2, 4, 8],
  projection: 512,
  sentenceLexicalWeight: 0.7,
};

export interface EpochReport {
  epoch: number;
  maxEpochs: number;
  trainLoss: number;
  validationAccuracy: number;
  validationLoss: number;
}

export interface TrainedNetwork {
  weights: NetworkWeights;
  /** Epoch whose (averaged) weights were kept: the best on validation. */
  bestEpoch: number;
  epochsRun: number;
}

/** Normal deviates times `std` into `out`, by Box–Muller (both values of each pair are used). */
function fillGaussian(out: Float32Array, std: number, random: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * std;
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
}

/**
 * Achlioptas' sparse random projection: +1 and −1 with probability 1/6 each, else 0. A seeded
 * xorshift32 stream (not the training generator: tens of millions of draws, and training stays
 * independent of the projection's width).
 */
function randomProjection(length: number, seed: number): Int8Array {
  const table = new Int8Array(length);
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const draw = (state >>> 0) % 6;
    table[i] = draw === 0 ? 1 : draw === 1 ? -1 : 0;
  }
  return table;
}

/** AdamW (decoupled weight decay) over one parameter array. */
export class AdamW {
  private readonly firstMoment: Float32Array;
  private readonly secondMoment: Float32Array;
  private step = 0;
  constructor(
    private readonly parameters: Float32Array,
    private readonly learningRate: number,
    private readonly weightDecay: number,
  ) {
    this.firstMoment = new Float32Array(parameters.length);
    this.secondMoment = new Float32Array(parameters.length);
  }

  update(gradient: Float32Array, gradientScale: number): void {
    this.step++;
    const beta1 = 0.9;
    const beta2 = 0.999;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const { parameters, firstMoment, secondMoment, learningRate, weightDecay } = this;
    for (let i = 0; i < parameters.length; i++) {
      const g = gradient[i]! * gradientScale;
      firstMoment[i] = beta1 * firstMoment[i]! + (1 - beta1) * g;
      secondMoment[i] = beta2 * secondMoment[i]! + (1 - beta2) * g * g;
      const update = firstMoment[i]! / correction1 / (Math.sqrt(secondMoment[i]! / correction2) + 1e-8);
      parameters[i] = parameters[i]! - learningRate * (update + weightDecay * parameters[i]!);
    }
  }
}

function cloneWeights(weights: NetworkWeights): NetworkWeights {
  return {
    shape: weights.shape,
    sentenceLexicalWeight: weights.sentenceLexicalWeight,
    rowOfBucket: weights.rowOfBucket,
    projection: weights.projection,
    embedding: weights.embedding.slice(),
    hiddenWeight: weights.hiddenWeight.slice(),
    hiddenBias: weights.hiddenBias.slice(),
    outputWeight: weights.outputWeight.slice(),
    outputBias: weights.outputBias.slice(),
    linear: weights.linear.slice(),
  };
}

/** [rows, columns] → [columns, rows]. */
function transpose(matrix: Float32Array, rows: number, columns: number, out: Float32Array = new Float32Array(rows * columns)): Float32Array {
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = matrix[r * columns + c]!;
  return out;
}

/**
 * Running mean of the weights at the end of each epoch (stochastic weight averaging): the mean of
 * points along the trajectory generalizes better than any one of them. Sums are kept in the
 * kernel's layouts; the mean is written into the kernel's evaluation weights.
 */
class WeightAverage {
  private readonly sums: Float32Array[];
  private count = 0;
  constructor(private readonly state: KernelState) {
    this.sums = WeightAverage.parts(state).map((part) => new Float32Array(part.length));
  }

  private static parts(state: KernelState): Float32Array[] {
    return [state.embedding, state.hiddenWeightT, state.hiddenBias, state.outputWeight, state.outputBias];
  }

  /** Adds the trainer's current weights. */
  add(): void {
    const values = WeightAverage.parts(this.state);
    for (let part = 0; part < this.sums.length; part++) {
      const sum = this.sums[part]!;
      const value = values[part]!;
      if (this.count === 0) sum.set(value);
      else for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + value[i]!;
    }
    this.count++;
  }

  /** Writes the mean into the evaluation weights. */
  meanIntoEvaluation(): void {
    const { evaluation, shape } = this.state;
    const scale = 1 / this.count;
    const [embedding, hiddenWeightT, hiddenBias, outputWeight, outputBias] = this.sums as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    for (let i = 0; i < embedding.length; i++) evaluation.embedding[i] = embedding[i]! * scale;
    for (let i = 0; i < hiddenWeightT.length; i++) evaluation.hiddenWeightT[i] = hiddenWeightT[i]! * scale;
    for (let i = 0; i < hiddenBias.length; i++) evaluation.hiddenBias[i] = hiddenBias[i]! * scale;
    for (let i = 0; i < outputBias.length; i++) evaluation.outputBias[i] = outputBias[i]! * scale;
    for (let h = 0; h < shape.hidden; h++) {
      for (let c = 0; c < shape.classes; c++) evaluation.outputWeightT[c * shape.hidden + h] = outputWeight[h * shape.classes + c]! * scale;
    }
  }
}

/** Copies the evaluation weights into `into` (NetworkWeights layouts; the arrays are reused). */
function copyEvaluationWeights(state: KernelState, into: NetworkWeights): NetworkWeights {
  const { evaluation, shape } = state;
  into.embedding.set(evaluation.embedding);
  transpose(evaluation.hiddenWeightT, shape.hidden, shape.embedding, into.hiddenWeight);
  into.hiddenBias.set(evaluation.hiddenBias);
  transpose(evaluation.outputWeightT, shape.classes, shape.hidden, into.outputWeight);
  into.outputBias.set(evaluation.outputBias);
  return into;
}

/** Logits of every example, in order (no dropout). */
export function predictLogits(weights: NetworkWeights, examples: readonly EncodedExample[]): Float32Array[] {
  const activations = createActivations(weights.shape);
  return examples.map((example) => {
    forwardActivations(weights, example.rows, example.weights, activations);
    return activations.logits.slice();
  });
}

/** In-scope accuracy and mean cross-entropy at temperature 1 (out-of-scope rows are left out). */
function validationScore(weights: NetworkWeights, examples: readonly EncodedExample[]): { accuracy: number; loss: number } {
  const inScope = examples.filter((example) => example.label >= 0);
  if (inScope.length === 0) return { accuracy: 0, loss: 0 };
  let right = 0;
  let loss = 0;
  predictLogits(weights, inScope).forEach((logits, index) => {
    const label = inScope[index]!.label;
    if (argmax(logits) === label) right++;
    loss -= Math.log(Math.max(softmax(logits)[label]!, 1e-12));
  });
  return { accuracy: right / inScope.length, loss: loss / inScope.length };
}

/** Standard error of an accuracy measured on `messages` messages (0 without messages). */
function standardError(accuracy: number, messages: number): number {
  return messages > 0 ? Math.sqrt(Math.max(accuracy * (1 - accuracy), 0) / messages) : 0;
}

/**
 * How many threads to train on: `requested` (1 or 2, at most the machine's cores), else one. Two
 * threads meet twice per mini-batch; on the shared 2-core machine where this was measured, that
 * cost more than the second core gave (docs/performance.md, "Training speed").
 */
export function trainingThreads(requested: number | undefined): number {
  return Math.max(1, Math.min(SHARDS, availableParallelism(), Math.floor(requested ?? 1)));
}

export async function trainNetwork(options: {
  train: readonly EncodedExample[];
  validation: readonly EncodedExample[];
  shape: NetworkShape;
  rowOfBucket: Int32Array;
  hyperparameters: Hyperparameters;
  seed: number;
  onEpoch?: (report: EpochReport) => void;
  /** A worker thread already started (startTrainingWorker), so that it boots during featurization. */
  worker?: Promise<TrainingWorker | null>;
}): Promise<TrainedNetwork> {
  const { train, validation, shape, hyperparameters: hp, seed } = options;
  const random = createRandom(seed);
  const worker = options.worker ? await options.worker : trainingThreads(hp.threads) > 1 ? await startTrainingWorker() : null;
  try {
    const settings: KernelSettings = {
      batchSize: hp.batchSize,
      featureDropout: hp.featureDropout,
      hiddenDropout: hp.hiddenDropout,
      labelSmoothing: hp.labelSmoothing,
      denseLearningRate: hp.denseLearningRate,
      embeddingLearningRate: hp.embeddingLearningRate,
      weightDecay: hp.weightDecay,
      seed,
    };
    const state = createKernelState({ vocabulary: shape.vocabulary, embedding: shape.embedding, hidden: shape.hidden, classes: shape.classes }, settings, train, validation);
    // Unit-variance bag at the start: the input is an L2-normalized TF-IDF vector.
    fillGaussian(state.embedding, 1 / Math.sqrt(shape.embedding), random);
    fillGaussian(state.hiddenWeightT, Math.sqrt(2 / shape.embedding), random);
    fillGaussian(state.outputWeight, Math.sqrt(1 / shape.hidden), random);

    // The weights kept so far (the latest averaged weights within one standard error of the best).
    const kept: NetworkWeights = {
      shape,
      sentenceLexicalWeight: hp.sentenceLexicalWeight,
      rowOfBucket: options.rowOfBucket,
      embedding: new Float32Array(shape.vocabulary * shape.embedding),
      hiddenWeight: new Float32Array(shape.embedding * shape.hidden),
      hiddenBias: new Float32Array(shape.hidden),
      outputWeight: new Float32Array(shape.hidden * shape.classes),
      outputBias: new Float32Array(shape.classes),
      linear: new Float32Array(0),
      projection: randomProjection(shape.vocabulary * shape.projection, seed),
    };
    const kernel = new Kernel(state);
    const runner = worker ? worker.attach(state) : null;
    const averaged = new WeightAverage(state);
    let best = { score: -Infinity, loss: Infinity, epoch: 0 };
    let keptEpoch = 0;
    const inScopeValidation = validation.filter((example) => example.label >= 0).length;
    let epoch = 0;
    let step = 0;
    while (epoch < hp.maxEpochs && epoch - best.epoch < hp.patience) {
      epoch++;
      shuffleInPlace(state.order, random);
      for (const shard of state.shards) shard.loss[0] = 0;
      for (let start = 0; start < train.length; start += hp.batchSize) {
        const end = Math.min(start + hp.batchSize, train.length);
        step++;
        // Shard 1 and part 1 run on the worker where there is one, at the same time as shard 0 / part 0 here.
        if (runner) {
          runner.gradients(start, end, epoch);
          kernel.gradients(0, start, end, epoch);
          runner.wait();
          runner.update(start, end, step);
          kernel.update(0, step, 1 / (end - start));
          runner.wait();
        } else {
          kernel.gradients(0, start, end, epoch);
          kernel.gradients(1, start, end, epoch);
          kernel.update(0, step, 1 / (end - start));
          kernel.update(1, step, 1 / (end - start));
        }
      }
      averaged.add();
      averaged.meanIntoEvaluation();
      const score = kernel.evaluate();
      const trainLoss = state.shards.reduce((sum, shard) => sum + shard.loss[0]!, 0) / train.length;
      options.onEpoch?.({ epoch, maxEpochs: hp.maxEpochs, trainLoss, validationAccuracy: score.accuracy, validationLoss: score.loss });
      const better = score.accuracy > best.score || (score.accuracy === best.score && score.loss < best.loss);
      if (better) best = { score: score.accuracy, loss: score.loss, epoch };
      // Keep the latest averaged weights within one standard error of the best validation accuracy
      // so far: the average keeps improving on held-out data while a small validation set moves by
      // a few messages either way.
      if (score.accuracy >= best.score - standardError(best.score, inScopeValidation)) {
        copyEvaluationWeights(state, kept);
        keptEpoch = epoch;
      }
    }
    // Always at least the first epoch: its accuracy is the best so far.
    return { weights: kept, bestEpoch: keptEpoch, epochsRun: epoch };
  } finally {
    await worker?.close();
  }
}


/** A one-vs-rest linear model over the embedding-table rows: scores = Σ_k w_k · weights[row_k] + bias. */
export interface LinearModel {
  /** [vocabulary, classes] */
  weights: Float32Array;
  /** [classes] */
  bias: Float32Array;
}

/**
 * One-vs-rest L2-regularized squared-hinge linear SVM (what LIBLINEAR and sklearn's LinearSVC fit),
 * by dual coordinate descent (Hsieh et al. 2008), with a regularized bias feature of value 1.
 * Out-of-scope rows (label -1) are negatives of every class. Converges in a few passes on
 * L2-normalized TF-IDF rows; stops when the projected-gradient spread falls below 0.1.
 */
export function fitLinearSvm(train: readonly EncodedExample[], vocabulary: number, classes: number, options: { C: number; maxEpochs: number; seed: number }): LinearModel {
  const random = createRandom(options.seed);
  const weights = new Float32Array(vocabulary * classes);
  const bias = new Float32Array(classes);
  const diagonal = 1 / (2 * options.C);
  const squaredNorms = train.map((example) => example.weights.reduce((sum, weight) => sum + weight * weight, 0) + 1);
  const w = new Float64Array(vocabulary);
  const alpha = new Float64Array(train.length);
  const order = Int32Array.from(train.keys());
  for (let c = 0; c < classes; c++) {
    w.fill(0);
    alpha.fill(0);
    let b = 0;
    for (let epoch = 0; epoch < options.maxEpochs; epoch++) {
      shuffleInPlace(order, random);
      let maxGradient = -Infinity;
      let minGradient = Infinity;
      for (const i of order) {
        const { rows, weights: values, label } = train[i]!;
        const y = label === c ? 1 : -1;
        let score = b;
        for (let k = 0; k < rows.length; k++) score += w[rows[k]!]! * values[k]!;
        const gradient = y * score - 1 + diagonal * alpha[i]!;
        const projected = alpha[i]! > 0 ? gradient : Math.min(gradient, 0);
        maxGradient = Math.max(maxGradient, projected);
        minGradient = Math.min(minGradient, projected);
        if (projected === 0) continue;
        const previous = alpha[i]!;
        alpha[i] = Math.max(previous - gradient / (squaredNorms[i]! + diagonal), 0);
        const step = (alpha[i]! - previous) * y;
        for (let k = 0; k < rows.length; k++) w[rows[k]!]! += step * values[k]!;
        b += step;
      }
      if (maxGradient - minGradient < 0.1) break;
    }
    for (let v = 0; v < vocabulary; v++) weights[v * classes + c] = w[v]!;
    bias[c] = b;
  }
  return { weights, bias };
}

/** The network with `linear`'s scores times `scale` added to its logits (the wide path). */
export function withLinearPath(network: NetworkWeights, linear: LinearModel, scale: number): NetworkWeights {
  const combined = cloneWeights(network);
  if (scale === 0) return combined;
  combined.linear = Float32Array.from(linear.weights, (weight) => weight * scale);
  for (let c = 0; c < combined.outputBias.length; c++) combined.outputBias[c]! += linear.bias[c]! * scale;
  return combined;
}

/** In-scope validation accuracy and loss of `weights` (for choosing the wide path's scale). */
export function validationAccuracy(weights: NetworkWeights, examples: readonly EncodedExample[]): { accuracy: number; loss: number } {
  return validationScore(weights, examples);
}
