// The arithmetic of one training step of the intent network, on flat typed arrays that can live in
// shared memory, so that the main thread and one worker thread (training-worker.ts) can each do half
// of every mini-batch.
//
// A mini-batch is cut into two shards (its first and second half). Each shard's forward and backward
// pass writes into that shard's own gradient buffers. The update is cut into two parts (hidden
// units and embedding rows by parity) that read both shards' gradients, always as shard 0 + shard
// 1, and write disjoint parameters. Dropout draws come from a stream seeded by (seed, epoch,
// position in the epoch), not by thread. So one thread running both shards and both parts gives
// bit-for-bit the same model as two threads running one each.
//
// The arrays live in one WebAssembly.Memory (shared between the threads), and the inner loops run
// as the SIMD kernels of simd-kernels.ts, which take byte addresses in that memory.
//
// Layouts: the hidden weight is kept transposed, [hidden, embedding], so that a hidden unit's
// weights are contiguous for the forward dot products and the backward updates; the output weight
// is [hidden, classes] as in NetworkWeights.

import { createSharedMemory, instantiateKernels, type SimdKernels } from './simd-kernels.ts';

export const SHARDS = 2;

export interface KernelShape {
  vocabulary: number;
  embedding: number;
  hidden: number;
  classes: number;
}

export interface KernelSettings {
  batchSize: number;
  featureDropout: number;
  hiddenDropout: number;
  labelSmoothing: number;
  denseLearningRate: number;
  embeddingLearningRate: number;
  weightDecay: number;
  seed: number;
}

/** The training messages in compressed sparse rows: message i has features offsets[i]..offsets[i+1]. */
export interface SparseMatrix {
  offsets: Int32Array;
  rows: Int32Array;
  values: Float32Array;
  /** Class index, or -1 for an out-of-scope message (trained towards a uniform distribution). */
  labels: Int32Array;
}

/** Gradients of the embedding rows a batch touched (also used by contrastive-trainer.ts). */
export interface RowGradients {
  /** Embedding row → slot in `rowGradients`, -1 where untouched. */
  slotOfRow: Int32Array;
  /** Slot → embedding row. */
  touched: Int32Array;
  /** [0]: slots in use. */
  touchedCount: Int32Array;
  rowGradients: Float32Array;
}

/** One shard's gradients of a mini-batch; the embedding's only for the rows the shard touched. */
export interface ShardGradients extends RowGradients {
  hiddenWeightT: Float32Array;
  hiddenBias: Float32Array;
  outputWeight: Float32Array;
  outputBias: Float32Array;
  /** [0]: summed training loss of the shard's messages since the last reset. */
  loss: Float64Array;
}

/** Everything the threads share: data, parameters, optimizer state, gradients. */
export interface KernelState {
  shape: KernelShape;
  settings: KernelSettings;
  data: SparseMatrix;
  /** The epoch's order of the training messages. */
  order: Int32Array;
  embedding: Float32Array;
  hiddenWeightT: Float32Array;
  hiddenBias: Float32Array;
  outputWeight: Float32Array;
  outputBias: Float32Array;
  /** AdamW moments of hiddenWeightT, hiddenBias, outputWeight, outputBias (first, second). */
  moments: Float32Array[];
  /** Row-wise AdaGrad accumulator of the embedding table. */
  adagrad: Float32Array;
  shards: ShardGradients[];
  /** Per shard: the buffers of its forward and backward pass. */
  scratch: ShardScratch[];
  /** The averaged weights under validation, and the validation messages. */
  evaluation: EvaluationState;
  /** The memory all arrays above live in (null while only sizing). */
  memory: WebAssembly.Memory | null;
}

/** Messages evaluated per block (the rows of one multiplication). */
export const EVALUATION_BLOCK = 16;

/**
 * Weights to evaluate (in the kernel's layouts, the output weight transposed too: [classes,
 * hidden]) and the validation messages with their buffers.
 */
