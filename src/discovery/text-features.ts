// TF-IDF vectors of visitors' requests for discovery: word 1–2-grams and character 2–5-grams inside
// words (with boundary marks), a run of CJK script cut into character 1–3-grams instead (no word
// segmenter), each block weighted by sublinear TF × smoothed IDF and scaled to length 1/√2, so a
// vector has unit length (sklearn's two stacked TfidfVectorizers, word and char_wb). N-grams are
// hashed into a fixed number of buckets (bounded memory for any number of texts); buckets that fewer
// than `minDf` texts use are dropped, as they cannot make two texts alike.
import { normalizeText } from '../nlu/featurizer.ts';

/** Rows of a sparse matrix (compressed sparse rows); columns are compact ids. */
export interface SparseMatrix {
  rows: number;
  columns: number;
  rowStart: Int32Array;
  column: Int32Array;
  value: Float32Array;
}

export interface TextFeatureOptions {
  /** Hash buckets per block (a power of two). */
  buckets?: number;
  wordNgramMax?: number;
  charNgramMin?: number;
  charNgramMax?: number;
  cjkNgramMax?: number;
  /** Fewest texts a bucket must occur in to be kept. */
  minDf?: number;
  /** Most columns kept (the most frequent buckets), to bound the memory of the decomposition. */
  maxColumns?: number;
}

export const DEFAULT_TEXT_FEATURES: Required<TextFeatureOptions> = {
  buckets: 1 << 20,
  wordNgramMax: 2,
  charNgramMin: 2,
  charNgramMax: 5,
  cjkNgramMax: 3,
  minDf: 2,
  maxColumns: 1 << 17,
};

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const TOKEN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+|[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;

/** Words of a text: lower-cased tokens, a CJK run split into its characters. */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  for (const token of normalizeText(text).match(TOKEN) ?? []) {
    if (CJK.test(token)) words.push(...token);
    else words.push(token);
  }
  return words;
}

