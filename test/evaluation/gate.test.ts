import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { trainModel } from '../../src/fitting/train-builtin.ts';
import { runGate } from '../../src/evaluation/gate.ts';
import { createRandom } from '../../src/fitting/random.ts';
import type { LabelledExample } from '../../src/nlu/types.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const dir = temporaryDirectory();
const paths = { weak: join(dir.path, 'weak'), good: join(dir.path, 'good'), corrupted: join(dir.path, 'corrupted') };
const frozen: LabelledExample[] = [];
const recent: LabelledExample[] = [];

before(async () => {
  const examples = (await loadCatalogue('intents')).trainingExamples();
  const byIntent = new Map<string, LabelledExample[]>();
  for (const example of examples) byIntent.set(example.intent, [...(byIntent.get(example.intent) ?? []), example]);
  const train: LabelledExample[] = [];
  const weak: LabelledExample[] = [];
  for (const group of byIntent.values()) {
    frozen.push(...group.slice(0, 2));
    recent.push(...group.slice(2, 4));
    train.push(...group.slice(4));
    weak.push(...group.slice(4, 7));
  }
  const random = createRandom(7);
  const shuffledIntents = train.map((example) => example.intent);
  for (let i = shuffledIntents.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffledIntents[i], shuffledIntents[j]] = [shuffledIntents[j]!, shuffledIntents[i]!];
  }
  const options = { seed: 1, hyperparameters: { maxEpochs: 8 } };
  await trainModel(weak, { ...options, outDir: paths.weak });
  await trainModel(train, { ...options, outDir: paths.good });
  await trainModel(train.map((example, index) => ({ text: example.text, intent: shuffledIntents[index]! })), { ...options, outDir: paths.corrupted });
});

after(() => dir.remove());

test('a better candidate is promoted', async () => {
  const report = await runGate({ candidate: { name: 'good', artifactPath: paths.good }, active: { name: 'weak', artifactPath: paths.weak }, frozen, recent, margin: 0.01 });
  assert.equal(report.decision, 'promote', report.reasons.join('\n'));
  assert.ok(report.sets.frozen!.delta! > 0);
  assert.equal(report.sets.frozen!.n, frozen.length);
  assert.equal(report.sets.recent!.n, recent.length);
});

test('a candidate trained on shuffled labels is rejected, with the numbers in its report', async () => {
  const report = await runGate({ candidate: { name: 'corrupted', artifactPath: paths.corrupted }, active: { name: 'good', artifactPath: paths.good }, frozen, recent, margin: 0.01 });
  assert.equal(report.decision, 'reject');
  assert.equal(report.sets.frozen!.passed, false);
  assert.ok(report.sets.frozen!.candidate.accuracy < report.sets.frozen!.active!.accuracy - 0.2);
  assert.match(report.reasons.join('\n'), /frozen set .* worse/);
});

test('the same model is not worse than itself; a huge margin lets anything through; no data rejects', async () => {
  assert.equal((await runGate({ candidate: { name: 'a', artifactPath: paths.good }, active: { name: 'b', artifactPath: paths.good }, frozen, recent })).decision, 'promote');
  assert.equal((await runGate({ candidate: { name: 'a', artifactPath: paths.corrupted }, active: { name: 'b', artifactPath: paths.good }, frozen, recent, margin: 1 })).decision, 'promote');
  const empty = await runGate({ candidate: { name: 'a', artifactPath: paths.good }, active: { name: 'b', artifactPath: paths.weak }, frozen: [], recent: [] });
  assert.equal(empty.decision, 'reject');
  assert.equal((await runGate({ candidate: { name: 'a', artifactPath: paths.weak }, active: null, frozen, recent })).decision, 'promote');
});
