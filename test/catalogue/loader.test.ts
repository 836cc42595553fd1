import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CatalogueError, loadCatalogue, type CatalogueProblem } from '../../src/catalogue/index.ts';
import { examples, fixtureDir, intentYaml } from './helpers.ts';

/** Loads `files` from a temporary directory and returns the CatalogueError it must throw. */
async function loadError(files: Record<string, string>): Promise<{ error: CatalogueError; dir: string }> {
  const { dir, cleanup } = await fixtureDir(files);
  try {
    await loadCatalogue(dir);
  } catch (error) {
    assert.ok(error instanceof CatalogueError, `expected a CatalogueError, got ${String(error)}`);
    assert.equal(error.code, 'CATALOGUE_INVALID');
    return { error, dir };
  } finally {
    await cleanup();
  }
  assert.fail('loadCatalogue should have thrown');
}

function find(problems: readonly CatalogueProblem[], file: string, field: string | undefined): CatalogueProblem {
  const problem = problems.find((p) => p.file === file && p.field === field);
  assert.ok(problem, `no problem for ${file} ${field}; got:\n${problems.map((p) => `${p.file} ${p.field}: ${p.message}`).join('\n')}`);
  return problem;
}

describe('loadCatalogue on fixtures', () => {
  test('_out_of_scope.yaml: its examples train the oos class, after every intent example', async () => {
    const { dir, cleanup } = await fixtureDir({
      'alpha.yaml': intentYaml('alpha'),
      'beta.yaml': intentYaml('beta'),
      '_out_of_scope.yaml': 'examples:\n  - asdf jkl\n  - "  what is the weather like  "\n',
    });
    try {
      const catalogue = await loadCatalogue(dir);
      assert.deepEqual(catalogue.intents.map((i) => i.name), ['alpha', 'beta']);
      assert.deepEqual(catalogue.outOfScope, ['asdf jkl', 'what is the weather like']);
      const training = catalogue.trainingExamples();
      assert.equal(training.length, 18);
      assert.deepEqual(training.slice(-2), [
        { text: 'asdf jkl', intent: 'oos' },
        { text: 'what is the weather like', intent: 'oos' },
      ]);
    } finally {
      await cleanup();
    }
  });

  test('_out_of_scope.yaml is validated strictly and may not repeat an intent example', async () => {
    const { error, dir } = await loadError({
      'alpha.yaml': intentYaml('alpha'),
      'beta.yaml': intentYaml('beta'),
      '_out_of_scope.yaml': 'examples:\n  - nonsense\n  - Alpha example number 2!\n  - "NONSENSE"\n  - ""\nexample: typo\n',
    });
    const file = join(dir, '_out_of_scope.yaml');
    assert.match(find(error.problems, file, 'example').message, /unknown field "example" \(allowed: examples\)/);
    assert.match(find(error.problems, file, 'examples[3]').message, /must not be empty/);
    const { error: crossError, dir: crossDir } = await loadError({
      'alpha.yaml': intentYaml('alpha'),
      'beta.yaml': intentYaml('beta'),
      '_out_of_scope.yaml': 'examples:\n  - nonsense\n  - Alpha example number 2!\n  - "NONSENSE"\n',
    });
    const crossFile = join(crossDir, '_out_of_scope.yaml');
    const labelledTwice = find(crossError.problems, crossFile, 'examples[1]');
    assert.match(labelledTwice.message, /also an example of intent "alpha"/);
    assert.equal(labelledTwice.line, 3);
    assert.match(find(crossError.problems, crossFile, 'examples[2]').message, /duplicate out-of-scope example/);
  });

  test('_out_of_scope.yaml must be a mapping with examples, and no intent may be named oos', async () => {
    const { error, dir } = await loadError({
      'alpha.yaml': intentYaml('alpha'),
      'oos.yaml': intentYaml('oos'),
      '_out_of_scope.yaml': '- just a list\n',
    });
    assert.match(find(error.problems, join(dir, '_out_of_scope.yaml'), undefined).message, /must be a YAML mapping with examples/);
    assert.match(find(error.problems, join(dir, 'oos.yaml'), 'name').message, /reserved for out-of-scope examples/);
  });

  test('loads valid files and ignores sub-directories and non-YAML files', async () => {
    const { dir, cleanup } = await fixtureDir({
      'alpha.yaml': intentYaml('alpha'),
      'beta.yml': intentYaml('beta', { extra: '' }),
      'README.md': '# not an intent',
      '.hidden.yaml': 'this: is: not valid',
      'knowledge/returns.md': '# Returns\n30 days.',
      'knowledge/broken.yaml': ': : :',
    });
    try {
      const catalogue = await loadCatalogue(dir);
      assert.deepEqual(catalogue.intents.map((i) => i.name), ['alpha', 'beta']);
      const alpha = catalogue.get('alpha');
      assert.ok(alpha);
      assert.equal(alpha.handoff, false);
      assert.deepEqual(alpha.answers, { en: ['First answer.', 'Second answer.'] });
      assert.equal(catalogue.trainingExamples().length, 16);
      assert.deepEqual(catalogue.trainingExamples()[0], { text: 'alpha example number 1', intent: 'alpha' });
    } finally {
      await cleanup();
    }
  });

  test('handoff defaults to false and strings are trimmed', async () => {
    const yaml = intentYaml('gamma', { examples: ['  padded example  ', ...examples('gamma', 7)] }).replace('handoff: false\n', '');
    const { dir, cleanup } = await fixtureDir({ 'gamma.yaml': yaml });
    try {
      const gamma = (await loadCatalogue(dir)).get('gamma');
      assert.equal(gamma?.handoff, false);
      assert.equal(gamma?.examples[0], 'padded example');
    } finally {
      await cleanup();
    }
  });

  test('malformed YAML names the file and the line', async () => {
    const { error, dir } = await loadError({
      'good.yaml': intentYaml('good'),
      'broken.yaml': 'name: broken\nexamples:\n  - "unterminated\nlabel: [oops\n',
    });
    assert.equal(error.file, join(dir, 'broken.yaml'));
    const problem = error.problems[0]!;
    assert.match(problem.message, /malformed YAML/);
    assert.equal(typeof problem.line, 'number');
  });

  test('a duplicate key is malformed YAML', async () => {
    const { error, dir } = await loadError({ 'dup.yaml': intentYaml('dup', { extra: 'label: again\n' }) });
    assert.equal(error.file, join(dir, 'dup.yaml'));
    assert.match(error.problems[0]!.message, /malformed YAML.*(unique|duplicate)/i);
  });

  test('wrong types: every offending field is reported, with its line', async () => {
    const yaml = [
      'name: typed',
      'label: 42',
      'description: Wrong types everywhere.',
      'handoff: "yes"',
      'examples: just one string',
      'answers:',
      '  en: not a list',
      '',
    ].join('\n');
    const { error, dir } = await loadError({ 'typed.yaml': yaml });
    const file = join(dir, 'typed.yaml');
    assert.equal(error.file, file);
    assert.equal(find(error.problems, file, 'label').line, 2);
    assert.equal(find(error.problems, file, 'handoff').line, 4);
    assert.match(find(error.problems, file, 'examples').message, /list/);
    assert.equal(find(error.problems, file, 'answers.en').line, 7);
    // no follow-up noise for a field whose type is already wrong
    assert.equal(error.problems.filter((p) => p.field === 'examples').length, 1);
  });

  test('missing fields, empty and placeholder strings, unknown fields, too few examples', async () => {
    const yaml = [
      'name: sloppy',
      'label: ""',
      'handof: true',
      'examples:',
      '  - where is order {{Order Number}}',
      '  - "   "',
      '  - a fine example',
      'answers:',
      '  en:',
      '    - "Your order {{Order Number}} is on its way."',
      '',
    ].join('\n');
    const { error, dir } = await loadError({ 'sloppy.yaml': yaml });
    const file = join(dir, 'sloppy.yaml');
    assert.match(find(error.problems, file, 'label').message, /empty/);
    assert.match(find(error.problems, file, 'description').message, /required/);
    const unknown = find(error.problems, file, 'handof');
    assert.match(unknown.message, /unknown field/);
    assert.equal(unknown.line, 3);
    assert.match(find(error.problems, file, 'examples[0]').message, /placeholder/);
    assert.equal(find(error.problems, file, 'examples[0]').line, 5);
    assert.match(find(error.problems, file, 'examples[1]').message, /empty/);
    assert.match(find(error.problems, file, 'examples').message, /at least 8/);
    assert.match(find(error.problems, file, 'answers.en[0]').message, /placeholder/);
  });

  test('a name that differs from the file name', async () => {
    const { error, dir } = await loadError({ 'track_order.yaml': intentYaml('track_parcel') });
    const file = join(dir, 'track_order.yaml');
    assert.equal(error.file, file);
    assert.equal(error.field, 'name');
    assert.match(error.problems[0]!.message, /track_parcel.*track_order/);
    assert.equal(error.problems[0]!.line, 1);
  });

  test('a name that is not snake_case', async () => {
    const { error, dir } = await loadError({ 'Track-Order.yaml': intentYaml('Track-Order') });
    assert.equal(error.file, join(dir, 'Track-Order.yaml'));
    assert.equal(error.field, 'name');
    assert.match(error.problems[0]!.message, /snake_case/);
  });

  test('duplicate names (x.yaml and x.yml)', async () => {
    const { error, dir } = await loadError({
      'twin.yaml': intentYaml('twin'),
      'twin.yml': intentYaml('twin', { examples: examples('other twin') }),
    });
    assert.equal(error.problems.length, 1);
    assert.equal(error.file, join(dir, 'twin.yml'));
    assert.equal(error.field, 'name');
    assert.match(error.problems[0]!.message, /duplicate intent name "twin".*twin\.yaml/);
  });

  test('an utterance labelled with two intents (case and punctuation do not matter)', async () => {
    const { error, dir } = await loadError({
      'a_first.yaml': intentYaml('a_first', { examples: ['Where is my order?', ...examples('first', 7)] }),
      'b_second.yaml': intentYaml('b_second', { examples: [...examples('second', 8), 'where is my  ORDER'] }),
    });
    assert.equal(error.problems.length, 1);
    assert.equal(error.file, join(dir, 'b_second.yaml'));
    assert.equal(error.field, 'examples[8]');
    assert.equal(error.problems[0]!.line, 14);
    assert.match(error.problems[0]!.message, /also an example of intent "a_first"/);
  });

  test('the same example twice in one intent', async () => {
    const { error, dir } = await loadError({
      'echo.yaml': intentYaml('echo', { examples: [...examples('echo', 8), 'Echo example number 3!'] }),
    });
    assert.equal(error.file, join(dir, 'echo.yaml'));
    assert.equal(error.field, 'examples[8]');
    assert.match(error.problems[0]!.message, /duplicate example.*examples\[2\]/);
  });

  test('missing en answers, bad language codes, empty variant lists', async () => {
    const { error, dir } = await loadError({
      'german.yaml': intentYaml('german', { answers: 'answers:\n  de:\n    - "Nur Deutsch."\n  FR: ["Non."]\n  es: []\n' }),
    });
    const file = join(dir, 'german.yaml');
    assert.match(find(error.problems, file, 'answers.en').message, /en/);
    assert.match(find(error.problems, file, 'answers.FR').message, /language code/);
    assert.equal(find(error.problems, file, 'answers.FR').line, 17);
    assert.match(find(error.problems, file, 'answers.es').message, /at least one/);
  });

  test('all problems of all files are reported, not only the first', async () => {
    const { error, dir } = await loadError({
      'one.yaml': intentYaml('uno'),
      'two.yaml': 'name: [',
      'three.yaml': intentYaml('three', { answers: 'answers:\n  de: ["x"]\n' }),
      'four.yaml': '',
      'five.yaml': '- just\n- a list\n',
      'six.yaml': intentYaml('six'),
    });
    const files = new Set(error.problems.map((p) => p.file));
    assert.deepEqual(
      [...files].sort(),
      ['five.yaml', 'four.yaml', 'one.yaml', 'three.yaml', 'two.yaml'].map((f) => join(dir, f)).sort(),
    );
    assert.match(find(error.problems, join(dir, 'four.yaml'), undefined).message, /empty/);
    assert.match(find(error.problems, join(dir, 'five.yaml'), undefined).message, /mapping/);
    for (const problem of error.problems) assert.ok(error.message.includes(problem.message));
    assert.match(error.message, /5 problems/);
  });

  test('a missing or empty directory', async () => {
    const { dir, cleanup } = await fixtureDir({ 'knowledge/faq.md': '# FAQ' });
    try {
      await assert.rejects(loadCatalogue(dir), (error: unknown) => {
        assert.ok(error instanceof CatalogueError);
        assert.equal(error.file, dir);
        assert.match(error.message, /no intent files/);
        return true;
      });
      await assert.rejects(loadCatalogue(join(dir, 'nope')), (error: unknown) => {
        assert.ok(error instanceof CatalogueError);
        assert.match(error.message, /does not exist/);
        return true;
      });
    } finally {
      await cleanup();
    }
  });

  test('minExamples can be lowered', async () => {
    const { dir, cleanup } = await fixtureDir({ 'tiny.yaml': intentYaml('tiny', { examples: ['only one'] }) });
    try {
      await assert.rejects(loadCatalogue(dir), CatalogueError);
      const catalogue = await loadCatalogue(dir, { minExamples: 1 });
      assert.deepEqual(catalogue.get('tiny')?.examples, ['only one']);
    } finally {
      await cleanup();
    }
  });
});