export interface EvaluationState {
  embedding: Float32Array;
  hiddenWeightT: Float32Array;
  hiddenBias: Float32Array;
  outputWeightT: Float32Array;
  outputBias: Float32Array;
  data: SparseMatrix;
  bag: Float32Array;
  hidden: Float32Array;
  logits: Float32Array;
}

export function createEvaluationState(shape: KernelShape, data: SparseMatrix, alloc: Allocator): EvaluationState {
  return {
    embedding: alloc.float32(shape.vocabulary * shape.embedding),
    hiddenWeightT: alloc.float32(shape.hidden * shape.embedding),
    hiddenBias: alloc.float32(shape.hidden),
    outputWeightT: alloc.float32(shape.classes * shape.hidden),
    outputBias: alloc.float32(shape.classes),
    data,
    bag: alloc.float32(EVALUATION_BLOCK * shape.embedding),
    hidden: alloc.float32(EVALUATION_BLOCK * shape.hidden),
    logits: alloc.float32(EVALUATION_BLOCK * shape.classes),
  };
}

/** Working buffers of one shard's forward and backward pass. */
export interface ShardScratch {
  /** [batch share, embedding] */
  bag: Float32Array;
  /** [batch share, hidden]: after ReLU and dropout. */
  hidden: Float32Array;
  /** [classes]: the logits, then d(loss)/d(logits). */
  logits: Float32Array;
  bagGradient: Float32Array;
  activeUnits: Int32Array;
  /** Kept features (after feature dropout) of the shard's messages, and their offsets. */
  keptOffsets: Int32Array;
  keptRows: Int32Array;
  keptWeights: Float32Array;
  /** Per kept feature: the byte address of its row's gradient. */
  gradientAddresses: Int32Array;
}

/** Typed-array allocation inside the kernels' memory. */
export interface Allocator {
  float32(length: number): Float32Array;
  int32(length: number): Int32Array;
  float64(length: number): Float64Array;
}

/** Bump allocation, 16-byte aligned, from byte 64 on; without a buffer it only counts the bytes. */
export class MemoryAllocator implements Allocator {
  private next = 64;
  constructor(private readonly buffer: ArrayBufferLike | null) {}
  get bytes(): number {
    return this.next;
  }
  private take(bytes: number): number {
    const at = this.next;
    this.next = at + Math.ceil(bytes / 16) * 16;
    return at;
  }
  float32(length: number): Float32Array {
    const at = this.take(length * 4);
    return this.buffer ? new Float32Array(this.buffer, at, length) : new Float32Array(0);
  }
  int32(length: number): Int32Array {
    const at = this.take(length * 4);
    return this.buffer ? new Int32Array(this.buffer, at, length) : new Int32Array(0);
  }
  float64(length: number): Float64Array {
    const at = this.take(length * 8);
    return this.buffer ? new Float64Array(this.buffer, at, length) : new Float64Array(0);
  }
}

/**
 * Lays out `allocate`'s arrays in a shared WebAssembly memory of just the size they need:
 * a sizing pass with a counting allocator, then the real one.
 */
export function inSharedMemory<T>(allocate: (alloc: Allocator) => T): { value: T; memory: WebAssembly.Memory } {
  const sizing = new MemoryAllocator(null);
  allocate(sizing);
  const memory = createSharedMemory(sizing.bytes);
  return { value: allocate(new MemoryAllocator(memory.buffer)), memory };
}

/**
 * Messages as one compressed sparse matrix (only sizes while sizing); features without an
 * embedding row (row < 0) are left out, as the network's forward pass skips them.
 */
