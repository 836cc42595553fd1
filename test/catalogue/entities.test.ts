// `intents/_entities.yaml`: the catalogue's entity types, validated strictly like `_bot.yaml`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CatalogueError, createCatalogue, loadCatalogue, type CatalogueProblem } from '../../src/catalogue/index.ts';
import { extractEntities } from '../../src/entities/index.ts';
import { fixtureDir, intentYaml } from './helpers.ts';

const VALID = `
phone_regions:
  en: US
  de: DE
types:
  - name: order_number
    pattern: '#\\d{5}\\b'
  - name: colour
    values:
      blue: [navy, blau]
      red:
`;

async function loadWith(entities: string) {
  const fixture = await fixtureDir({ 'alpha.yaml': intentYaml('alpha'), '_entities.yaml': entities });
  try {
    return { file: join(fixture.dir, '_entities.yaml'), catalogue: await loadCatalogue(fixture.dir) };
  } finally {
    await fixture.cleanup();
  }
}

async function problemsOf(entities: string): Promise<{ file: string; problems: readonly CatalogueProblem[] }> {
  const fixture = await fixtureDir({ 'alpha.yaml': intentYaml('alpha'), '_entities.yaml': entities });
  try {
    const error = await loadCatalogue(fixture.dir).then(() => assert.fail('the catalogue loaded'), (error: unknown) => error);
    assert.ok(error instanceof CatalogueError);
    return { file: join(fixture.dir, '_entities.yaml'), problems: error.problems };
  } finally {
    await fixture.cleanup();
  }
}

describe('_entities.yaml', () => {
  test('a valid file gives the extractor its types and phone regions', async () => {
    const { catalogue } = await loadWith(VALID);
    assert.deepEqual(catalogue.entities, {
      types: [{ name: 'order_number', pattern: '#\\d{5}\\b' }, { name: 'colour', values: { blue: ['navy', 'blau'], red: [] } }],
      phoneRegions: { en: 'US', de: 'DE' },
    });
    assert.ok(Object.isFrozen(catalogue.entities));
    const entities = extractEntities('Is #48213 the NAVY one? Call 030 12345678', catalogue.entities, { language: 'de' });
    assert.deepEqual(entities.map((entity) => [entity.type, entity.value]), [['order_number', '#48213'], ['colour', 'blue'], ['phone', '+493012345678']]);
  });

  test('without the file: no catalogue types, no phone regions', async () => {
    const fixture = await fixtureDir({ 'alpha.yaml': intentYaml('alpha') });
    try {
      assert.deepEqual((await loadCatalogue(fixture.dir)).entities, { types: [], phoneRegions: {} });
    } finally {
      await fixture.cleanup();
    }
  });

  test('an invalid regular expression is reported with its field and line', async () => {
    const { file, problems } = await problemsOf('types:\n  - name: order_number\n    pattern: "#(\\\\d{5}"\n');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.file, file);
    assert.equal(problems[0]!.field, 'types[0].pattern');
    assert.equal(problems[0]!.line, 3);
    assert.match(problems[0]!.message, /invalid regular expression/);
  });

  test('unknown fields are errors, at the top and in a type, naming what is allowed', async () => {
    const { problems } = await problemsOf('phone_region: US\ntypes:\n  - name: size\n    value: { M: [medium] }\n');
    const messages = problems.map((problem) => `${problem.field}: ${problem.message}`);
    assert.ok(messages.includes('phone_region: unknown field "phone_region" (allowed: phone_regions, types)'), messages.join('\n'));
    assert.ok(messages.includes('types[0].value: unknown field "value" (allowed: name, pattern, answer_pattern, values)'), messages.join('\n'));
  });

  test('every field rule: one of pattern or values, no built-in name, no empty match, known regions', async () => {
    const { problems } = await problemsOf(`
phone_regions:
  en: USA
types:
  - name: number
    pattern: '\\d+'
  - name: empty
    pattern: 'x*'
  - name: both
    pattern: 'a'
    values: { a: [] }
`);
    const messages = problems.map((problem) => `${problem.field}: ${problem.message}`).join('\n');
    assert.match(messages, /phone_regions\.en: a phone region must be a two-letter region code/);
    assert.match(messages, /types\[0\]\.name: name must not be a built-in type/);
    assert.match(messages, /types\[1\]\.pattern: the pattern must not match an empty text/);
    assert.match(messages, /types\[2\]: an entity type needs either pattern or values/);
  });

  test('rules across types: no repeated name, no synonym standing for two values', async () => {
    const { problems } = await problemsOf(`
types:
  - name: size
    values: { M: [medium], L: [Médium] }
  - name: size
    values: { S: [small] }
`);
    const messages = problems.map((problem) => `${problem.field}: ${problem.message}`).join('\n');
    assert.match(messages, /types\[0\]\.values\.L: "Médium" stands for both "M" and "L"/);
    assert.match(messages, /types\[1\]\.name: duplicate entity type "size" \(also types\[0\]\)/);
  });

  test('createCatalogue validates `entities` the same way', () => {
    const intent = { name: 'alpha', label: 'Alpha', description: 'Alpha.', examples: Array.from({ length: 8 }, (_, i) => `alpha ${i}`), answers: { en: ['A.'] } };
    assert.deepEqual(createCatalogue([intent], { entities: { types: [{ name: 'sku', pattern: 'SKU-\\d+' }] } }).entities.types, [{ name: 'sku', pattern: 'SKU-\\d+' }]);
    assert.throws(() => createCatalogue([intent], { entities: { types: [{ name: 'sku', pattern: '(' }] } }), (error: CatalogueError) => error.problems[0]!.field === 'entities.types[0].pattern');
  });

  test('the starter file finds the demo shop\'s order numbers, products, sizes and colours', async () => {
    const catalogue = await loadCatalogue('intents');
    const read = (text: string, language: string) => extractEntities(text, catalogue.entities, { language }).map((entity) => [entity.type, entity.value]);
    assert.deepEqual(read('Where is NW-2024-0042? And #48213, the Lumen lamp in navy, size XL?', 'en'), [
      ['order_number', 'NW-2024-0042'], ['order_number', '#48213'], ['product', 'Lumen table lamp'], ['colour', 'blue'], ['size', 'XL'],
    ]);
    assert.deepEqual(read('Der Blumentopf in Grün, Größe klein', 'de'), [['product', 'Terracotta planter'], ['colour', 'green'], ['size', 'S']]);
    assert.deepEqual(read('订单NW-2024-0042的马克杯，白色，大号', 'zh'), [['order_number', 'NW-2024-0042'], ['product', 'Harbour stoneware mug'], ['colour', 'white'], ['size', 'L']]);
  });
});
