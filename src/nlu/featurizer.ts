// Hashed word and character n-grams: language-agnostic features that need no vocabulary file and
// no word segmenter (CJK runs are cut into character n-grams instead of words).

export interface FeaturizerConfig {
  /** Number of hash buckets; a power of two. */
  buckets: number;
  /** Word n-grams from 1 up to this length. */
  wordNgramMax: number;
  /** Character n-grams inside a word (padded with boundary marks), from min to max length. */
  charNgramMin: number;
  charNgramMax: number;
  /** Character n-grams over runs of CJK script, from 1 up to this length. */
  cjkNgramMax: number;
}

export const DEFAULT_FEATURIZER_CONFIG: FeaturizerConfig = {
  buckets: 1 << 20,
  wordNgramMax: 2,
  charNgramMin: 2,
  charNgramMax: 5,
  cjkNgramMax: 3,
};

/** Sparse bag of hashed features: bucket ids with their weights, ids unique. */
export interface SparseFeatures {
  ids: Uint32Array;
  weights: Float32Array;
}

const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/u;
const TOKEN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+|[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a state after the one-letter namespace, so feature kinds never share a hash. */
function namespaceState(namespace: string): number {
  return Math.imul(FNV_OFFSET ^ namespace.charCodeAt(0), FNV_PRIME);
}

/** FNV-1a state fed with one code point's UTF-16 code units. */
function feedCodePoint(state: number, codePoint: number): number {
  if (codePoint > 0xffff) {
    const offset = codePoint - 0x10000;
    state = Math.imul(state ^ (0xd800 + (offset >>> 10)), FNV_PRIME);
    return Math.imul(state ^ (0xdc00 + (offset & 0x3ff)), FNV_PRIME);
  }
  return Math.imul(state ^ codePoint, FNV_PRIME);
}

/** Final avalanche, so that the low bits used for the bucket depend on every input character. */
function finish(state: number): number {
  let hash = state ^ (state >>> 16);
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/**
 * FNV-1a over the UTF-16 code units of `namespace` + `value`, with the final avalanche. The
 * n-gram loops below compute the same hash incrementally, without building the n-gram strings.
 */
function hashString(namespace: string, value: string): number {
  let state = namespaceState(namespace);
  for (let i = 0; i < value.length; i++) state = Math.imul(state ^ value.charCodeAt(i), FNV_PRIME);
  return finish(state);
}

/**
 * Hashes of every n-gram of `codePoints` with length in [min, max], in the order n = min..max,
 * then by start, passed to `emit`. One running FNV state per start position is extended by one
 * code point per length, so each n-gram costs one step instead of a string and a full hash.
 */
function forEachCharNgramHash(codePoints: readonly number[], min: number, max: number, namespace: string, states: number[], emit: (hash: number) => void): void {
  const length = codePoints.length;
  const initial = namespaceState(namespace);
  states.length = length;
  for (let start = 0; start < length; start++) states[start] = initial;
  for (let n = 1; n <= max && n <= length; n++) {
    for (let start = 0; start + n <= length; start++) {
      const state = feedCodePoint(states[start]!, codePoints[start + n - 1]!);
      states[start] = state;
      if (n >= min) emit(finish(state));
    }
  }
}

const LEFT_MARK = '<'.codePointAt(0)!;
const RIGHT_MARK = '>'.codePointAt(0)!;

/** Raw counts of hashed n-grams of one message, before any weighting. */
export function hashedNgramCounts(text: string, config: FeaturizerConfig): Map<number, number> {
  const mask = config.buckets - 1;
  const counts = new Map<number, number>();
  const addHash = (hash: number) => {
    const bucket = hash & mask;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  };
  const tokens = normalizeText(text).match(TOKEN) ?? [];
  const states: number[] = [];
  const codePoints: number[] = [];
  // CJK runs have no spaces, so their characters serve as the "words" of word n-grams too.
  const words: string[] = [];
  for (const token of tokens) {
    codePoints.length = 0;
    if (CJK_RUN.test(token)) {
      for (const char of token) {
        codePoints.push(char.codePointAt(0)!);
        words.push(char);
      }
      forEachCharNgramHash(codePoints, 1, config.cjkNgramMax, 'c', states, addHash);
    } else {
      addHash(hashString('w', token));
      codePoints.push(LEFT_MARK);
      for (const char of token) codePoints.push(char.codePointAt(0)!);
      codePoints.push(RIGHT_MARK);
      forEachCharNgramHash(codePoints, config.charNgramMin, config.charNgramMax, 'c', states, addHash);
      words.push(token);
    }
  }
  for (let n = 2; n <= config.wordNgramMax; n++) {
    for (let start = 0; start + n <= words.length; start++) addHash(hashString('w', words.slice(start, start + n).join(' ')));
  }
  return counts;
}

/**
 * Sublinear TF times IDF, L2-normalized, so that the embedding bag sees a TF-IDF vector of unit
 * length. Buckets with IDF 0 (never seen in training) are dropped: their embedding rows were never
 * trained and would only dilute the others.
 */
export function featurize(text: string, config: FeaturizerConfig, idf: Float32Array): SparseFeatures {
  return weighCounts(hashedNgramCounts(text, config), idf);
}

/** featurize for counts already hashed (hashedNgramCounts), so training hashes each text once. */
export function weighCounts(counts: ReadonlyMap<number, number>, idf: Float32Array): SparseFeatures {
  const ids = new Uint32Array(counts.size);
  const weights = new Float64Array(counts.size);
  let kept = 0;
  let squaredNorm = 0;
  for (const [bucket, count] of counts) {
    const inverseFrequency = idf[bucket] ?? 0;
    if (inverseFrequency === 0) continue;
    const weight = (1 + Math.log(count)) * inverseFrequency;
    ids[kept] = bucket;
    weights[kept] = weight;
    squaredNorm += weight * weight;
    kept++;
  }
  const scale = squaredNorm > 0 ? 1 / Math.sqrt(squaredNorm) : 0;
  const scaled = new Float32Array(kept);
  for (let k = 0; k < kept; k++) scaled[k] = weights[k]! * scale;
  return { ids: ids.slice(0, kept), weights: scaled };
}

/** Smoothed IDF per bucket, ln((1 + N) / (1 + df)) + 1; 0 for buckets that no training text hit. */
export function fitIdf(texts: readonly string[], config: FeaturizerConfig): Float32Array {
  return idfOfCounts(texts.map((text) => hashedNgramCounts(text, config)), config);
}

/** fitIdf for texts already hashed: one count map per text. */
export function idfOfCounts(documents: readonly ReadonlyMap<number, number>[], config: FeaturizerConfig): Float32Array {
  const documentFrequency = new Uint32Array(config.buckets);
  for (const counts of documents) for (const bucket of counts.keys()) documentFrequency[bucket]!++;
  const idf = new Float32Array(config.buckets);
  for (let bucket = 0; bucket < config.buckets; bucket++) {
    const df = documentFrequency[bucket]!;
    if (df > 0) idf[bucket] = Math.log((1 + documents.length) / (1 + df)) + 1;
  }
  return idf;
}
