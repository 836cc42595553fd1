// Temperature scaling and the out-of-scope threshold, both fitted on validation data.
import { argmax, softmax } from '../nlu/network.ts';
import { OUT_OF_SCOPE } from '../nlu/types.ts';
import { scoreExamples, type Evaluation } from '../evaluation/evaluate.ts';

/** Mean negative log-likelihood of the labels under softmax(logits / temperature). */
function meanNll(logits: readonly Float32Array[], labels: readonly number[], temperature: number): number {
  let total = 0;
  const probabilities = new Float32Array(logits[0]?.length ?? 0);
  logits.forEach((row, index) => {
    softmax(row, temperature, probabilities);
    total -= Math.log(Math.max(probabilities[labels[index]!]!, 1e-12));
  });
  return total / Math.max(logits.length, 1);
}

/**
 * The temperature that minimizes validation NLL (Guo et al. 2017), by golden-section search over
 * log T in [-3, 3] (NLL is unimodal in T). Returns 1 without in-scope validation rows.
 */
export function fitTemperature(logits: readonly Float32Array[], labels: readonly number[]): number {
  if (logits.length === 0) return 1;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let low = -3;
  let high = 3;
  let left = high - ratio * (high - low);
  let right = low + ratio * (high - low);
  let leftLoss = meanNll(logits, labels, Math.exp(left));
  let rightLoss = meanNll(logits, labels, Math.exp(right));
  for (let iteration = 0; iteration < 40; iteration++) {
    if (leftLoss < rightLoss) {
      high = right;
      right = left;
      rightLoss = leftLoss;
      left = high - ratio * (high - low);
      leftLoss = meanNll(logits, labels, Math.exp(left));
    } else {
      low = left;
      left = right;
      leftLoss = rightLoss;
      right = low + ratio * (high - low);
      rightLoss = meanNll(logits, labels, Math.exp(right));
    }
  }
  return Math.exp((low + high) / 2);
}

/** One validation message as the threshold rule sees it. */
export interface ThresholdCandidate {
  confidence: number;
  /** The top intent is the right one (never true for an out-of-scope message). */
  correct: boolean;
}

export const THRESHOLD_RULE =
  'on validation data, score +1 per right answer, -1 per wrong answer (an out-of-scope message answered with any intent is wrong), 0 per fallback; take the threshold with the best total, then lower it as far as the loss stays within one standard error (sqrt of the messages whose decision changes): fall back only where the validation data shows that answering loses';

/**
 * The out-of-scope threshold. Utility on validation data: +1 per right answer, −1 per wrong one,
 * 0 per fallback; with calibrated confidences the best threshold falls back where the model is
 * right less than half the time, and out-of-scope validation messages push it up as far as they
 * are caught.
 *
 * The utility curve is noisy: on in-scope-only data the gain of falling back near confidence 0.5
 * is a coin flip per message, and a threshold chosen on noise throws away right answers on new
 * data. So the one-standard-error rule (Breiman et al.) applies, towards fewer fallbacks: the
 * lowest threshold whose utility is within one standard error of the best, where the standard
 * error of the difference is √m for the m messages that the two thresholds decide differently
 * (each changes the total by ±1). Strong evidence (many out-of-scope validation messages, or a
 * clearly losing low-confidence region) keeps the threshold up; weak evidence answers.
 */
export function chooseThreshold(candidates: readonly ThresholdCandidate[]): number {
  const sorted = [...candidates].sort((a, b) => b.confidence - a.confidence);
  // Position j answers sorted[0..j]; j = -1 answers nothing (threshold 1, utility 0).
  const positions: Array<{ answered: number; utility: number; threshold: number }> = [{ answered: 0, utility: 0, threshold: 1 }];
  let utility = 0;
  for (let i = 0; i < sorted.length; i++) {
    utility += sorted[i]!.correct ? 1 : -1;
    const next = sorted[i + 1];
    // A threshold can only sit between distinct confidences.
    if (next && next.confidence === sorted[i]!.confidence) continue;
    positions.push({ answered: i + 1, utility, threshold: sorted[i]!.confidence });
  }
  let best = positions[0]!;
  for (const position of positions) if (position.utility >= best.utility) best = position;
  let chosen = best;
  for (const position of positions) {
    if (position.answered <= best.answered) continue;
    if (best.utility - position.utility <= Math.sqrt(position.answered - best.answered)) chosen = position;
  }
  return chosen.threshold;
}

/**
 * Fewer validation messages than this cannot place a threshold: a handful of right answers pushes it
 * towards zero (a tiny file once gave 2e-8, so the model never fell back). Below it, temperature 1
 * and DEFAULT_THRESHOLD apply, and the calibration says so.
 */
export const MIN_CALIBRATION_MESSAGES = 30;
/** Answer only when the model gives the top intent better-than-even odds. */
export const DEFAULT_THRESHOLD = 0.5;

export interface ValidationCalibration {
  temperature: number;
  threshold: number;
  /** How the threshold was chosen: THRESHOLD_RULE, or why the default was used instead. */
  thresholdRule: string;
  /** Set when the validation data was too small to calibrate on: what a person should know. */
  warning?: string;
  /** The validation messages scored at that temperature and threshold. */
  evaluation: Evaluation;
}

/**
 * Calibrates a trained model on its validation messages, the same way for both back-ends: the
 * temperature on the messages of known classes, the threshold on the calibrated top answers, and
 * the evaluation at both. `expected[i]` is a class index, or -1 for an intent the model was not
 * trained on (out of scope); only the first `answerable` classes are answers (an `oos` class is not).
 */
export function calibrateOnValidation(logits: readonly Float32Array[], expected: readonly number[], labels: readonly string[], answerable = labels.length): ValidationCalibration {
  const tooFew = logits.length < MIN_CALIBRATION_MESSAGES;
  const known = expected.flatMap((label, index) => (label >= 0 ? [index] : []));
  const temperature = tooFew
    ? 1
    : fitTemperature(
        known.map((index) => logits[index]!),
        known.map((index) => expected[index]!),
      );
  const answers = logits.map((row) => {
    const probabilities = softmax(row, temperature, new Float32Array(row.length));
    const top = argmax(probabilities.subarray(0, answerable));
    return { top, confidence: probabilities[top]! };
  });
  const threshold = tooFew ? DEFAULT_THRESHOLD : chooseThreshold(answers.map(({ top, confidence }, index) => ({ confidence, correct: top === expected[index] })));
  const warning = tooFew
    ? `only ${logits.length} validation messages (calibration needs at least ${MIN_CALIBRATION_MESSAGES}): confidences are uncalibrated and the out-of-scope threshold is the default ${DEFAULT_THRESHOLD}; give more examples or a --val file`
    : undefined;
  const evaluation = scoreExamples(
    answers.map(({ top, confidence }, index) => ({
      expected: expected[index]! >= 0 ? labels[expected[index]!]! : OUT_OF_SCOPE,
      predicted: confidence >= threshold ? labels[top]! : null,
      topIntent: labels[top]!,
      confidence,
    })),
  );
  return { temperature, threshold, thresholdRule: warning ? `default ${DEFAULT_THRESHOLD}: ${warning}` : THRESHOLD_RULE, ...(warning ? { warning } : {}), evaluation };
}