function toSparseMatrix(examples: readonly MessageFeatures[], alloc: Allocator): SparseMatrix {
  let features = 0;
  for (const example of examples) for (const row of example.rows) if (row >= 0) features++;
  const matrix = { offsets: alloc.int32(examples.length + 1), rows: alloc.int32(features), values: alloc.float32(features), labels: alloc.int32(examples.length) };
  if (matrix.offsets.length === 0) return matrix;
  let at = 0;
  examples.forEach((example, i) => {
    for (let k = 0; k < example.rows.length; k++) {
      if (example.rows[k]! < 0) continue;
      matrix.rows[at] = example.rows[k]!;
      matrix.values[at] = example.weights[k]!;
      at++;
    }
    matrix.offsets[i + 1] = at;
    matrix.labels[i] = example.label;
  });
  return matrix;
}

/** One message as embedding rows with their TF-IDF weights and its class (-1: out of scope). */
export interface MessageFeatures {
  rows: Int32Array;
  weights: Float32Array;
  label: number;
}

/**
 * The whole training state for `train` (and `validation`, for evaluate) in one shared memory,
 * parameters zero: the caller draws the initial weights.
 */
export function createKernelState(shape: KernelShape, settings: KernelSettings, train: readonly MessageFeatures[], validation: readonly MessageFeatures[]): KernelState {
  const longest = train.reduce((most, example) => Math.max(most, example.rows.length), 0);
  const denseSizes = [shape.hidden * shape.embedding, shape.hidden, shape.hidden * shape.classes, shape.classes];
  const { value: state, memory } = inSharedMemory((alloc): KernelState => ({
    shape,
    settings,
    data: toSparseMatrix(train, alloc),
    order: alloc.int32(train.length),
    embedding: alloc.float32(shape.vocabulary * shape.embedding),
    hiddenWeightT: alloc.float32(denseSizes[0]!),
    hiddenBias: alloc.float32(denseSizes[1]!),
    outputWeight: alloc.float32(denseSizes[2]!),
    outputBias: alloc.float32(denseSizes[3]!),
    moments: denseSizes.flatMap((size) => [alloc.float32(size), alloc.float32(size)]),
    adagrad: alloc.float32(shape.vocabulary),
    shards: Array.from({ length: SHARDS }, () => createShardGradients(shape, settings, longest, alloc)),
    scratch: Array.from({ length: SHARDS }, () => createShardScratch(shape, settings, longest, alloc)),
    evaluation: createEvaluationState(shape, toSparseMatrix(validation, alloc), alloc),
    memory: null,
  }));
  state.memory = memory;
  for (let i = 0; i < train.length; i++) state.order[i] = i;
  return state;
}

export function createShardGradients(shape: KernelShape, settings: KernelSettings, longestRow: number, alloc: Allocator): ShardGradients {
  const capacity = Math.max(1, Math.min(shape.vocabulary, Math.ceil(settings.batchSize / SHARDS) * longestRow));
  const slotOfRow = alloc.int32(shape.vocabulary);
  slotOfRow.fill(-1);
  return {
    hiddenWeightT: alloc.float32(shape.hidden * shape.embedding),
    hiddenBias: alloc.float32(shape.hidden),
    outputWeight: alloc.float32(shape.hidden * shape.classes),
    outputBias: alloc.float32(shape.classes),
    slotOfRow,
    touched: alloc.int32(capacity),
    touchedCount: alloc.int32(1),
    rowGradients: alloc.float32(capacity * shape.embedding),
    loss: alloc.float64(1),
  };
}

export function createShardScratch(shape: KernelShape, settings: KernelSettings, longestRow: number, alloc: Allocator): ShardScratch {
  const capacity = Math.ceil(settings.batchSize / SHARDS);
  return {
    bag: alloc.float32(capacity * shape.embedding),
    hidden: alloc.float32(capacity * shape.hidden),
    logits: alloc.float32(shape.classes),
    bagGradient: alloc.float32(shape.embedding),
    activeUnits: alloc.int32(shape.hidden),
    keptOffsets: alloc.int32(capacity + 1),
    keptRows: alloc.int32(capacity * longestRow),
    keptWeights: alloc.float32(capacity * longestRow),
    gradientAddresses: alloc.int32(capacity * longestRow),
  };
}