function fnv(value: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** Hashed n-gram counts of one text, as [word block, char block]. */
export function ngramBuckets(text: string, options: Required<TextFeatureOptions>): [Map<number, number>, Map<number, number>] {
  const mask = options.buckets - 1;
  const word = new Map<number, number>();
  const char = new Map<number, number>();
  const add = (map: Map<number, number>, bucket: number) => map.set(bucket, (map.get(bucket) ?? 0) + 1);
  const words: string[] = [];
  for (const token of normalizeText(text).match(TOKEN) ?? []) {
    if (CJK.test(token)) {
      const chars = [...token];
      for (let n = 1; n <= options.cjkNgramMax; n++) for (let s = 0; s + n <= chars.length; s++) add(char, fnv(chars.slice(s, s + n).join(''), 2) & mask);
      words.push(...chars);
    } else {
      words.push(token);
      const chars = [...`<${token}>`];
      for (let n = options.charNgramMin; n <= options.charNgramMax; n++) for (let s = 0; s + n <= chars.length; s++) add(char, fnv(chars.slice(s, s + n).join(''), 2) & mask);
    }
  }
  for (let n = 1; n <= options.wordNgramMax; n++) for (let s = 0; s + n <= words.length; s++) add(word, fnv(words.slice(s, s + n).join(' '), 1) & mask);
  return [word, char];
}

export interface TextFeatures {
  matrix: SparseMatrix;
  /** IDF per column. */
  idf: Float32Array;
  /** Bucket → column per block (word, char); −1 where dropped. */
  columnOf: [Int32Array, Int32Array];
  options: Required<TextFeatureOptions>;
}

/**
 * TF-IDF rows of `texts`. IDF and the kept columns come from `fitTexts` (default: the texts
 * themselves), so the representation can be learned from more unlabelled text than is clustered.
 */
export function textFeatures(texts: readonly string[], opts: TextFeatureOptions = {}, fitTexts?: readonly string[]): TextFeatures {
  const options = { ...DEFAULT_TEXT_FEATURES, ...opts };
  const df: [Uint32Array, Uint32Array] = [new Uint32Array(options.buckets), new Uint32Array(options.buckets)];
  const counted = fitTexts ?? texts;
  for (const text of counted) {
    const blocks = ngramBuckets(text, options);
    for (let b = 0; b < 2; b++) for (const bucket of blocks[b]!.keys()) df[b]![bucket]!++;
  }
  // The kept buckets: df ≥ minDf, the most frequent first when there are too many.
  const kept: Array<[number, number, number]> = [];
  for (let b = 0; b < 2; b++) for (let bucket = 0; bucket < options.buckets; bucket++) if (df[b]![bucket]! >= options.minDf) kept.push([b, bucket, df[b]![bucket]!]);
  if (kept.length > options.maxColumns) {
    kept.sort((x, y) => y[2] - x[2] || x[0] - y[0] || x[1] - y[1]);
    kept.length = options.maxColumns;
    kept.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  }
  const columnOf: [Int32Array, Int32Array] = [new Int32Array(options.buckets).fill(-1), new Int32Array(options.buckets).fill(-1)];
  const idf = new Float32Array(kept.length);
  const n = counted.length;
  kept.forEach(([b, bucket, frequency], column) => {
    columnOf[b]![bucket] = column;
    idf[column] = Math.log((1 + n) / (1 + frequency)) + 1;
  });
  const features: TextFeatures = { matrix: { rows: 0, columns: kept.length, rowStart: new Int32Array(1), column: new Int32Array(0), value: new Float32Array(0) }, idf, columnOf, options };
  features.matrix = transformTexts(features, texts);
  return features;
}

/** TF-IDF rows of texts with fitted columns and IDF. */
export function transformTexts(features: Omit<TextFeatures, 'matrix'>, texts: readonly string[]): SparseMatrix {
  const rowStart = new Int32Array(texts.length + 1);
  let column = new Int32Array(Math.max(16, texts.length * 64));
  let value = new Float32Array(column.length);
  let nnz = 0;
  const scale = Math.SQRT1_2;
  texts.forEach((text, row) => {
    const blocks = ngramBuckets(text, features.options);
    for (let b = 0; b < 2; b++) {
      const start = nnz;
      let squared = 0;
      for (const [bucket, count] of blocks[b]!) {
        const c = features.columnOf[b]![bucket]!;
        if (c < 0) continue;
        if (nnz === column.length) {
          const grown = new Int32Array(column.length * 2);
          grown.set(column);
          column = grown;
          const grownValues = new Float32Array(value.length * 2);
          grownValues.set(value);
          value = grownValues;
        }
        const weight = (1 + Math.log(count)) * features.idf[c]!;
        column[nnz] = c;
        value[nnz] = weight;
        squared += weight * weight;
        nnz++;
      }
      const norm = squared > 0 ? scale / Math.sqrt(squared) : 0;
      for (let k = start; k < nnz; k++) value[k]! *= norm;
    }
    rowStart[row + 1] = nnz;
  });
  return { rows: texts.length, columns: features.idf.length, rowStart, column: column.slice(0, nnz), value: value.slice(0, nnz) };
}

/** Rows `indices` of a sparse matrix, as a new matrix. */
export function selectRows(matrix: SparseMatrix, indices: ArrayLike<number>): SparseMatrix {
  const rowStart = new Int32Array(indices.length + 1);
  let nnz = 0;
  for (let i = 0; i < indices.length; i++) nnz += matrix.rowStart[indices[i]! + 1]! - matrix.rowStart[indices[i]!]!;
  const column = new Int32Array(nnz);
  const value = new Float32Array(nnz);
  let at = 0;
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i]!;
    for (let k = matrix.rowStart[row]!; k < matrix.rowStart[row + 1]!; k++) {
      column[at] = matrix.column[k]!;
      value[at] = matrix.value[k]!;
      at++;
    }
    rowStart[i + 1] = at;
  }
  return { rows: indices.length, columns: matrix.columns, rowStart, column, value };
}
