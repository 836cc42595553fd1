// Scoring a model against labelled messages: accuracy with the fallback counted in, in-scope
// accuracy, out-of-scope recall, macro F1, calibration (ECE, reliability bins), per-intent
// precision/recall/F1 and the confusions a report shows; plus single-message latency.
import { OUT_OF_SCOPE, type CommonModelMeta, type IntentModel, type LabelledExample, type ModelMetrics } from '../nlu/types.ts';

export interface ScoredExample {
  /** The labelled intent; `oos` for out-of-scope. */
  expected: string;
  /** The model's answer; null = fallback. */
  predicted: string | null;
  topIntent: string;
  confidence: number;
}

export interface IntentScore {
  intent: string;
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ReliabilityBin {
  low: number;
  high: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

export interface Evaluation extends ModelMetrics {
  /** In-scope messages whose top intent is right, threshold ignored: the number to compare with classifiers that have no fallback. */
  top1_accuracy: number;
  perIntent: IntentScore[];
  /** Expected → answered counts, the fallback written as `oos`. */
  confusion: Map<string, Map<string, number>>;
  /** Most frequent wrong (expected, answered) pairs, worst first. */
  confusedPairs: Array<{ expected: string; predicted: string; count: number }>;
  reliability: ReliabilityBin[];
}

const RELIABILITY_BINS = 10;

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

export function reliabilityBins(rows: ReadonlyArray<{ confidence: number; correct: boolean }>): ReliabilityBin[] {
  const bins = Array.from({ length: RELIABILITY_BINS }, (_, index) => ({ low: index / RELIABILITY_BINS, high: (index + 1) / RELIABILITY_BINS, count: 0, confidenceSum: 0, right: 0 }));
  for (const row of rows) {
    const bin = bins[Math.min(RELIABILITY_BINS - 1, Math.floor(row.confidence * RELIABILITY_BINS))]!;
    bin.count++;
    bin.confidenceSum += row.confidence;
    if (row.correct) bin.right++;
  }
  return bins.map(({ low, high, count, confidenceSum, right }) => ({ low, high, count, meanConfidence: ratio(confidenceSum, count), accuracy: ratio(right, count) }));
}

/** Expected calibration error: the count-weighted gap between confidence and accuracy per bin. */
export function expectedCalibrationError(bins: readonly ReliabilityBin[]): number {
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  return bins.reduce((sum, bin) => sum + ratio(bin.count, total) * Math.abs(bin.meanConfidence - bin.accuracy), 0);
}

export function scoreExamples(rows: readonly ScoredExample[]): Evaluation {
  const answered = (row: ScoredExample) => row.predicted ?? OUT_OF_SCOPE;
  const inScope = rows.filter((row) => row.expected !== OUT_OF_SCOPE);
  const outOfScope = rows.filter((row) => row.expected === OUT_OF_SCOPE);
  const right = rows.filter((row) => answered(row) === row.expected).length;

  const confusion = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const counts = confusion.get(row.expected) ?? new Map<string, number>();
    counts.set(answered(row), (counts.get(answered(row)) ?? 0) + 1);
    confusion.set(row.expected, counts);
  }
  const intents = [...new Set(rows.map((row) => row.expected))].sort();
  const perIntent = intents.map((intent) => {
    const truePositives = rows.filter((row) => row.expected === intent && answered(row) === intent).length;
    const predicted = rows.filter((row) => answered(row) === intent).length;
    const support = rows.filter((row) => row.expected === intent).length;
    const precision = ratio(truePositives, predicted);
    const recall = ratio(truePositives, support);
    return { intent, support, precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
  });
  const confusedPairs = [...confusion]
    .flatMap(([expected, counts]) => [...counts].filter(([predicted]) => predicted !== expected).map(([predicted, count]) => ({ expected, predicted, count })))
    .sort((a, b) => b.count - a.count || a.expected.localeCompare(b.expected))
    .slice(0, 20);
  // Is the top intent right as often as its confidence says? An out-of-scope message's top intent
  // is never right, so a confident answer to one counts against calibration too.
  const reliability = reliabilityBins(rows.map((row) => ({ confidence: row.confidence, correct: row.topIntent === row.expected })));
  return {
    n: rows.length,
    accuracy: ratio(right, rows.length),
    in_scope_accuracy: ratio(inScope.filter((row) => row.predicted === row.expected).length, inScope.length),
    top1_accuracy: ratio(inScope.filter((row) => row.topIntent === row.expected).length, inScope.length),
    oos_recall: outOfScope.length === 0 ? null : ratio(outOfScope.filter((row) => row.predicted === null).length, outOfScope.length),
    macro_f1: ratio(perIntent.reduce((sum, score) => sum + score.f1, 0), perIntent.length),
    ece: expectedCalibrationError(reliability),
    perIntent,
    confusion,
    confusedPairs,
    reliability,
  };
}

export function metricsOf(evaluation: Evaluation): ModelMetrics {
  const { n, accuracy, in_scope_accuracy, oos_recall, macro_f1, ece } = evaluation;
  return { n, accuracy, in_scope_accuracy, oos_recall, macro_f1, ece };
}

function percentile(sortedValues: readonly number[], fraction: number): number {
  if (sortedValues.length === 0) return 0;
  return sortedValues[Math.min(sortedValues.length - 1, Math.floor(fraction * sortedValues.length))]!;
}

export interface ModelEvaluation {
  evaluation: Evaluation;
  p50_ms: number;
  p99_ms: number;
}

/**
 * Classifies every example one message at a time through the runtime (as a lone visitor message
 * would be), timing each call for the latency percentiles.
 */
export async function evaluateModel(model: IntentModel<CommonModelMeta>, examples: readonly LabelledExample[]): Promise<ModelEvaluation> {
  const known = new Set(model.meta.labels.filter((label) => label !== OUT_OF_SCOPE));
  const rows: ScoredExample[] = [];
  const latencies: number[] = [];
  for (const example of examples) {
    const started = performance.now();
    const prediction = await model.classify(example.text);
    latencies.push(performance.now() - started);
    // An intent the model was never trained on can only be answered by the fallback.
    const expected = known.has(example.intent) ? example.intent : OUT_OF_SCOPE;
    rows.push({ expected, predicted: prediction.intent, topIntent: prediction.topIntent, confidence: prediction.confidence });
  }
  latencies.sort((a, b) => a - b);
  return { evaluation: scoreExamples(rows), p50_ms: percentile(latencies, 0.5), p99_ms: percentile(latencies, 0.99) };
}