/** murmur3's finalizer: a well-mixed 32-bit value of a 32-bit input. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32 (the generator of random.ts) as an object whose state can be set per message. */
class Stream {
  private state = 0;
  /** Starts the stream of one message's draws of one kind (`salt`). */
  reseed(seed: number, salt: number, epoch: number, position: number): void {
    this.state = mix32(mix32(mix32(seed ^ salt) ^ epoch) ^ position);
  }
  /** 32 random bits; training uses them as two 16-bit draws. */
  nextBits(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

/** Salts of the two kinds of dropout draws. */
const FEATURE_DRAWS = 0x5bd1e995;
const UNIT_DRAWS = 0x68e31da4;

/** A probability as a threshold on 16-bit draws: a draw below it is a hit. */
const threshold16 = (probability: number) => Math.round(Math.min(Math.max(probability, 0), 1) * 65536);

/** The first and last-plus-one batch positions of `shard` in the batch [start, end). */
export function shardRange(start: number, end: number, shard: number): [number, number] {
  const middle = start + Math.ceil((end - start) / 2);
  return shard === 0 ? [start, middle] : [middle, end];
}

/**
 * One thread's view of the state. `gradients` runs one shard of a batch; `update` runs one part of
 * the optimizer step.
 */
export class Kernel {
  private readonly stream = new Stream();
  private readonly simd: SimdKernels;
  private readonly shardCapacity: number;

  constructor(readonly state: KernelState) {
    if (!state.memory) throw new Error('the training state has no memory');
    this.simd = instantiateKernels(state.memory);
    this.shardCapacity = Math.ceil(state.settings.batchSize / SHARDS);
  }

  /**
   * Forward and backward pass of `shard` of the batch at positions [start, end) of `order`:
   * overwrites the shard's gradients and adds its loss.
   */
  gradients(shard: number, start: number, end: number, epoch: number): void {
    const { shape, settings, data, order } = this.state;
    const gradients = this.state.shards[shard]!;
    const scratch = this.state.scratch[shard]!;
    const { embedding: width, hidden: hiddenWidth, classes } = shape;
    const [first, last] = shardRange(start, end, shard);
    const count = last - first;
    if (count > this.shardCapacity) throw new Error(`shard of ${count} messages exceeds the batch size`);
    resetShard(gradients);
    if (count <= 0) return;

    const { simd, stream } = this;
    const { bag, hidden, logits, bagGradient, activeUnits, keptOffsets, keptRows, keptWeights, gradientAddresses } = scratch;
    const table = this.state.embedding;
    const { hiddenDropout, labelSmoothing } = settings;
    const keepScale = 1 / (1 - hiddenDropout);
    const featureDrop = threshold16(settings.featureDropout);
    const unitDrop = threshold16(hiddenDropout);

    // Per message: feature dropout (the kept weights renormalized to unit length) and the bag.
    keptOffsets[0] = 0;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const position = first + i;
      stream.reseed(settings.seed, FEATURE_DRAWS, epoch, position);
      const message = order[position]!;
      const from = data.offsets[message]!;
      const to = data.offsets[message + 1]!;
      const begin = kept;
      let squaredNorm = 0;
      let bits = 0;
      for (let k = from; k < to; k++) {
        // Two 16-bit draws per 32 random bits.
        const draw = ((k - from) & 1) === 0 ? (bits = stream.nextBits()) & 0xffff : bits >>> 16;
        if (draw < featureDrop) continue;
        const weight = data.values[k]!;
        keptRows[kept] = data.rows[k]!;
        keptWeights[kept] = weight;
        squaredNorm += weight * weight;
        kept++;
      }
      keptOffsets[i + 1] = kept;
      const norm = squaredNorm > 0 ? 1 / Math.sqrt(squaredNorm) : 0;
      for (let k = begin; k < kept; k++) keptWeights[k] = keptWeights[k]! * norm;
      simd.bag(width, table.byteOffset, keptRows.byteOffset + begin * 4, keptWeights.byteOffset + begin * 4, kept - begin, bag.byteOffset + i * width * 4);
    }

    // bag · W1 + b1 for the whole shard at once; ReLU and dropout per message below.
    this.hiddenLayer(scratch, count);

    const { outputWeight, outputBias, hiddenWeightT } = this.state;
    const outputBiasGradient = gradients.outputBias;
    let loss = 0;
    for (let i = 0; i < count; i++) {
      const hiddenOffset = i * hiddenWidth;
      // ReLU and hidden dropout (scaled by 1 / keep), listing the units that stay active: the rest
      // are zero, and the logits and the backward pass visit only these.
      stream.reseed(settings.seed, UNIT_DRAWS, epoch, first + i);
      let active = 0;
      let bits = 0;
      for (let h = 0; h < hiddenWidth; h++) {
        const draw = (h & 1) === 0 ? (bits = stream.nextBits()) & 0xffff : bits >>> 16;
        const value = hidden[hiddenOffset + h]!;
        if (value > 0 && draw >= unitDrop) {
          hidden[hiddenOffset + h] = value * keepScale;
          activeUnits[active++] = h;
        } else hidden[hiddenOffset + h] = 0;
      }
      logits.set(outputBias);
      simd.logits(active, activeUnits.byteOffset, hidden.byteOffset + hiddenOffset * 4, classes, outputWeight.byteOffset, logits.byteOffset);
      // Softmax, and d(cross-entropy)/d(logits) = p − target, written over the logits. The targets
      // sum to 1, so the loss is logsumexp(z) − Σ_c target_c · z_c: one logarithm per message.
      const label = data.labels[order[first + i]!]!;
      let max = -Infinity;
      let logitSum = 0;
      for (let c = 0; c < classes; c++) {
        const value = logits[c]!;
        logitSum += value;
        if (value > max) max = value;
      }
      const labelLogit = label < 0 ? 0 : logits[label]!;
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const value = Math.exp(logits[c]! - max);
        logits[c] = value;
        sum += value;
      }
      const spread = label < 0 ? 1 / classes : labelSmoothing / classes;
      loss += max + Math.log(sum) - spread * logitSum - (label < 0 ? 0 : (1 - labelSmoothing) * labelLogit);
      for (let c = 0; c < classes; c++) {
        const target = c === label ? 1 - labelSmoothing + spread : spread;
        logits[c] = logits[c]! / sum - target;
        outputBiasGradient[c] = outputBiasGradient[c]! + logits[c]!;
      }
      // Back through the output layer and the hidden layer, active units only.
      bagGradient.fill(0);
      simd.backward(
        active, activeUnits.byteOffset, hidden.byteOffset + hiddenOffset * 4, keepScale, logits.byteOffset, classes,
        outputWeight.byteOffset, gradients.outputWeight.byteOffset, width, bag.byteOffset + i * width * 4, hiddenWeightT.byteOffset,
        gradients.hiddenWeightT.byteOffset, gradients.hiddenBias.byteOffset, bagGradient.byteOffset,
      );
      // The bag's gradient goes to each kept row, times its weight.
      const begin = keptOffsets[i]!;
      const end = keptOffsets[i + 1]!;
      for (let k = begin; k < end; k++) gradientAddresses[k] = rowSlot(gradients, keptRows[k]!, width);
      simd.scatter(width, gradientAddresses.byteOffset + begin * 4, keptWeights.byteOffset + begin * 4, end - begin, bagGradient.byteOffset);
    }
    gradients.loss[0] = gradients.loss[0]! + loss;
  }

