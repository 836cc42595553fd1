// Intent discovery over visitors' requests, without labels:
//  1. identical requests are merged (a weight per text);
//  2. representation, learned from the operator's own text: TF-IDF word and character n-grams of
//     the request (and, where agents replied, of the conversation that followed it: a request is
//     also known by the answer it needed), reduced by LSA (a randomized truncated SVD fitted on
//     these texts) and the LSA map refined by contrastive training on the same texts (encoder.ts),
//     then, without conversations, the spectral embedding of the requests' nearest-neighbour graph;
//  3. k-means on the spectral coordinates (or the encoder's vectors), k given or chosen (silhouette
//     over a range of k, times the `granularity` knob); a sample of at most `maxSample` distinct
//     texts is clustered this way and every other text joins the nearest cluster centre in the
//     encoder's space (bounded time and memory for any number of messages);
//  4. requests far from every centre, and clusters smaller than `minClusterSize`, are the long tail;
//  5. each cluster is described: name, label, keywords, typical examples (redacted), size,
//     cohesion, overlap with the catalogue's intents, candidate answers mined from agents' replies.
// Deterministic for a seed.
import { createRandom, shuffleInPlace } from '../fitting/random.ts';
import { normalizedKey } from '../corpus/training-set.ts';
import { redact } from '../corpus/redact.ts';
import { clusterWords, mineAnswers, typicalExamples, uniqueNames, type MinedAnswer } from './describe.ts';
import { contrastiveComponents, DEFAULT_ENCODER } from './encoder.ts';
import { nearestNeighbours, neighbourGraph, spectralCoordinates, spectralEmbedding } from './graph.ts';
import { assignNearest, kmeans } from './kmeans.ts';
import { dense, normalizeRows, randomizedSvd, sparseTimesDense, type DenseMatrix } from './linalg.ts';
import type { DiscoveryRequest } from './requests.ts';
import { selectRows, textFeatures, transformTexts, type SparseMatrix } from './text-features.ts';

export interface CatalogueIntentView {
  name: string;
  label: string;
  examples: readonly string[];
}

export interface DiscoveryOptions {
  /** Number of clusters; unset: chosen automatically. */
  k?: number;
  /** Multiplies the automatically chosen k: above 1 more, finer clusters; below 1 fewer. */
  granularity?: number;
  seed?: number;
  /** Distinct texts clustered exactly; the rest are assigned to the nearest cluster. */
  maxSample?: number;
  /** LSA dimensions. */
  rank?: number;
  /** Neighbours per request in the graph. */
  neighbours?: number;
  /**
   * Rounds of contrastive refinement of the LSA map on the requests (encoder.ts); 0: LSA alone.
   * "LSA vectors" elsewhere in this file are the refined map's.
   */
  encoderRounds?: number;
  /** Represent a request with the conversation that followed it, where there is one. */
  useContext?: boolean;
  /** Weight of the conversation's part against the request's (before the row is renormalized). */
  contextWeight?: number;
  /**
   * 'spectral' (k-means on the spectral coordinates of the neighbour graph), 'lsa' (k-means on the
   * LSA vectors), or 'auto' (default): 'lsa' when most requests come with their conversation (the
   * context already separates them, and the graph measured worse there), else 'spectral'.
   */
  method?: 'spectral' | 'lsa' | 'auto';
  /** Clusters with fewer requests than this are the long tail. */
  minClusterSize?: number;
  /** Requests whose cosine to their cluster's centre (LSA) is below this are the long tail. */
  tailSimilarity?: number;
  /** Typical examples per cluster. */
  examples?: number;
  catalogue?: readonly CatalogueIntentView[];
  onProgress?: (progress: DiscoveryProgress) => void;
}

export interface DiscoveryProgress {
  phase: 'features' | 'decomposition' | 'neighbours' | 'graph' | 'clustering' | 'assigning' | 'describing' | 'done';
  done: number;
  total: number;
}

export interface IntentOverlap {
  intent: string;
  label: string;
  /** Cosine of the cluster's centre and the intent's examples' centre (LSA). */
  similarity: number;
  /** Share of the cluster's requests whose nearest catalogue example belongs to this intent. */
  share: number;
}

