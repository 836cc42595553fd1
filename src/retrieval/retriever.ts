// Query text → scored knowledge hits, and the choice of the score above which a hit is trusted.
// The encoder, the index and the chunk metadata are injected, so this module knows nothing of
// Postgres or of the intent model, and tests run it with toy embeddings.
import type { SearchHit, VectorIndex } from './vector-index.ts';

/** Encodes texts into sentence vectors (the active model's encoder), one per text, in order. */
export type Embed = (texts: string[]) => Promise<Float32Array[]>;

export interface RetrievalHit<Meta> {
  label: number;
  /** Cosine similarity between the query and the hit. */
  score: number;
  meta: Meta;
}

export interface RetrieverDeps<Meta> {
  embed: Embed;
  index: Pick<VectorIndex, 'search'>;
  /** Metadata of an indexed label; undefined for a label whose row is gone, which is then skipped. */
  lookup: (label: number) => Meta | undefined;
}

export class Retriever<Meta> {
  constructor(private readonly deps: RetrieverDeps<Meta>) {}

  /** The `k` best hits for `query`, best first. */
  async search(query: string, k: number): Promise<RetrievalHit<Meta>[]> {
    const [hits] = await this.searchMany([query], k);
    return hits ?? [];
  }

  /** Like `search` for many queries, embedded in one batch. */
  async searchMany(queries: string[], k: number): Promise<RetrievalHit<Meta>[][]> {
    if (queries.length === 0) return [];
    const vectors = await this.deps.embed(queries);
    if (vectors.length !== queries.length) {
      throw new Error(`embed returned ${vectors.length} vectors for ${queries.length} texts`);
    }
    return vectors.map((vector) => this.nearest(vector, k));
  }

  /** The `k` best hits for a query already embedded by the index's encoder, best first. */
  nearest(vector: Float32Array, k: number): RetrievalHit<Meta>[] {
    // Filtering inside the graph walk, rather than afterwards, keeps k results when rows vanish.
    const known = (label: number) => this.deps.lookup(label) !== undefined;
    return this.deps.index.search(vector, k, known).flatMap((hit) => this.withMeta(hit));
  }

  private withMeta(hit: SearchHit): RetrievalHit<Meta>[] {
    const meta = this.deps.lookup(hit.label);
    return meta === undefined ? [] : [{ ...hit, meta }];
  }
}

/** A validation query and the source that answers it; null for a question nothing should answer. */
export interface ValidationPair {
  query: string;
  expectedSource: string | null;
}

/** The top hit's score for one validation query, and whether that hit was the right answer. */
export interface ScoredOutcome {
  score: number;
  correct: boolean;
}

/** Runs the validation queries and grades each top hit against its expected source. */
export async function gradeTopHits<Meta extends { source: string }>(
  retriever: Retriever<Meta>,
  pairs: ValidationPair[],
): Promise<ScoredOutcome[]> {
  const results = await retriever.searchMany(
    pairs.map((pair) => pair.query),
    1,
  );
  return pairs.map((pair, i) => {
    const top = results[i]?.[0];
    // A query without any hit can never be accepted, but still counts in the coverage.
    if (top === undefined) return { score: Number.NEGATIVE_INFINITY, correct: false };
    return { score: top.score, correct: pair.expectedSource !== null && top.meta.source === pair.expectedSource };
  });
}

/** The share of accepted validation answers that must be right, unless configured (RETRIEVAL_TARGET_PRECISION). */
export const DEFAULT_TARGET_PRECISION = 0.85;

export interface ThresholdOptions {
  /** Wanted share of right answers among the accepted top hits, e.g. 0.9. */
  targetPrecision: number;
  /**
   * z of a one-sided Wilson lower bound applied to the precision (0 = the raw precision). With a
   * small validation set, 1.645 asks for 95% confidence that the target is truly met.
   */
  z?: number;
}

export interface ThresholdChoice {
  /** Accept a top hit when its score >= threshold; null when no threshold reaches the target. */
  threshold: number | null;
  /** Precision among the validation queries accepted at this threshold. */
  precision: number;
  /** Share of all validation queries accepted at this threshold. */
  coverage: number;
  accepted: number;
  total: number;
}

/**
 * The lowest score threshold (so the most answers) at which the accepted top hits are right at least
 * `targetPrecision` of the time on validation data. Out-of-scope queries (graded wrong whenever
 * accepted) push the threshold up; paraphrases the index answers well pull it down.
 */
export function chooseThreshold(outcomes: ScoredOutcome[], options: ThresholdOptions): ThresholdChoice {
  const { targetPrecision, z = 0 } = options;
  if (!(targetPrecision > 0 && targetPrecision <= 1)) throw new RangeError('targetPrecision must be in (0, 1]');
  const total = outcomes.length;
  const ranked = outcomes.filter((outcome) => Number.isFinite(outcome.score)).sort((a, b) => b.score - a.score);
  let best: ThresholdChoice = { threshold: null, precision: 0, coverage: 0, accepted: 0, total };
  let correct = 0;
  for (let i = 0; i < ranked.length; i++) {
    const outcome = ranked[i] as ScoredOutcome;
    if (outcome.correct) correct += 1;
    // A threshold can only sit between distinct scores: ties are accepted or rejected together.
    const next = ranked[i + 1];
    if (next !== undefined && next.score === outcome.score) continue;
    const accepted = i + 1;
    if (wilsonLowerBound(correct, accepted, z) >= targetPrecision) {
      best = { threshold: outcome.score, precision: correct / accepted, coverage: accepted / total, accepted, total };
    }
  }
  return best;
}

function wilsonLowerBound(successes: number, trials: number, z: number): number {
  const p = successes / trials;
  if (z === 0) return p;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return (centre - margin) / (1 + z2 / trials);
}
