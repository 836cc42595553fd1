import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainContrastive, type SparseTexts } from '../../src/fitting/contrastive-trainer.ts';
import { createRandom } from '../../src/fitting/random.ts';

const WIDTH = 16;

/** Two topics of 40 texts (alternating); each text has `perText` of its topic's columns, unit length. */
function corpus(columnsPerTopic: number, perText: number): { texts: SparseTexts; topic: Int32Array } {
  const random = createRandom(5);
  const rowStart = [0];
  const column: number[] = [];
  const value: number[] = [];
  const topic = new Int32Array(80);
  for (let i = 0; i < 80; i++) {
    topic[i] = i % 2;
    const chosen = new Set<number>();
    while (chosen.size < perText) chosen.add(topic[i]! * columnsPerTopic + Math.floor(random() * columnsPerTopic));
    for (const c of [...chosen].sort((a, b) => a - b)) {
      column.push(c);
      value.push(1 / Math.sqrt(perText));
    }
    rowStart.push(column.length);
  }
  return { texts: { rows: 80, columns: 2 * columnsPerTopic, rowStart: Int32Array.from(rowStart), column: Int32Array.from(column), value: Float32Array.from(value) }, topic };
}

/** Mean cosine of the texts' bags over pairs that share no column: of the same topic, of different topics. */
function separation(texts: SparseTexts, topic: Int32Array, table: Float32Array): { same: number; different: number } {
  const bags = Array.from({ length: texts.rows }, (_, i) => {
    const bag = new Float64Array(WIDTH);
    for (let k = texts.rowStart[i]!; k < texts.rowStart[i + 1]!; k++) for (let j = 0; j < WIDTH; j++) bag[j]! += texts.value[k]! * table[texts.column[k]! * WIDTH + j]!;
    const norm = Math.hypot(...bag);
    return bag.map((x) => x / norm);
  });
  const columns = (i: number) => new Set(texts.column.subarray(texts.rowStart[i]!, texts.rowStart[i + 1]!));
  const sums = { same: [0, 0], different: [0, 0] };
  for (let i = 0; i < texts.rows; i++) {
    for (let j = i + 1; j < texts.rows; j++) {
      const own = columns(i);
      if ([...columns(j)].some((c) => own.has(c))) continue;
      const cosine = bags[i]!.reduce((sum, x, t) => sum + x * bags[j]![t]!, 0);
      const kind = topic[i] === topic[j] ? sums.same : sums.different;
      kind[0]! += cosine;
      kind[1]!++;
    }
  }
  return { same: sums.same[0]! / sums.same[1]!, different: sums.different[0]! / sums.different[1]! };
}

describe('contrastive training of the n-gram table', () => {
  const { texts, topic } = corpus(12, 4);
  // Each text's partners: 5 other texts of its topic (as its nearest neighbours would be).
  const partners = { k: 5, index: Int32Array.from({ length: texts.rows * 5 }, (_, p) => (Math.floor(p / 5) + 2 * (1 + (p % 5))) % texts.rows) };
  const options = { width: WIDTH, epochs: 30, batchSize: 16, featureDropout: 0.5, temperature: 0.3, learningRate: 0.05, partners, seed: 3 };

  it('pulls texts of the same topic together, also those without a common n-gram', () => {
    const initial = new Float32Array(texts.columns * WIDTH);
    const random = createRandom(9);
    for (let i = 0; i < initial.length; i++) initial[i] = random() - 0.5;
    const before = separation(texts, topic, initial);
    const after = separation(texts, topic, trainContrastive(texts, { ...options, initial }));
    assert.ok(before.same - before.different < 0.2, `before: ${JSON.stringify(before)}`);
    assert.ok(after.same - after.different > 0.5, `after: ${JSON.stringify(after)}`);
  });

  it('lowers the loss of telling two views of a text apart from the others (no partners)', () => {
    // Texts with many n-grams of their own, so that two views of one text can be told apart.
    const distinct = corpus(200, 10).texts;
    const losses: number[] = [];
    trainContrastive(distinct, { ...options, partners: undefined, featureDropout: 0.3, epochs: 15, onEpoch: (_, loss) => losses.push(loss) });
    assert.equal(losses.length, 15);
    assert.ok(losses.at(-1)! < 0.7 * losses[0]!, losses.join(' '));
  });

  it('is deterministic for a seed', () => {
    const a = trainContrastive(texts, { ...options, epochs: 3 });
    const b = trainContrastive(texts, { ...options, epochs: 3 });
    const c = trainContrastive(texts, { ...options, epochs: 3, seed: 4 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
});