export interface CandidateIntent {
  id: number;
  name: string;
  label: string;
  keywords: string[];
  /** Requests in the cluster (copies counted). */
  size: number;
  /** Mean cosine of the cluster's requests to its centre (LSA), 0–1. */
  cohesion: number;
  examples: string[];
  /** Every request of the cluster (ids), most typical first. */
  requestIds: string[];
  overlaps: IntentOverlap[];
  answers: MinedAnswer[];
  /** Languages of its requests' conversations, most frequent first. */
  languages: string[];
}

export interface DiscoveryResult {
  candidates: CandidateIntent[];
  /** Requests that fit no cluster: redacted text and how often it was asked. */
  longTail: Array<{ requestId: string; text: string; count: number }>;
  longTailSize: number;
  requests: number;
  distinctTexts: number;
  k: number;
  kChosen: 'given' | 'auto';
  /** Cluster (index into candidates) of every request by id; -1: long tail. */
  assignments: Map<string, number>;
  /** Raw cluster of every request before the long tail was taken out (the benchmark scores these). */
  clusterOf: Int32Array;
  seconds: number;
}

const DEFAULTS = {
  granularity: 1,
  seed: 1,
  maxSample: 8000,
  rank: 100,
  neighbours: 10,
  encoderRounds: DEFAULT_ENCODER.rounds,
  useContext: true,
  contextWeight: 2,
  method: 'auto' as 'spectral' | 'lsa' | 'auto',
  minClusterSize: 3,
  tailSimilarity: 0.2,
  examples: 12,
};

/** Rows of a and b side by side (b's columns after a's), b scaled by `weight`, each row renormalized. */
function stack(a: SparseMatrix, b: SparseMatrix, weight: number): SparseMatrix {
  const rowStart = new Int32Array(a.rows + 1);
  const column = new Int32Array(a.column.length + b.column.length);
  const value = new Float32Array(column.length);
  let at = 0;
  for (let i = 0; i < a.rows; i++) {
    const start = at;
    let squared = 0;
    for (let p = a.rowStart[i]!; p < a.rowStart[i + 1]!; p++, at++) {
      column[at] = a.column[p]!;
      value[at] = a.value[p]!;
      squared += a.value[p]! * a.value[p]!;
    }
    for (let p = b.rowStart[i]!; p < b.rowStart[i + 1]!; p++, at++) {
      column[at] = a.columns + b.column[p]!;
      value[at] = b.value[p]! * weight;
      squared += value[at]! * value[at]!;
    }
    const scale = squared > 0 ? 1 / Math.sqrt(squared) : 0;
    for (let p = start; p < at; p++) value[p]! *= scale;
    rowStart[i + 1] = at;
  }
  return { rows: a.rows, columns: a.columns + b.columns, rowStart, column, value };
}

