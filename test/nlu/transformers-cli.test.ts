import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { loadAnyModel } from '../../src/nlu/index.ts';
import { createTinyBert } from '../fixtures/tiny-bert.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const root = join(import.meta.dirname, '../..');

function frontdesk(...args: string[]) {
  const run = spawnSync(process.execPath, ['bin/frontdesk.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('`frontdesk train --encoder transformers` trains a head on a local pretrained encoder, and eval and the runtime load it', async () => {
  const dir = temporaryDirectory();
  try {
    const catalogue = await loadCatalogue(join(root, 'intents'));
    const wanted = new Set(['track_order', 'recover_password', 'get_invoice', 'greeting']);
    const examples = catalogue.trainingExamples().filter((example) => wanted.has(example.intent));
    await createTinyBert(join(dir.path, 'tiny-bert'), catalogue.trainingExamples().map((example) => example.text));
    const csv = join(dir.path, 'train.csv');
    writeFileSync(csv, `text,intent\n${examples.map((e) => `"${e.text.replaceAll('"', '""')}",${e.intent}`).join('\n')}\n`);

    const trained = frontdesk('train', '--encoder', 'transformers', '--encoder-model', join(dir.path, 'tiny-bert'), '--data', csv, '--out', join(dir.path, 'model'));
    assert.equal(trained.status, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.encoder, 'transformers');
    assert.equal(summary.labels, 4);

    const evaluated = frontdesk('eval', '--model', join(dir.path, 'model'), '--data', csv, '--json');
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const metrics = JSON.parse(evaluated.stdout.trim().split('\n').at(-1)!);
    assert.equal(metrics.n, examples.length);
    assert.ok(metrics.accuracy > 0.5, `accuracy ${metrics.accuracy} is well above chance (0.25)`);

    const model = await loadAnyModel(join(dir.path, 'model'));
    try {
      const prediction = await model.classify('where is my order');
      assert.ok(wanted.has(prediction.topIntent));
      const [vector] = await model.embed(['where is my order']);
      assert.ok(vector!.length > 0);
    } finally {
      await model.close();
    }

    const missing = frontdesk('train', '--encoder', 'transformers', '--encoder-model', join(dir.path, 'nope'), '--data', csv, '--out', join(dir.path, 'model2'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ENCODER_NOT_FOUND/);
  } finally {
    dir.remove();
  }
});
