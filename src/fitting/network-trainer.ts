// Mini-batch training of the intent network with hand-written backpropagation on Float32Arrays.
// Dense layers use AdamW; the embedding table is sparse (a batch touches a few thousand of its
// rows), so it uses row-wise AdaGrad on the touched rows only, which keeps an epoch over
// BANKING77 at a couple of seconds on one core.
import { argmax, createActivations, forwardActivations, softmax, type NetworkShape, type NetworkWeights } from '../nlu/network.ts';
import { createRandom, normalDeviate, shuffleInPlace } from './random.ts';

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

function initialWeights(shape: NetworkShape, rowOfBucket: Int32Array, random: () => number, hp: Hyperparameters, projectionSeed: number): NetworkWeights {
  const gaussian = (length: number, std: number) => Float32Array.from({ length }, () => normalDeviate(random) * std);
  return {
    shape,
    sentenceLexicalWeight: hp.sentenceLexicalWeight,
    rowOfBucket,
    // Unit-variance bag at the start: the input is an L2-normalized TF-IDF vector.
    embedding: gaussian(shape.vocabulary * shape.embedding, 1 / Math.sqrt(shape.embedding)),
    hiddenWeight: gaussian(shape.embedding * shape.hidden, Math.sqrt(2 / shape.embedding)),
    hiddenBias: new Float32Array(shape.hidden),
    outputWeight: gaussian(shape.hidden * shape.classes, Math.sqrt(1 / shape.hidden)),
    outputBias: new Float32Array(shape.classes),
    linear: new Float32Array(0),
    projection: randomProjection(shape.vocabulary * shape.projection, projectionSeed),
  };
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

/** Gradients of the rows of a sparse table that one mini-batch touched. */
class SparseRows {
  readonly touchedRows: number[] = [];
  private readonly slotOfRow: Int32Array;
  private rowGradients: Float32Array;

  constructor(
    readonly width: number,
    rows: number,
  ) {
    this.slotOfRow = new Int32Array(rows).fill(-1);
    this.rowGradients = new Float32Array(1024 * width);
  }

  /** Offset of `row`'s gradient in `rows`, allocating a zeroed slot on first touch. */
  rowOffset(row: number): number {
    let slot = this.slotOfRow[row]!;
    if (slot < 0) {
      slot = this.touchedRows.length;
      this.slotOfRow[row] = slot;
      this.touchedRows.push(row);
      const needed = (slot + 1) * this.width;
      if (needed > this.rowGradients.length) {
        const grown = new Float32Array(this.rowGradients.length * 2);
        grown.set(this.rowGradients);
        this.rowGradients = grown;
      }
      this.rowGradients.fill(0, slot * this.width, needed);
    }
    return slot * this.width;
  }

  get rows(): Float32Array {
    return this.rowGradients;
  }

  reset(): void {
    for (const row of this.touchedRows) this.slotOfRow[row] = -1;
    this.touchedRows.length = 0;
  }
}

/** Gradients of one mini-batch; the sparse tables only for the rows the batch touched. */
class BatchGradients {
  readonly hiddenWeight: Float32Array;
  readonly hiddenBias: Float32Array;
  readonly outputWeight: Float32Array;
  readonly outputBias: Float32Array;
  readonly embedding: SparseRows;

  constructor(shape: NetworkShape) {
    this.hiddenWeight = new Float32Array(shape.embedding * shape.hidden);
    this.hiddenBias = new Float32Array(shape.hidden);
    this.outputWeight = new Float32Array(shape.hidden * shape.classes);
    this.outputBias = new Float32Array(shape.classes);
    this.embedding = new SparseRows(shape.embedding, shape.vocabulary);
  }

  reset(): void {
    this.hiddenWeight.fill(0);
    this.hiddenBias.fill(0);
    this.outputWeight.fill(0);
    this.outputBias.fill(0);
    this.embedding.reset();
  }
}

/**
 * Row-wise AdaGrad: one accumulator per table row (the mean squared gradient of the row), with
 * optional decoupled weight decay of the rows a batch touches.
 */
class RowAdaGrad {
  private readonly accumulator: Float32Array;
  constructor(
    private readonly table: Float32Array,
    private readonly width: number,
    rows: number,
    private readonly learningRate: number,
    private readonly decay = 0,
  ) {
    this.accumulator = new Float32Array(rows);
  }

  update(gradients: SparseRows, gradientScale: number): void {
    const { table, width, accumulator, learningRate, decay } = this;
    const rowGradients = gradients.rows;
    const touched = gradients.touchedRows;
    const keep = 1 - decay;
    // A plain loop, not forEach: this runs for every touched row of every batch (a hot path).
    for (let slot = 0; slot < touched.length; slot++) {
      const row = touched[slot]!;
      const gradientOffset = slot * width;
      let squared = 0;
      for (let d = 0; d < width; d++) {
        const g = rowGradients[gradientOffset + d]! * gradientScale;
        squared += g * g;
      }
      accumulator[row]! += squared / width;
      const step = learningRate / (Math.sqrt(accumulator[row]!) + 1e-8);
      const tableOffset = row * width;
      for (let d = 0; d < width; d++) table[tableOffset + d] = table[tableOffset + d]! * keep - step * rowGradients[gradientOffset + d]! * gradientScale;
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

/**
 * Running mean of the weights at the end of each epoch (stochastic weight averaging): the mean of
 * points along the trajectory generalizes better than any one of them.
 */
class WeightAverage {
  private readonly sum: NetworkWeights;
  private count = 0;
  constructor(template: NetworkWeights) {
    this.sum = cloneWeights(template);
  }

  private static parts(weights: NetworkWeights): Float32Array[] {
    return [weights.embedding, weights.hiddenWeight, weights.hiddenBias, weights.outputWeight, weights.outputBias, weights.linear];
  }

  add(weights: NetworkWeights): void {
    const sums = WeightAverage.parts(this.sum);
    const values = WeightAverage.parts(weights);
    sums.forEach((sum, part) => {
      const value = values[part]!;
      if (this.count === 0) sum.set(value);
      else for (let i = 0; i < sum.length; i++) sum[i]! += value[i]!;
    });
    this.count++;
  }

  mean(): NetworkWeights {
    const mean = cloneWeights(this.sum);
    for (const part of WeightAverage.parts(mean)) for (let i = 0; i < part.length; i++) part[i]! /= this.count;
    return mean;
  }
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

export function trainNetwork(options: {
  train: readonly EncodedExample[];
  validation: readonly EncodedExample[];
  shape: NetworkShape;
  rowOfBucket: Int32Array;
  hyperparameters: Hyperparameters;
  seed: number;
  onEpoch?: (report: EpochReport) => void;
}): TrainedNetwork {
  const { train, validation, shape, hyperparameters: hp, seed } = options;
  const random = createRandom(seed);
  const weights = initialWeights(shape, options.rowOfBucket, random, hp, seed);
  const optimizers = {
    hiddenWeight: new AdamW(weights.hiddenWeight, hp.denseLearningRate, hp.weightDecay),
    hiddenBias: new AdamW(weights.hiddenBias, hp.denseLearningRate, 0),
    outputWeight: new AdamW(weights.outputWeight, hp.denseLearningRate, hp.weightDecay),
    outputBias: new AdamW(weights.outputBias, hp.denseLearningRate, 0),
    embedding: new RowAdaGrad(weights.embedding, shape.embedding, shape.vocabulary, hp.embeddingLearningRate),
  };
  const gradients = new BatchGradients(shape);
  const activations = createActivations(shape);
  const probabilities = new Float32Array(shape.classes);
  const outputGradient = new Float32Array(shape.classes);
  const hiddenGradient = new Float32Array(shape.hidden);
  const bagGradient = new Float32Array(shape.embedding);
  const hiddenMask = new Float32Array(shape.hidden);
  const activeUnits = new Int32Array(shape.hidden);
  const keptRows: number[] = [];
  const keptWeights: number[] = [];
  const order = Int32Array.from(train.keys());

  const averaged = new WeightAverage(weights);
  let best = { score: -Infinity, loss: Infinity, epoch: 0, weights: cloneWeights(weights) };
  let epoch = 0;
  while (epoch < hp.maxEpochs && epoch - best.epoch < hp.patience) {
    epoch++;
    shuffleInPlace(order, random);
    let trainLoss = 0;
    for (let start = 0; start < order.length; start += hp.batchSize) {
      const end = Math.min(start + hp.batchSize, order.length);
      for (let position = start; position < end; position++) {
        const example = train[order[position]!]!;
        trainLoss += backpropagate(example);
      }
      const scale = 1 / (end - start);
      optimizers.hiddenWeight.update(gradients.hiddenWeight, scale);
      optimizers.hiddenBias.update(gradients.hiddenBias, scale);
      optimizers.outputWeight.update(gradients.outputWeight, scale);
      optimizers.outputBias.update(gradients.outputBias, scale);
      optimizers.embedding.update(gradients.embedding, scale);
      gradients.reset();
    }
    averaged.add(weights);
    const candidate = averaged.mean();
    const score = validationScore(candidate, validation);
    options.onEpoch?.({ epoch, maxEpochs: hp.maxEpochs, trainLoss: trainLoss / train.length, validationAccuracy: score.accuracy, validationLoss: score.loss });
    const better = score.accuracy > best.score || (score.accuracy === best.score && score.loss < best.loss);
    if (better) best = { score: score.accuracy, loss: score.loss, epoch, weights: candidate };
  }
  return { weights: best.weights, bestEpoch: best.epoch, epochsRun: epoch };

  /** Forward and backward pass of one example, accumulating into `gradients`; returns its loss. */
  function backpropagate(example: EncodedExample): number {
    const { embedding: width, hidden: hiddenWidth, classes } = shape;
    // Feature dropout, then renormalize so the bag keeps the scale of a unit TF-IDF vector.
    keptRows.length = 0;
    keptWeights.length = 0;
    let squaredNorm = 0;
    for (let k = 0; k < example.rows.length; k++) {
      if (hp.featureDropout > 0 && random() < hp.featureDropout) continue;
      keptRows.push(example.rows[k]!);
      keptWeights.push(example.weights[k]!);
      squaredNorm += example.weights[k]! ** 2;
    }
    const norm = squaredNorm > 0 ? 1 / Math.sqrt(squaredNorm) : 0;
    for (let k = 0; k < keptWeights.length; k++) keptWeights[k]! *= norm;

    for (let h = 0; h < hiddenWidth; h++) hiddenMask[h] = random() < hp.hiddenDropout ? 0 : 1 / (1 - hp.hiddenDropout);
    forwardActivations(weights, keptRows, keptWeights, activations, hiddenMask);
    softmax(activations.logits, 1, probabilities);

    // d(cross-entropy)/d(logits) = p - target; out-of-scope rows aim at the uniform distribution.
    let loss = 0;
    for (let c = 0; c < classes; c++) {
      const target =
        example.label < 0 ? 1 / classes : (c === example.label ? 1 - hp.labelSmoothing : 0) + hp.labelSmoothing / classes;
      outputGradient[c] = probabilities[c]! - target;
      if (target > 0) loss -= target * Math.log(Math.max(probabilities[c]!, 1e-12));
    }
    const { hidden, bag } = activations;
    // Local references: the loops below are the hot path of training.
    const outputWeight = weights.outputWeight;
    const outputWeightGradient = gradients.outputWeight;
    const hiddenWeight = weights.hiddenWeight;
    const hiddenWeightGradient = gradients.hiddenWeight;
    for (let c = 0; c < classes; c++) gradients.outputBias[c]! += outputGradient[c]!;
    for (let h = 0; h < hiddenWidth; h++) {
      const value = hidden[h]!;
      if (value === 0) {
        hiddenGradient[h] = 0;
        continue;
      }
      const offset = h * classes;
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const g = outputGradient[c]!;
        outputWeightGradient[offset + c]! += value * g;
        sum += outputWeight[offset + c]! * g;
      }
      // ReLU passes the gradient where the unit was active; dropout scales it like the forward pass.
      hiddenGradient[h] = sum * hiddenMask[h]!;
    }
    // Only active units carry gradient (ReLU and dropout zero the rest): visit just those.
    let activeCount = 0;
    for (let h = 0; h < hiddenWidth; h++) {
      if (hiddenGradient[h] === 0) continue;
      gradients.hiddenBias[h]! += hiddenGradient[h]!;
      activeUnits[activeCount++] = h;
    }
    for (let d = 0; d < width; d++) {
      const offset = d * hiddenWidth;
      const input = bag[d]!;
      let sum = 0;
      for (let a = 0; a < activeCount; a++) {
        const h = activeUnits[a]!;
        const g = hiddenGradient[h]!;
        hiddenWeightGradient[offset + h]! += input * g;
        sum += hiddenWeight[offset + h]! * g;
      }
      bagGradient[d] = sum;
    }
    const embeddingGradients = gradients.embedding;
    for (let k = 0; k < keptRows.length; k++) {
      const offset = embeddingGradients.rowOffset(keptRows[k]!);
      // Read after rowOffset: allocating a slot may have grown the buffer.
      const rowGradients = embeddingGradients.rows;
      const weight = keptWeights[k]!;
      for (let d = 0; d < width; d++) rowGradients[offset + d]! += weight * bagGradient[d]!;
    }
    return loss;
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