  /** hidden[i, h] = bag[i] · W1ᵀ[h] + b1[h] for the shard's `count` messages (before ReLU). */
  private hiddenLayer(scratch: ShardScratch, count: number): void {
    const { embedding: width, hidden: hiddenWidth } = this.state.shape;
    this.multiply(scratch.bag, count, this.state.hiddenWeightT, hiddenWidth, width, this.state.hiddenBias, scratch.hidden);
  }

  /** out[i, j] = a[i] · b[j] + bias[j]: whole blocks by the SIMD kernel, the edges by dot. */
  private multiply(a: Float32Array, rows: number, b: Float32Array, columns: number, depth: number, bias: Float32Array, out: Float32Array): void {
    const blockRows = depth % 4 === 0 ? rows - (rows % 4) : 0;
    const blockColumns = columns - (columns % 2);
    if (blockRows > 0 && blockColumns > 0) this.simd.multiply(a.byteOffset, blockRows, b.byteOffset, columns, depth, bias.byteOffset, out.byteOffset);
    for (let i = 0; i < rows; i++) {
      const fromColumn = i < blockRows ? blockColumns : 0;
      for (let j = fromColumn; j < columns; j++) out[i * columns + j] = this.simd.dot(depth, a.byteOffset + i * depth * 4, b.byteOffset + j * depth * 4) + bias[j]!;
    }
  }

