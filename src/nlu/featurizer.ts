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

/** FNV-1a over UTF-16 code units, seeded by a one-letter namespace so feature kinds never share a hash. */
function hashString(namespace: string, value: string): number {
  let hash = 0x811c9dc5;
  hash = Math.imul(hash ^ namespace.charCodeAt(0), 0x01000193);
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  // Final avalanche so that the low bits used for the bucket depend on every input character.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** Every n-gram of `text` (by code point) with length in [min, max], passed to `emit`. */
function forEachCharNgram(chars: string[], min: number, max: number, emit: (gram: string) => void): void {
  for (let n = min; n <= max; n++) {
    for (let start = 0; start + n <= chars.length; start++) emit(chars.slice(start, start + n).join(''));
  }
}

/** Raw counts of hashed n-grams of one message, before any weighting. */
export function hashedNgramCounts(text: string, config: FeaturizerConfig): Map<number, number> {
  const mask = config.buckets - 1;
  const counts = new Map<number, number>();
  const add = (namespace: string, gram: string) => {
    const bucket = hashString(namespace, gram) & mask;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  };
  const tokens = normalizeText(text).match(TOKEN) ?? [];
  // CJK runs have no spaces, so their characters serve as the "words" of word n-grams too.
  const words: string[] = [];
  for (const token of tokens) {
    if (CJK_RUN.test(token)) {
      const chars = [...token];
      forEachCharNgram(chars, 1, config.cjkNgramMax, (gram) => add('c', gram));
      words.push(...chars);
    } else {
      add('w', token);
      forEachCharNgram([...`<${token}>`], config.charNgramMin, config.charNgramMax, (gram) => add('c', gram));
      words.push(token);
    }
  }
  for (let n = 2; n <= config.wordNgramMax; n++) {
    for (let start = 0; start + n <= words.length; start++) add('w', words.slice(start, start + n).join(' '));
  }
  return counts;
}

/**
 * Sublinear TF times IDF, L2-normalized, so that the embedding bag sees a TF-IDF vector of unit
 * length. Buckets with IDF 0 (never seen in training) are dropped: their embedding rows were never
 * trained and would only dilute the others.
 */
export function featurize(text: string, config: FeaturizerConfig, idf: Float32Array): SparseFeatures {
  const counts = hashedNgramCounts(text, config);
  const ids: number[] = [];
  const weights: number[] = [];
  let squaredNorm = 0;
  for (const [bucket, count] of counts) {
    const inverseFrequency = idf[bucket] ?? 0;
    if (inverseFrequency === 0) continue;
    const weight = (1 + Math.log(count)) * inverseFrequency;
    ids.push(bucket);
    weights.push(weight);
    squaredNorm += weight * weight;
  }
  const scale = squaredNorm > 0 ? 1 / Math.sqrt(squaredNorm) : 0;
  return { ids: Uint32Array.from(ids), weights: Float32Array.from(weights, (weight) => weight * scale) };
}

/** Smoothed IDF per bucket, ln((1 + N) / (1 + df)) + 1; 0 for buckets that no training text hit. */
export function fitIdf(texts: readonly string[], config: FeaturizerConfig): Float32Array {
  const documentFrequency = new Uint32Array(config.buckets);
  for (const text of texts) for (const bucket of hashedNgramCounts(text, config).keys()) documentFrequency[bucket]!++;
  const idf = new Float32Array(config.buckets);
  for (let bucket = 0; bucket < config.buckets; bucket++) {
    const df = documentFrequency[bucket]!;
    if (df > 0) idf[bucket] = Math.log((1 + texts.length) / (1 + df)) + 1;
  }
  return idf;
}
