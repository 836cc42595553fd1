// The built-in intent network: an embedding bag over hashed n-gram features, one ReLU hidden
// layer, and a softmax over intents. This TypeScript forward pass is the reference that the ONNX
// graph must reproduce (see test/nlu/model.test.ts); training lives in src/fitting/train-builtin.ts.

export interface NetworkShape {
  /** Feature buckets of the featurizer (input id range). */
  buckets: number;
  /** Rows of the embedding table: one per bucket seen in training. */
  vocabulary: number;
  embedding: number;
  hidden: number;
  classes: number;
  /** Width of the fixed random projection used by the sentence vector (0: none). */
  projection: number;
}

export interface NetworkWeights {
  shape: NetworkShape;
  /**
   * Share of the sentence vector's cosine that comes from the lexical part, the random projection
   * of the TF-IDF vector (the rest from the hidden layer): the sentence vector is
   * [√w·p/|p|, √(1−w)·h/|h|], so the cosine of two sentence vectors is w·cos(p) + (1−w)·cos(h).
   * Chosen on retrieval data (bench/knowledge-retrieval.ts).
   */
  sentenceLexicalWeight: number;
  /** Bucket id → embedding row, -1 where the bucket was never seen in training. */
  rowOfBucket: Int32Array;
  /** [vocabulary, embedding] */
  embedding: Float32Array;
  /** [embedding, hidden] */
  hiddenWeight: Float32Array;
  hiddenBias: Float32Array;
  /** [hidden, classes] */
  outputWeight: Float32Array;
  outputBias: Float32Array;
  /**
   * [vocabulary, classes]: the wide path, a sparse linear model straight from the TF-IDF features
   * to the logits (wide & deep); empty when the network has none.
   */
  linear: Float32Array;
  /**
   * [vocabulary, projection]: a fixed (never trained) sparse random projection, entries −1, 0, +1
   * with probabilities 1/6, 2/3, 1/6 (Achlioptas). p = Σ_k featureWeight_k · projection[row_k]
   * keeps the TF-IDF cosine of two texts (Johnson–Lindenstrauss), including for words that only
   * unlabelled texts use; it is the lexical half of the sentence vector.
   */
  projection: Int8Array;
}

/** Activations of one message; buffers are reused across calls. */
export interface Activations {
  bag: Float32Array;
  hidden: Float32Array;
  logits: Float32Array;
  projected: Float32Array;
}

export function createActivations(shape: NetworkShape): Activations {
  return { bag: new Float32Array(shape.embedding), hidden: new Float32Array(shape.hidden), logits: new Float32Array(shape.classes), projected: new Float32Array(shape.projection) };
}

/** Weighted sum of embedding rows: the "bag" of a message. Rows < 0 (unknown buckets) are skipped. */
export function embeddingBag(weights: NetworkWeights, rows: ArrayLike<number>, featureWeights: ArrayLike<number>, bag: Float32Array): void {
  const width = weights.shape.embedding;
  const table = weights.embedding;
  bag.fill(0);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    if (row < 0) continue;
    const weight = featureWeights[k]!;
    const offset = row * width;
    for (let d = 0; d < width; d++) bag[d]! += weight * table[offset + d]!;
  }
}

/** hidden = relu(bag · W1 + b1) before dropout; logits = hidden · W2 + b2. */
export function denseForward(weights: NetworkWeights, activations: Activations, hiddenMask?: Float32Array): void {
  const { embedding: inputWidth, hidden: hiddenWidth, classes } = weights.shape;
  const { bag, hidden, logits } = activations;
  const { hiddenWeight, outputWeight } = weights;
  hidden.set(weights.hiddenBias);
  for (let d = 0; d < inputWidth; d++) {
    const value = bag[d]!;
    if (value === 0) continue;
    const offset = d * hiddenWidth;
    for (let h = 0; h < hiddenWidth; h++) hidden[h]! += value * hiddenWeight[offset + h]!;
  }
  for (let h = 0; h < hiddenWidth; h++) {
    const active = hidden[h]! > 0 ? hidden[h]! : 0;
    hidden[h] = hiddenMask ? active * hiddenMask[h]! : active;
  }
  logits.set(weights.outputBias);
  for (let h = 0; h < hiddenWidth; h++) {
    const value = hidden[h]!;
    if (value === 0) continue;
    const offset = h * classes;
    for (let c = 0; c < classes; c++) logits[c]! += value * outputWeight[offset + c]!;
  }
}

