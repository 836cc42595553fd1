// Temperature scaling and the out-of-scope threshold, both fitted on validation data.
import { softmax } from '../nlu/network.ts';

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
  'maximize on validation data: +1 per right answer, -1 per wrong answer (an out-of-scope message answered with any intent is wrong), 0 per fallback; i.e. answer only where answers are right more often than wrong';

/**
 * The threshold that maximizes (right answers − wrong answers) on validation data; a fallback
 * scores 0. With calibrated confidences this falls back where the model is right less than half
 * the time, and out-of-scope validation messages push it up exactly as far as they are caught.
 * Ties go to the lowest threshold (fewer needless fallbacks).
 */
export function chooseThreshold(candidates: readonly ThresholdCandidate[]): number {
  const sorted = [...candidates].sort((a, b) => b.confidence - a.confidence);
  let utility = 0;
  let bestUtility = 0;
  // Threshold 1 (+epsilon) answers nothing: utility 0.
  let bestThreshold = 1;
  for (let i = 0; i < sorted.length; i++) {
    utility += sorted[i]!.correct ? 1 : -1;
    const next = sorted[i + 1];
    // A threshold can only sit between distinct confidences.
    if (next && next.confidence === sorted[i]!.confidence) continue;
    if (utility >= bestUtility) {
      bestUtility = utility;
      bestThreshold = sorted[i]!.confidence;
    }
  }
  return bestThreshold;
}
