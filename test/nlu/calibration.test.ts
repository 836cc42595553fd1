import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher } from '../../src/concurrency/micro-batcher.ts';
import { calibrateOnValidation, chooseThreshold, DEFAULT_THRESHOLD, fitTemperature, MIN_CALIBRATION_MESSAGES, THRESHOLD_RULE } from '../../src/fitting/calibration.ts';
import { scoreExamples } from '../../src/evaluation/evaluate.ts';

describe('calibration', () => {
  it('fits a temperature above 1 for overconfident logits', () => {
    // Always 10 logits apart, but right only 3 times in 4: the softmax must be softened.
    const logits = Array.from({ length: 40 }, () => Float32Array.of(10, 0));
    const labels = logits.map((_, index) => (index % 4 === 0 ? 1 : 0));
    const temperature = fitTemperature(logits, labels);
    const confidence = 1 / (1 + Math.exp(-10 / temperature));
    assert.ok(Math.abs(confidence - 0.75) < 0.01, `calibrated confidence ${confidence}`);
  });

  it('falls back where the validation data shows that answering loses', () => {
    const repeat = (count: number, confidence: number, correct: boolean) => Array.from({ length: count }, () => ({ confidence, correct }));
    // 100 confident right answers, then a low-confidence region that is clearly wrong (5 right, 40 wrong).
    const clear = [...repeat(100, 0.9, true), ...repeat(5, 0.5, true), ...repeat(40, 0.3, false)];
    assert.equal(chooseThreshold(clear), 0.5);
    assert.equal(chooseThreshold(repeat(30, 0.9, false)), 1, 'never right: always fall back');
  });

  it('answers where the evidence for falling back is within noise (one-standard-error rule)', () => {
    // The region below 0.6 loses by 2 of 8 messages: the best raw utility, but not supported by the data.
    const candidates = [
      ...[0.95, 0.9, 0.85, 0.8].map((confidence) => ({ confidence, correct: true })),
      { confidence: 0.6, correct: true },
      { confidence: 0.55, correct: false },
      { confidence: 0.4, correct: false },
      { confidence: 0.35, correct: false },
      { confidence: 0.3, correct: true },
    ];
    assert.equal(chooseThreshold(candidates), 0.3);
  });

  it('uses the default threshold and says so when the validation data is too small to calibrate on', () => {
    // Eight right answers would put the threshold at the lowest confidence seen (once 2e-8).
    const few = Array.from({ length: 8 }, (_, index) => Float32Array.of(index % 2 === 0 ? 4 : -20, index % 2 === 0 ? -20 : 4));
    const small = calibrateOnValidation(few, few.map((_, index) => index % 2), ['a', 'b']);
    assert.equal(small.threshold, DEFAULT_THRESHOLD);
    assert.equal(small.temperature, 1);
    assert.match(small.warning ?? '', /only 8 validation messages/);
    assert.notEqual(small.thresholdRule, THRESHOLD_RULE);

    const enough = Array.from({ length: MIN_CALIBRATION_MESSAGES }, (_, index) => Float32Array.of(index % 2 === 0 ? 4 : -20, index % 2 === 0 ? -20 : 4));
    const calibrated = calibrateOnValidation(enough, enough.map((_, index) => index % 2), ['a', 'b']);
    assert.equal(calibrated.warning, undefined);
    assert.equal(calibrated.thresholdRule, THRESHOLD_RULE);
  });

  it('counts confident answers to out-of-scope messages in the calibration error', () => {
    // Six right answers at 0.95 and two out-of-scope messages answered at 0.95: right 6 times in 8.
    const rows = [
      ...Array.from({ length: 6 }, () => ({ expected: 'a', predicted: 'a', topIntent: 'a', confidence: 0.95 })),
      ...Array.from({ length: 2 }, () => ({ expected: 'oos', predicted: 'a', topIntent: 'a', confidence: 0.95 })),
    ];
    assert.ok(Math.abs(scoreExamples(rows).ece - 0.2) < 1e-9, `ece ${scoreExamples(rows).ece}`);
  });
});

describe('micro-batcher', () => {
  it('runs a lone request at once and coalesces the ones that arrive meanwhile', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (inputs) => {
      batches.push(inputs);
      await new Promise((resolve) => setImmediate(resolve));
      return inputs.map((input) => input * 2);
    }, 3);
    assert.equal(await batcher.submit(1), 2);
    assert.deepEqual(batches, [[1]]);
    const results = await Promise.all([2, 3, 4, 5, 6].map((input) => batcher.submit(input)));
    assert.deepEqual(results, [4, 6, 8, 10, 12]);
    assert.deepEqual(batches.slice(1), [[2, 3, 4], [5, 6]], 'full batches of at most 3');
  });
});