/** The wide path: logits += Σ_k featureWeight_k · linear[row_k]. Rows < 0 are skipped. */
export function linearForward(weights: NetworkWeights, rows: ArrayLike<number>, featureWeights: ArrayLike<number>, logits: Float32Array): void {
  if (weights.linear.length === 0) return;
  const classes = weights.shape.classes;
  const table = weights.linear;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    if (row < 0) continue;
    const weight = featureWeights[k]!;
    const offset = row * classes;
    for (let c = 0; c < classes; c++) logits[c]! += weight * table[offset + c]!;
  }
}

/** The lexical random projection of a message's TF-IDF vector. */
export function projectFeatures(weights: NetworkWeights, rows: ArrayLike<number>, featureWeights: ArrayLike<number>, out: Float32Array): void {
  const width = weights.shape.projection;
  const table = weights.projection;
  out.fill(0);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    if (row < 0) continue;
    const weight = featureWeights[k]!;
    const offset = row * width;
    for (let d = 0; d < width; d++) out[d]! += weight * table[offset + d]!;
  }
}

/** Bag, hidden layer and logits (deep + wide) of one message; dropout only through `hiddenMask`. */
export function forwardActivations(
  weights: NetworkWeights,
  rows: ArrayLike<number>,
  featureWeights: ArrayLike<number>,
  activations: Activations,
  hiddenMask?: Float32Array,
): void {
  embeddingBag(weights, rows, featureWeights, activations.bag);
  denseForward(weights, activations, hiddenMask);
  linearForward(weights, rows, featureWeights, activations.logits);
}

function norm(vector: Float32Array): number {
  let squared = 0;
  for (let i = 0; i < vector.length; i++) squared += vector[i]! * vector[i]!;
  return Math.max(Math.sqrt(squared), 1e-12);
}

/**
 * The sentence vector for retrieval: [√w·lexical/|lexical|, √(1−w)·hidden/|hidden|], where
 * `lexical` is the random projection (or any vector standing in for the TF-IDF vector).
 */
export function sentenceVector(lexical: Float32Array, hidden: Float32Array, lexicalWeight: number): Float32Array {
  const out = new Float32Array(lexical.length + hidden.length);
  const lexicalScale = Math.sqrt(lexicalWeight) / norm(lexical);
  const hiddenScale = Math.sqrt(1 - lexicalWeight) / norm(hidden);
  for (let d = 0; d < lexical.length; d++) out[d] = lexical[d]! * lexicalScale;
  for (let h = 0; h < hidden.length; h++) out[lexical.length + h] = hidden[h]! * hiddenScale;
  // Unit length even when one part is all zeros (a text without known n-grams has no projection).
  const scale = 1 / norm(out);
  for (let i = 0; i < out.length; i++) out[i]! *= scale;
  return out;
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** In-place softmax of `logits / temperature`. */
export function softmax(logits: Float32Array, temperature = 1, out: Float32Array = logits): Float32Array {
  let max = -Infinity;
  for (let c = 0; c < logits.length; c++) max = Math.max(max, logits[c]! / temperature);
  let sum = 0;
  for (let c = 0; c < logits.length; c++) {
    const value = Math.exp(logits[c]! / temperature - max);
    out[c] = value;
    sum += value;
  }
  for (let c = 0; c < logits.length; c++) out[c]! /= sum;
  return out;
}

export function l2Normalize(vector: Float32Array): Float32Array {
  let squared = 0;
  for (let i = 0; i < vector.length; i++) squared += vector[i]! * vector[i]!;
  const scale = 1 / Math.max(Math.sqrt(squared), 1e-12);
  return vector.map((value) => value * scale);
}

/** Reference forward pass from hashed bucket ids: what model.onnx computes for one message. */
export function forwardFromBuckets(
  weights: NetworkWeights,
  bucketIds: ArrayLike<number>,
  featureWeights: ArrayLike<number>,
  temperature: number,
): { probs: Float32Array; embedding: Float32Array } {
  const rows = Array.from(bucketIds, (bucket) => weights.rowOfBucket[bucket] ?? -1);
  const activations = createActivations(weights.shape);
  forwardActivations(weights, rows, featureWeights, activations);
  projectFeatures(weights, rows, featureWeights, activations.projected);
  return {
    probs: softmax(activations.logits, temperature, new Float32Array(weights.shape.classes)),
    embedding: sentenceVector(activations.projected, activations.hidden, weights.sentenceLexicalWeight),
  };
}