  /**
   * In-scope accuracy and mean cross-entropy at temperature 1 of the weights in `evaluation` on its
   * messages (out-of-scope ones are left out); accuracy 0 without in-scope messages.
   */
  evaluate(): { accuracy: number; loss: number } {
    const { shape } = this.state;
    const { embedding: width, hidden: hiddenWidth, classes } = shape;
    const evaluation = this.state.evaluation;
    const { data, bag, hidden, logits } = evaluation;
    const messages = data.labels.length;
    let right = 0;
    let loss = 0;
    let inScope = 0;
    for (let first = 0; first < messages; first += EVALUATION_BLOCK) {
      const count = Math.min(EVALUATION_BLOCK, messages - first);
      for (let i = 0; i < count; i++) {
        const from = data.offsets[first + i]!;
        const to = data.offsets[first + i + 1]!;
        this.simd.bag(width, evaluation.embedding.byteOffset, data.rows.byteOffset + from * 4, data.values.byteOffset + from * 4, to - from, bag.byteOffset + i * width * 4);
      }
      this.multiply(bag, count, evaluation.hiddenWeightT, hiddenWidth, width, evaluation.hiddenBias, hidden);
      for (let j = 0; j < count * hiddenWidth; j++) if (!(hidden[j]! > 0)) hidden[j] = 0;
      this.multiply(hidden, count, evaluation.outputWeightT, classes, hiddenWidth, evaluation.outputBias, logits);
      for (let i = 0; i < count; i++) {
        const label = data.labels[first + i]!;
        if (label < 0) continue;
        inScope++;
        const offset = i * classes;
        let best = 0;
        let max = -Infinity;
        for (let c = 0; c < classes; c++) {
          if (logits[offset + c]! > max) {
            max = logits[offset + c]!;
            best = c;
          }
        }
        if (best === label) right++;
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(logits[offset + c]! - max);
        loss -= Math.max(Math.log(Math.exp(logits[offset + label]! - max) / sum), Math.log(1e-12));
      }
    }
    return inScope === 0 ? { accuracy: 0, loss: 0 } : { accuracy: right / inScope, loss: loss / inScope };
  }

