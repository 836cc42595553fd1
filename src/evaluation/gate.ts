// The promotion gate: a candidate version is scored next to the active one on the frozen evaluation
// set and on recent labelled traffic, and is promoted only when, on every set that has messages,
// its accuracy is not below the active version's by more than the margin.
import { loadAnyModel } from '../nlu/index.ts';
import type { LabelledExample, ModelMetrics } from '../nlu/types.ts';
import { OUT_OF_SCOPE } from '../nlu/types.ts';
import { metricsOf, scoreExamples, type ScoredExample } from './evaluate.ts';

/** Default margin: a candidate may be at most this much less accurate (absolute) on any evaluation set. */
export const DEFAULT_PROMOTION_MARGIN = 0.01;
/**
 * One-sided z for "worse by more than the margin": a drop counts only when it is beyond what the
 * sampling noise of the set explains (95%). On a few hundred messages a few flips are noise; a
 * corrupted or broken candidate is worse by far more.
 */
export const GATE_Z = 1.645;

export interface GateSetResult {
  n: number;
  candidate: ModelMetrics & { top1_accuracy: number };
  active: (ModelMetrics & { top1_accuracy: number }) | null;
  /** candidate.accuracy − active.accuracy (null without an active version). */
  delta: number | null;
  /** Messages only the active version got right / only the candidate got right (paired comparison). */
  activeOnly: number;
  candidateOnly: number;
  /** Upper 95% confidence bound of delta; the set fails when it is below −margin. */
  deltaUpper: number | null;
  passed: boolean;
}

export interface GateReport {
  decision: 'promote' | 'reject';
  reasons: string[];
  margin: number;
  metric: 'accuracy';
  candidate: string;
  active: string | null;
  sets: { frozen: GateSetResult | null; recent: GateSetResult | null };
  evaluatedAt: string;
}

export interface GateInput {
  candidate: { name: string; artifactPath: string };
  active: { name: string; artifactPath: string } | null;
  frozen: readonly LabelledExample[];
  recent: readonly LabelledExample[];
  margin?: number;
}

type Scored = { metrics: ModelMetrics & { top1_accuracy: number }; correct: boolean[] };

async function scoreOn(artifactPath: string, sets: Array<readonly LabelledExample[]>): Promise<Array<Scored | null>> {
  const model = await loadAnyModel(artifactPath);
  try {
    const known = new Set(model.meta.labels.filter((label) => label !== OUT_OF_SCOPE));
    const results: Array<Scored | null> = [];
    for (const examples of sets) {
      if (examples.length === 0) {
        results.push(null);
        continue;
      }
      const rows: ScoredExample[] = [];
      for (const example of examples) {
        const prediction = await model.classify(example.text);
        // An intent the model was never trained on can only be answered by the fallback.
        const expected = known.has(example.intent) ? example.intent : OUT_OF_SCOPE;
        rows.push({ expected, predicted: prediction.intent, topIntent: prediction.topIntent, confidence: prediction.confidence });
      }
      const evaluation = scoreExamples(rows);
      results.push({ metrics: { ...metricsOf(evaluation), top1_accuracy: evaluation.top1_accuracy }, correct: rows.map((row) => (row.predicted ?? OUT_OF_SCOPE) === row.expected) });
    }
    return results;
  } finally {
    await model.close();
  }
}

/**
 * Decides whether a candidate may replace the active version. `accuracy` counts a fallback on an
 * in-scope message as wrong and on an `oos` message as right, so a candidate that falls back more
 * often cannot slip through.
 */
export async function runGate(input: GateInput): Promise<GateReport> {
  const margin = input.margin ?? DEFAULT_PROMOTION_MARGIN;
  const sets = [input.frozen, input.recent];
  const candidateScores = await scoreOn(input.candidate.artifactPath, sets);
  const activeScores: Array<Scored | null> = input.active ? await scoreOn(input.active.artifactPath, sets) : [null, null];
  const reasons: string[] = [];
  const results = (['frozen', 'recent'] as const).map((setName, index): GateSetResult | null => {
    const candidateScore = candidateScores[index];
    if (!candidateScore) return null;
    const candidate = candidateScore.metrics;
    const activeScore = activeScores[index] ?? null;
    if (!activeScore) return { n: candidate.n, candidate, active: null, delta: null, activeOnly: 0, candidateOnly: 0, deltaUpper: null, passed: true };
    // Paired comparison on the same messages: only the messages on which the two disagree carry information.
    let activeOnly = 0;
    let candidateOnly = 0;
    candidateScore.correct.forEach((right, i) => {
      if (right && !activeScore.correct[i]) candidateOnly++;
      if (!right && activeScore.correct[i]) activeOnly++;
    });
    const n = candidate.n;
    const delta = (candidateOnly - activeOnly) / n;
    const standardError = Math.sqrt(Math.max(0, activeOnly + candidateOnly - n * delta * delta)) / n;
    const deltaUpper = delta + GATE_Z * standardError;
    const passed = delta >= -margin || deltaUpper >= -margin;
    reasons.push(
      `${setName} set (${n} messages): accuracy ${candidate.accuracy.toFixed(4)} vs active ${activeScore.metrics.accuracy.toFixed(4)} (${delta >= 0 ? '+' : ''}${delta.toFixed(4)}; ` +
        `${candidateOnly} right only by the candidate, ${activeOnly} only by the active; upper 95% bound ${deltaUpper.toFixed(4)}, margin ${margin}): ${passed ? 'not worse' : 'worse'}`,
    );
    return { n, candidate, active: activeScore.metrics, delta, activeOnly, candidateOnly, deltaUpper, passed };
  });
  const [frozen, recent] = results as [GateSetResult | null, GateSetResult | null];
  let decision: 'promote' | 'reject';
  if (!input.active) {
    decision = 'promote';
    reasons.push('no active version to compare with');
  } else if (!frozen && !recent) {
    decision = 'reject';
    reasons.push('no labelled evaluation messages yet: nothing shows the candidate is not worse (promote it by hand with `frontdesk models promote`)');
  } else {
    decision = results.every((result) => result === null || result.passed) ? 'promote' : 'reject';
  }
  return {
    decision,
    reasons,
    margin,
    metric: 'accuracy',
    candidate: input.candidate.name,
    active: input.active?.name ?? null,
    sets: { frozen, recent },
    evaluatedAt: new Date().toISOString(),
  };
}
