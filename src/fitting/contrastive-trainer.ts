// Self-supervised training of an n-gram embedding table on unlabelled texts (SimCSE-style): two
// views of each message of a batch (independent n-gram dropout, the kept weights renormalized as in
// the supervised trainer) are a positive pair, the other messages' views the negatives, with the
// symmetric InfoNCE loss on the cosine of the bags. With `partners` the second view is of a
// neighbouring message instead (as in neighbour-contrastive clustering), which teaches more. A
// text's vector is the TF-IDF-weighted sum of its rows (the network's embedding bag), so the result
// is a learned linear map of the TF-IDF vector, like LSA, which is a good starting table. The bag,
// the scatter of its gradient to the rows and the row-wise AdaGrad step are the supervised
// trainer's SIMD kernels. Deterministic for a seed.
import { createRandom, shuffleInPlace } from './random.ts';
import { instantiateKernels } from './simd-kernels.ts';
import { inSharedMemory, resetRows, rowSlot, type RowGradients } from './training-kernel.ts';

/** Texts as compressed sparse rows: text i has columns column[rowStart[i]..rowStart[i+1]). */
export interface SparseTexts {
  rows: number;
  columns: number;
  rowStart: Int32Array;
  column: Int32Array;
  value: Float32Array;
}

export interface ContrastiveOptions {
  /** Width of a row (a multiple of 4 keeps the kernels on whole vectors). */
  width: number;
  /** The starting table, [columns, width]; unset: uniform, unit variance per bag dimension. */
  initial?: Float32Array;
  epochs?: number;
  batchSize?: number;
  /**
   * Probability of dropping each n-gram of a view. High (0.9): with fewer, two views of a message
   * share so many character n-grams that telling them apart is trivial and nothing is learned
   * (measured on BANKING77).
   */
  featureDropout?: number;
  /** Softmax temperature of the cosines. */
  temperature?: number;
  learningRate?: number;
  /**
   * Candidate partners of each text, [rows, k] (e.g. its nearest neighbours): the second view of a
   * text is then, with probability `partnerShare`, a view of one of them drawn at random.
   */
  partners?: { k: number; index: Int32Array };
  partnerShare?: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

export const DEFAULT_CONTRASTIVE = {
  epochs: 10,
  batchSize: 64,
  featureDropout: 0.9,
  temperature: 0.3,
  learningRate: 0.02,
  partnerShare: 1,
};

/** The trained table, [columns, width]. */
export function trainContrastive(texts: SparseTexts, opts: ContrastiveOptions): Float32Array<ArrayBuffer> {
  const options = { ...DEFAULT_CONTRASTIVE, ...opts };
  const { width, batchSize, temperature, partners, partnerShare } = options;
  const views = 2 * batchSize;
  let longest = 0;
  for (let i = 0; i < texts.rows; i++) longest = Math.max(longest, texts.rowStart[i + 1]! - texts.rowStart[i]!);
  const capacity = Math.max(1, Math.min(texts.columns, views * longest));
  const { value: state, memory } = inSharedMemory((alloc) => {
    const slotOfRow = alloc.int32(texts.columns);
    slotOfRow.fill(-1);
    const gradients: RowGradients = { slotOfRow, touched: alloc.int32(capacity), touchedCount: alloc.int32(1), rowGradients: alloc.float32(capacity * width) };
    return {
      table: alloc.float32(texts.columns * width),
      adagrad: alloc.float32(texts.columns),
      gradients,
      keptRows: alloc.int32(views * longest),
      keptWeights: alloc.float32(views * longest),
      addresses: alloc.int32(views * longest),
      bags: alloc.float32(views * width),
      bagGradients: alloc.float32(views * width),
    };
  });
  const simd = instantiateKernels(memory);
  const random = createRandom(options.seed ^ 0xc0a715e);
  const { table, adagrad, gradients, keptRows, keptWeights, addresses, bags, bagGradients } = state;
  if (options.initial) table.set(options.initial);
  else for (let i = 0; i < table.length; i++) table[i] = (random() - 0.5) * 2 * Math.sqrt(3 / width);

  const keptOffsets = new Int32Array(views + 1);
  const norms = new Float64Array(views);
  const similarities = new Float64Array(batchSize * batchSize);
  const gradient = new Float64Array(batchSize * batchSize);
  const order = Int32Array.from({ length: texts.rows }, (_, i) => i);
  const keep = 1 - options.featureDropout;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffleInPlace(order, random);
    let epochLoss = 0;
    for (let start = 0; start + 1 < texts.rows; start += batchSize) {
      const count = Math.min(batchSize, texts.rows - start);
      if (count < 2) break;
      // Views v = 2i and 2i + 1 of message order[start + i]: dropout, renormalized, bagged, unit length.
      let kept = 0;
      for (let v = 0; v < 2 * count; v++) {
        let message = order[start + (v >> 1)]!;
        if ((v & 1) === 1 && partners && random() < partnerShare) message = partners.index[message * partners.k + Math.floor(random() * partners.k)]!;
        const from = texts.rowStart[message]!;
        const to = texts.rowStart[message + 1]!;
        const begin = kept;
        let squared = 0;
        for (let k = from; k < to; k++) {
          if (random() >= keep) continue;
          keptRows[kept] = texts.column[k]!;
          keptWeights[kept] = texts.value[k]!;
          squared += texts.value[k]! * texts.value[k]!;
          kept++;
        }
        const scale = squared > 0 ? 1 / Math.sqrt(squared) : 0;
        for (let k = begin; k < kept; k++) keptWeights[k] = keptWeights[k]! * scale;
        keptOffsets[v + 1] = kept;
        simd.bag(width, table.byteOffset, keptRows.byteOffset + begin * 4, keptWeights.byteOffset + begin * 4, kept - begin, bags.byteOffset + v * width * 4);
        const norm = Math.sqrt(simd.dot(width, bags.byteOffset + v * width * 4, bags.byteOffset + v * width * 4));
        norms[v] = norm;
        const unit = norm > 0 ? 1 / norm : 0;
        for (let t = v * width; t < (v + 1) * width; t++) bags[t] = bags[t]! * unit;
      }
      // S[i, j] = cos(view 0 of i, view 1 of j) / τ; the loss is the cross-entropy of the diagonal
      // along rows and along columns, G = ½ (softmax by row + softmax by column) − I its gradient.
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < count; j++) similarities[i * count + j] = simd.dot(width, bags.byteOffset + 2 * i * width * 4, bags.byteOffset + (2 * j + 1) * width * 4) / temperature;
      }
      gradient.fill(0, 0, count * count);
      for (let axis = 0; axis < 2; axis++) {
        for (let a = 0; a < count; a++) {
          const at = (b: number) => (axis === 0 ? a * count + b : b * count + a);
          let max = -Infinity;
          for (let b = 0; b < count; b++) max = Math.max(max, similarities[at(b)]!);
          let sum = 0;
          for (let b = 0; b < count; b++) sum += Math.exp(similarities[at(b)]! - max);
          epochLoss += (max + Math.log(sum) - similarities[at(a)]!) / 2;
          for (let b = 0; b < count; b++) gradient[at(b)]! += (Math.exp(similarities[at(b)]! - max) / sum - (a === b ? 1 : 0)) / 2;
        }
      }
      // d/d(unit view) = Σ G · (the other side's unit view) / τ, then back through the normalization:
      // (g − z (z · g)) / |bag|.
      bagGradients.fill(0, 0, 2 * count * width);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < count; j++) {
          const g = gradient[i * count + j]! / temperature;
          if (g === 0) continue;
          simd.axpy(width, g, bags.byteOffset + (2 * j + 1) * width * 4, bagGradients.byteOffset + 2 * i * width * 4);
          simd.axpy(width, g, bags.byteOffset + 2 * i * width * 4, bagGradients.byteOffset + (2 * j + 1) * width * 4);
        }
      }
      resetRows(gradients);
      for (let v = 0; v < 2 * count; v++) {
        const z = bags.byteOffset + v * width * 4;
        const g = bagGradients.byteOffset + v * width * 4;
        const along = simd.dot(width, z, g);
        simd.axpy(width, -along, z, g);
        const inverse = norms[v]! > 0 ? 1 / norms[v]! : 0;
        for (let t = v * width; t < (v + 1) * width; t++) bagGradients[t] = bagGradients[t]! * inverse;
        const begin = keptOffsets[v]!;
        const end = keptOffsets[v + 1]!;
        for (let k = begin; k < end; k++) addresses[k] = rowSlot(gradients, keptRows[k]!, width);
        simd.scatter(width, addresses.byteOffset + begin * 4, keptWeights.byteOffset + begin * 4, end - begin, g);
      }
      const rowBytes = width * 4;
      for (let slot = 0; slot < gradients.touchedCount[0]!; slot++) {
        const row = gradients.touched[slot]!;
        simd.adagradRow(width, gradients.rowGradients.byteOffset + slot * rowBytes, 0, table.byteOffset + row * rowBytes, adagrad.byteOffset + row * 4, options.learningRate, 1 / count);
      }
    }
    options.onEpoch?.(epoch, epochLoss / texts.rows);
  }
  return new Float32Array(table);
}
