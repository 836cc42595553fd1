// How well a sentence-vector space serves knowledge retrieval, measured on held-out pairs
// `{query, expected}` (expected: the source of the chunk that answers it, or null when none does):
// exact cosine search, top-1 accuracy over the answerable queries, and how well the top score
// separates answerable from unanswerable queries (ROC AUC). Used by bench/knowledge-retrieval.ts
// to choose the sentence vector and by the tests to keep it working.

export interface RetrievalPair {
  query: string;
  /** Source of the chunk that answers the query; null when the knowledge base has no answer. */
  expected: string | null;
}

export interface RetrievalQuality {
  /** Answerable queries whose best chunk is the expected one. */
  top1: number;
  /** Answerable queries whose expected chunk is among the best five. */
  top5: number;
  /** P(top score of an answerable query > top score of an unanswerable one); null without both kinds. */
  auc: number | null;
  /** Top-1 of always answering with a chunk at random: 1 / chunks. */
  chance: number;
  answerable: number;
  unanswerable: number;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Probability that a random positive scores above a random negative (ties count half). */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number | null {
  if (positives.length === 0 || negatives.length === 0) return null;
  let wins = 0;
  for (const positive of positives) for (const negative of negatives) wins += positive > negative ? 1 : positive === negative ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

/**
 * `chunkVectors` and `queryVectors` must be unit length (cosine = dot product); `sources[i]` names
 * chunk i, `pairs[j]` belongs to query j.
 */
export function retrievalQuality(
  chunkVectors: readonly Float32Array[],
  sources: readonly string[],
  queryVectors: readonly Float32Array[],
  pairs: readonly RetrievalPair[],
): RetrievalQuality {
  let top1 = 0;
  let top5 = 0;
  const answerableScores: number[] = [];
  const unanswerableScores: number[] = [];
  queryVectors.forEach((query, index) => {
    const ranked = chunkVectors.map((chunk, chunkIndex) => ({ score: dot(query, chunk), source: sources[chunkIndex]! })).sort((a, b) => b.score - a.score);
    const expected = pairs[index]!.expected;
    const best = ranked[0]?.score ?? 0;
    if (expected === null) {
      unanswerableScores.push(best);
      return;
    }
    answerableScores.push(best);
    if (ranked[0]?.source === expected) top1++;
    if (ranked.slice(0, 5).some((hit) => hit.source === expected)) top5++;
  });
  const answerable = answerableScores.length;
  return {
    top1: answerable ? top1 / answerable : 0,
    top5: answerable ? top5 / answerable : 0,
    auc: rocAuc(answerableScores, unanswerableScores),
    chance: chunkVectors.length ? 1 / chunkVectors.length : 0,
    answerable,
    unanswerable: unanswerableScores.length,
  };
}