  /**
   * Part `part` of the optimizer step `step` (1-based) with the gradients of both shards times
   * `scale`: AdamW on the hidden units of its half (their input weights, bias and output weights;
   * part 0 also the output bias), row-wise AdaGrad on the embedding rows of its parity.
   */
  update(part: number, step: number, scale: number): void {
    const { shape, settings, shards, moments } = this.state;
    const [g0, g1] = [shards[0]!, shards[1]!];
    const { embedding: width, hidden: hiddenWidth, classes } = shape;
    const half = Math.ceil(hiddenWidth / 2);
    const [unitFrom, unitTo] = part === 0 ? [0, half] : [half, hiddenWidth];
    const correction1 = 1 - 0.9 ** step;
    const correction2 = 1 - 0.999 ** step;
    const lr = settings.denseLearningRate;
    const adamw = (parameters: Float32Array, first: Float32Array, second: Float32Array, gradient0: Float32Array, gradient1: Float32Array, from: number, to: number, decay: number) =>
      this.simd.adamw(to - from, parameters.byteOffset + from * 4, gradient0.byteOffset + from * 4, gradient1.byteOffset + from * 4, first.byteOffset + from * 4, second.byteOffset + from * 4, scale, lr, decay, correction1, correction2);
    adamw(this.state.hiddenWeightT, moments[0]!, moments[1]!, g0.hiddenWeightT, g1.hiddenWeightT, unitFrom * width, unitTo * width, settings.weightDecay);
    adamw(this.state.hiddenBias, moments[2]!, moments[3]!, g0.hiddenBias, g1.hiddenBias, unitFrom, unitTo, 0);
    adamw(this.state.outputWeight, moments[4]!, moments[5]!, g0.outputWeight, g1.outputWeight, unitFrom * classes, unitTo * classes, settings.weightDecay);
    if (part === 0) adamw(this.state.outputBias, moments[6]!, moments[7]!, g0.outputBias, g1.outputBias, 0, classes, 0);

    // Row-wise AdaGrad: one accumulator per row (its mean squared gradient). A row touched by both
    // shards is updated once, from shard 0's list, with the sum of both.
    const tableAddress = this.state.embedding.byteOffset;
    const accumulatorAddress = this.state.adagrad.byteOffset;
    const learningRate = settings.embeddingLearningRate;
    const rowBytes = width * 4;
    for (let s = 0; s < SHARDS; s++) {
      const own = shards[s]!;
      const ownAddress = own.rowGradients.byteOffset;
      const otherAddress = g1.rowGradients.byteOffset;
      const count = own.touchedCount[0]!;
      for (let slot = 0; slot < count; slot++) {
        const row = own.touched[slot]!;
        if ((row & 1) !== part) continue;
        if (s === 1 && g0.slotOfRow[row]! >= 0) continue;
        const otherSlot = s === 0 ? g1.slotOfRow[row]! : -1;
        this.simd.adagradRow(width, ownAddress + slot * rowBytes, otherSlot < 0 ? 0 : otherAddress + otherSlot * rowBytes, tableAddress + row * rowBytes, accumulatorAddress + row * 4, learningRate, scale);
      }
    }
  }
}

/** Byte address of `row`'s gradient in the shard's row gradients, zeroed on first touch. */
export function rowSlot(gradients: RowGradients, row: number, width: number): number {
  let slot = gradients.slotOfRow[row]!;
  if (slot < 0) {
    slot = gradients.touchedCount[0]!;
    gradients.touchedCount[0] = slot + 1;
    gradients.slotOfRow[row] = slot;
    gradients.touched[slot] = row;
    gradients.rowGradients.fill(0, slot * width, (slot + 1) * width);
  }
  return gradients.rowGradients.byteOffset + slot * width * 4;
}

function resetShard(gradients: ShardGradients): void {
  gradients.hiddenWeightT.fill(0);
  gradients.hiddenBias.fill(0);
  gradients.outputWeight.fill(0);
  gradients.outputBias.fill(0);
  resetRows(gradients);
}

/** Marks every row untouched again. */
export function resetRows(gradients: RowGradients): void {
  const count = gradients.touchedCount[0]!;
  for (let slot = 0; slot < count; slot++) gradients.slotOfRow[gradients.touched[slot]!] = -1;
  gradients.touchedCount[0] = 0;
}
