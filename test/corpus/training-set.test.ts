import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleTrainingSet } from '../../src/corpus/training-set.ts';

test('corrections win over the catalogue and older labels; duplicates collapse', () => {
  const set = assembleTrainingSet(
    [{ text: 'Where is my order?', intent: 'track_order' }, { text: 'hello', intent: 'greeting' }],
    [
      { text: 'where is  my ORDER?', intent: 'delivery_period' },
      { text: 'refund please', intent: 'get_refund' },
      { text: 'refund please', intent: 'track_refund' },
      { text: '   ', intent: 'oos' },
    ],
  );
  assert.deepEqual(set, [
    { text: 'hello', intent: 'greeting' },
    { text: 'where is  my ORDER?', intent: 'delivery_period' },
    { text: 'refund please', intent: 'track_refund' },
  ]);
});
