import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { relabelFromReference } from '../../bench/banking77-oos-labels.ts';
import { readDatasets } from '../../src/corpus/datasets.ts';
import { DATASETS_DIR } from '../helpers/datasets.ts';


test('each message takes its reference label: an in-scope intent, else out of scope; unknown messages keep theirs', () => {
  const reference = [
    { text: 'Where is my card?', intent: 'card_arrival' },
    { text: 'Is my card usable anywhere?', intent: 'card_acceptance' },
    { text: 'My top-up was reverted', intent: 'top_up_reverted' },
  ];
  const inScope = new Set(['card_arrival', 'card_acceptance']);
  const { examples, changed } = relabelFromReference(
    [
      { text: 'where is my card? ', intent: 'card_arrival' },
      { text: 'is my card usable anywhere?', intent: 'card_arrival' },
      { text: 'my top-up was reverted', intent: 'card_acceptance' },
      { text: 'never seen before', intent: 'card_arrival' },
    ],
    reference,
    inScope,
  );
  assert.deepEqual(
    examples.map((example) => example.intent),
    ['card_arrival', 'card_acceptance', 'oos', 'card_arrival'],
  );
  assert.equal(changed, 2);
});

test('the BANKING77-OOS release: 143 of its 2,000 in-scope test labels disagree with BANKING77', { skip: existsSync(DATASETS_DIR) ? false : `no datasets at ${DATASETS_DIR}` }, async () => {
  const reference = await readDatasets([join(DATASETS_DIR, 'banking77/train.csv'), join(DATASETS_DIR, 'banking77/test.csv')]);
  const inScopeTest = await readDatasets([join(DATASETS_DIR, 'banking77/oos/test')]);
  const inScope = new Set(inScopeTest.map((example) => example.intent));
  assert.equal(inScope.size, 50);
  const { examples, changed } = relabelFromReference(inScopeTest, reference, inScope);
  assert.equal(changed, 143);
  assert.equal(examples.filter((example) => example.intent === 'oos').length, 55, 'messages of held-out intents among the in-scope test lines');
});