/** Mean silhouette (cosine distance) of `labels` over `points` (unit rows). */
export function silhouette(points: DenseMatrix, labels: Int32Array, k: number): number {
  const n = points.rows;
  const d = points.columns;
  const sums = new Float64Array(k);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[labels[i]!]!++;
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < d; t++) s += points.data[i * d + t]! * points.data[j * d + t]!;
      sums[labels[j]!]! += 1 - s;
    }
    const own = labels[i]!;
    if (counts[own]! <= 1) continue;
    const a = sums[own]! / (counts[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    if (b === Infinity) continue;
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

/** Candidate numbers of clusters: a geometric grid between lo and hi. */
function kGrid(lo: number, hi: number, steps: number): number[] {
  const out = new Set<number>();
  for (let s = 0; s < steps; s++) out.add(Math.round(lo * Math.pow(hi / lo, s / Math.max(1, steps - 1))));
  return [...out].filter((k) => k >= 2).sort((a, b) => a - b);
}

export function discoverIntents(requests: readonly DiscoveryRequest[], opts: DiscoveryOptions = {}): DiscoveryResult {
  const started = performance.now();
  const options = { ...DEFAULTS, ...opts };
  const progress = (phase: DiscoveryProgress['phase'], done: number, total: number) => options.onProgress?.({ phase, done, total });

  // 1. Distinct texts, each with its requests.
  const byKey = new Map<string, number>();
  const items: Array<{ text: string; requests: number[] }> = [];
  requests.forEach((request, index) => {
    const key = normalizedKey(request.text);
    let item = byKey.get(key);
    if (item === undefined) {
      byKey.set(key, (item = items.length));
      items.push({ text: request.text, requests: [] });
    }
    items[item]!.requests.push(index);
  });
  const n = items.length;
  const weights = Float32Array.from(items, (item) => item.requests.length);
  if (n === 0) return { candidates: [], longTail: [], longTailSize: 0, requests: 0, distinctTexts: 0, k: 0, kChosen: opts.k ? 'given' : 'auto', assignments: new Map(), clusterOf: new Int32Array(0), seconds: 0 };

  // 2. Representation.
  progress('features', 0, 2);
  const texts = items.map((item) => item.text);
  const requestFeatures = textFeatures(texts);
  let matrix = requestFeatures.matrix;
  const contexts = items.map((item) =>
    item.requests
      .slice(0, 3)
      .map((index) => requests[index]!.context.join('\n'))
      .join('\n')
      .slice(0, 4000),
  );
  const withContext = contexts.filter((context) => context.length > 0).length;
  const method = options.method === 'auto' ? (options.useContext && withContext > n / 2 ? 'lsa' : 'spectral') : options.method;
  if (options.useContext && withContext > 0) {
    const contextFeatures = textFeatures(contexts);
    matrix = stack(matrix, contextFeatures.matrix, options.contextWeight);
  }
  progress('features', 2, 2);

  // A seeded sample of distinct texts is clustered; the rest are assigned afterwards.
  const random = createRandom(options.seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let sample: Int32Array;
  if (n > options.maxSample) {
    shuffleInPlace(order, random);
    sample = order.slice(0, options.maxSample).sort();
  } else sample = order;
  const sampleMatrix = sample.length === n ? matrix : selectRows(matrix, sample);

  progress('decomposition', 0, 1);
  const rank = Math.max(2, Math.min(options.rank, sample.length - 1));
  const svd = randomizedSvd(sampleMatrix, rank, { seed: options.seed, iterations: 3 });
  const rounds = options.encoderRounds;
  const components = rounds > 0 ? contrastiveComponents(sampleMatrix, svd.components, { ...DEFAULT_ENCODER, rounds, seed: options.seed, onRound: (done, total) => progress('decomposition', done, total + 1) }) : svd.components;
  const embedding = normalizeRows(sparseTimesDense(matrix, components));
  const sampleEmbedding = sample.length === n ? embedding : rowsOf(embedding, sample);
  progress('decomposition', 1, 1);

  // 3. Clusters of the sample.
  const sampleWeights = Float32Array.from(sample, (i) => weights[i]!);
  const maxK = Math.max(2, Math.min(sample.length - 1, options.k ?? Math.min(200, Math.max(10, Math.round(sample.length / 10)))));
  let k: number;
  let sampleLabels: Int32Array;
  if (method === 'lsa') {
    k = options.k ?? chooseK(sampleEmbedding, sampleEmbedding, maxK, options, sampleWeights, (kk) => kk);
    progress('clustering', 0, 1);
    sampleLabels = kmeans(sampleEmbedding, k, { seed: options.seed, restarts: 4, weights: sampleWeights }).labels;
  } else {
    const neighbours = nearestNeighbours(sampleEmbedding, options.neighbours, (done, total) => progress('neighbours', done, total));
    const graph = neighbourGraph(neighbours, sample.length);
    const spectral = spectralEmbedding(graph, Math.min(maxK, sample.length - 1), { seed: options.seed, iterations: 100, onIteration: (done, total) => progress('graph', done, total) });
    k = options.k ?? chooseK(sampleEmbedding, null, maxK, options, sampleWeights, (kk) => kk, spectral);
    progress('clustering', 0, 1);
    sampleLabels = kmeans(spectralCoordinates(spectral, k), k, { seed: options.seed, restarts: 4, weights: sampleWeights }).labels;
  }
  progress('clustering', 1, 1);

  // Every text joins the nearest centre (LSA) of the sample's clusters; sampled texts keep theirs.
  const centres = centroids(sampleEmbedding, sampleLabels, k, sampleWeights);
  const labels = new Int32Array(n);
  if (sample.length === n) labels.set(sampleLabels);
  else {
    progress('assigning', 0, 1);
    labels.set(assignNearest(embedding, centres));
    sample.forEach((item, s) => (labels[item] = sampleLabels[s]!));
    progress('assigning', 1, 1);
  }

  // 4. Long tail: far from the centre, or in a cluster too small.
  progress('describing', 0, k);
  const finalCentres = centroids(embedding, labels, k, weights);
  const similarity = new Float32Array(n);
  for (let i = 0; i < n; i++) similarity[i] = cosineToCentre(embedding, i, finalCentres, labels[i]!);
  const size = new Float64Array(k);
  for (let i = 0; i < n; i++) size[labels[i]!]! += weights[i]!;
  const inTail = (i: number) => similarity[i]! < options.tailSimilarity || size[labels[i]!]! < options.minClusterSize;

  // 5. Descriptions.
  const kept = Array.from({ length: k }, (_, c) => c).filter((c) => size[c]! >= options.minClusterSize);
  const describedLabels = Int32Array.from(labels, (c, i) => (inTail(i) ? -1 : c));
  const words = clusterWords(texts, weights, describedLabels, k);
  const catalogue = options.catalogue ?? [];
  const catalogueView = catalogueSpace(catalogue, requestFeatures, components, matrix.columns);
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) if (!inTail(i)) members[labels[i]!]!.push(i);
  const names = uniqueNames(kept.map((c) => words[c]!.name), new Set(catalogue.map((intent) => intent.name)));
  const candidates: CandidateIntent[] = [];
  kept.forEach((c, position) => {
    const list = members[c]!.sort((a, b) => similarity[b]! - similarity[a]! || a - b);
    if (list.length === 0) return;
    const requestIds = list.flatMap((i) => items[i]!.requests.map((r) => requests[r]!.id));
    const clusterSize = list.reduce((sum, i) => sum + weights[i]!, 0);
    const cohesion = list.reduce((sum, i) => sum + similarity[i]! * weights[i]!, 0) / clusterSize;
    const languages = new Map<string, number>();
    for (const i of list) for (const r of items[i]!.requests) {
      const language = requests[r]!.language;
      if (language) languages.set(language, (languages.get(language) ?? 0) + 1);
    }
    candidates.push({
      id: candidates.length,
      name: names[position]!,
      label: words[c]!.label,
      keywords: words[c]!.keywords,
      size: clusterSize,
      cohesion: Number(cohesion.toFixed(3)),
      examples: typicalExamples(list.map((i) => items[i]!.text), options.examples),
      requestIds,
      overlaps: catalogueView ? overlapsOf(catalogueView, embedding, list, finalCentres, c) : [],
      answers: mineAnswers(list.slice(0, 400).flatMap((i) => items[i]!.requests.slice(0, 3).map((r) => requests[r]!.replies))),
      languages: [...languages].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([language]) => language),
    });
    progress('describing', position + 1, kept.length);
  });
  candidates.sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
  candidates.forEach((candidate, index) => (candidate.id = index));

  const assignments = new Map<string, number>();
  for (const request of requests) assignments.set(request.id, -1);
  for (const candidate of candidates) for (const id of candidate.requestIds) assignments.set(id, candidate.id);
  const tailItems = Array.from({ length: n }, (_, i) => i).filter(inTail).sort((a, b) => weights[b]! - weights[a]! || similarity[a]! - similarity[b]! || a - b);
  const clusterOf = new Int32Array(requests.length);
  items.forEach((item, i) => item.requests.forEach((r) => (clusterOf[r] = labels[i]!)));
  progress('done', 1, 1);
  return {
    candidates,
    longTail: tailItems.slice(0, 200).map((i) => ({ requestId: requests[items[i]!.requests[0]!]!.id, text: redact(items[i]!.text), count: items[i]!.requests.length })),
    longTailSize: tailItems.reduce((sum, i) => sum + weights[i]!, 0),
    requests: requests.length,
    distinctTexts: n,
    k,
    kChosen: opts.k ? 'given' : 'auto',
    assignments,
    clusterOf,
    seconds: (performance.now() - started) / 1000,
  };
}

function rowsOf(m: DenseMatrix, rows: Int32Array): DenseMatrix {
  const out = dense(rows.length, m.columns);
  rows.forEach((row, i) => out.data.set(m.data.subarray(row * m.columns, (row + 1) * m.columns), i * m.columns));
  return out;
}

/** Weighted means of the rows of each cluster, scaled to unit length. */
function centroids(points: DenseMatrix, labels: Int32Array, k: number, weights: Float32Array): DenseMatrix {
  const d = points.columns;
  const out = dense(k, d);
  for (let i = 0; i < points.rows; i++) {
    const c = labels[i]!;
    for (let j = 0; j < d; j++) out.data[c * d + j]! += weights[i]! * points.data[i * d + j]!;
  }
  return normalizeRows(out);
}

function cosineToCentre(points: DenseMatrix, i: number, centres: DenseMatrix, c: number): number {
  const d = points.columns;
  let s = 0;
  for (let j = 0; j < d; j++) s += points.data[i * d + j]! * centres.data[c * d + j]!;
  return s;
}

/**
 * k by the mean silhouette (cosine, in LSA space, on at most 1,500 sampled texts) over a grid of
 * candidate k, clustering in the spectral coordinates when given; times `granularity`.
 */
function chooseK(
  lsa: DenseMatrix,
  points: DenseMatrix | null,
  maxK: number,
  options: typeof DEFAULTS,
  weights: Float32Array,
  adjust: (k: number) => number,
  spectral?: ReturnType<typeof spectralEmbedding>,
): number {
  const n = lsa.rows;
  const random = createRandom(options.seed ^ 0xc0ffee);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(order, random);
  const probe = order.slice(0, Math.min(n, 1500)).sort();
  const probeLsa = rowsOf(lsa, probe);
  const grid = kGrid(2, maxK, 10);
  let best = { k: grid[0] ?? 2, score: -Infinity };
  for (const k of grid) {
    const coordinates = spectral ? spectralCoordinates(spectral, k) : points!;
    const labels = kmeans(coordinates, k, { seed: options.seed, restarts: 1, maxIterations: 25, weights }).labels;
    const probeLabels = Int32Array.from(probe, (i) => labels[i]!);
    const score = silhouette(probeLsa, probeLabels, k);
    if (score > best.score) best = { k, score };
  }
  return Math.max(2, Math.min(n - 1, Math.round(adjust(best.k) * options.granularity)));
}

interface CatalogueSpace {
  intents: readonly CatalogueIntentView[];
  /** Unit LSA vector per catalogue example, and the intent index of each. */
  examples: DenseMatrix;
  intentOf: Int32Array;
  centres: DenseMatrix;
}

/** The catalogue's examples in the requests' LSA space (their conversation part empty). */
function catalogueSpace(intents: readonly CatalogueIntentView[], features: ReturnType<typeof textFeatures>, components: DenseMatrix, columns: number): CatalogueSpace | null {
  const texts: string[] = [];
  const intentOf: number[] = [];
  intents.forEach((intent, index) =>
    intent.examples.forEach((example) => {
      texts.push(example);
      intentOf.push(index);
    }),
  );
  if (texts.length === 0) return null;
  const rows = transformTexts(features, texts);
  const widened: SparseMatrix = { ...rows, columns };
  const examples = normalizeRows(sparseTimesDense(widened, components));
  const centres = centroids(examples, Int32Array.from(intentOf), intents.length, new Float32Array(texts.length).fill(1));
  return { intents, examples, intentOf: Int32Array.from(intentOf), centres };
}

function overlapsOf(space: CatalogueSpace, embedding: DenseMatrix, members: readonly number[], centres: DenseMatrix, cluster: number): IntentOverlap[] {
  const d = embedding.columns;
  const counts = new Float64Array(space.intents.length);
  const probe = members.slice(0, 300);
  for (const i of probe) {
    let best = -1;
    let bestSimilarity = 0.5;
    for (let e = 0; e < space.examples.rows; e++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += embedding.data[i * d + j]! * space.examples.data[e * d + j]!;
      if (s > bestSimilarity) {
        bestSimilarity = s;
        best = space.intentOf[e]!;
      }
    }
    if (best >= 0) counts[best]!++;
  }
  return space.intents
    .map((intent, index) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += centres.data[cluster * d + j]! * space.centres.data[index * d + j]!;
      return { intent: intent.name, label: intent.label, similarity: Number(s.toFixed(3)), share: Number((counts[index]! / Math.max(1, probe.length)).toFixed(3)) };
    })
    .filter((overlap) => overlap.share >= 0.1 || overlap.similarity >= 0.5)
    .sort((a, b) => b.share - a.share || b.similarity - a.similarity)
    .slice(0, 3);
}
