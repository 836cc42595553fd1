// Intents with forms (issue 17): slots typed by entity types, an action with the variables it
// returns, and answer templates whose every placeholder must be a slot or a returned variable.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CatalogueError, createCatalogue, loadCatalogue } from '../../src/catalogue/index.ts';
import { examples, fixtureDir, intentYaml } from './helpers.ts';

const FORM = `slots:
  - name: order_number
    entity: order_number
    prompt:
      en: "What is your order number?"
      de: "Wie lautet Ihre Bestellnummer?"
  - name: email
    entity: email
    required: false
    max_asks: 3
    prompt:
      en: "Which email address?"
action:
  name: track_order
  returns: [carrier, tracking_url]
templates:
  order_shipped:
    en: "Order {{order_number}} is with {{carrier}}: {{tracking_url}}"
    de: "Bestellung {{order_number}} ist bei {{carrier}}{{#tracking_url}}: {{tracking_url}}{{/tracking_url}}"
`;
const ENTITIES = `types:\n  - name: order_number\n    pattern: 'NW-\\d{4}-\\d{4}'\n`;

/** The problems loading these files reports, as `file:line field: message`. */
async function problems(files: Record<string, string>): Promise<string[]> {
  const { dir, cleanup } = await fixtureDir(files);
  try {
    await loadCatalogue(dir);
  } catch (error) {
    assert.ok(error instanceof CatalogueError, String(error));
    return error.problems.map((problem) => `${problem.file.slice(dir.length + 1)}:${problem.line ?? '-'} ${problem.field ?? '-'}: ${problem.message}`);
  } finally {
    await cleanup();
  }
  return [];
}

describe('forms in the catalogue', () => {
  test('slots, the action and its templates load; templates render without HTML escaping (values Markdown-escaped) and fall back to en', async () => {
    const { dir, cleanup } = await fixtureDir({ 'find_order.yaml': intentYaml('find_order', { extra: FORM }), '_entities.yaml': ENTITIES });
    try {
      const catalogue = await loadCatalogue(dir);
      const intent = catalogue.get('find_order')!;
      assert.deepEqual(intent.slots.map(({ name, entity, required, maxAsks }) => ({ name, entity, required, maxAsks })), [
        { name: 'order_number', entity: 'order_number', required: true, maxAsks: 2 },
        { name: 'email', entity: 'email', required: false, maxAsks: 3 },
      ]);
      assert.deepEqual(intent.action, { name: 'track_order', returns: ['carrier', 'tracking_url'], onInterruption: 'resume' });
      assert.equal(catalogue.slotPrompt('find_order', 'order_number', 'de-AT'), 'Wie lautet Ihre Bestellnummer?');
      assert.equal(catalogue.slotPrompt('find_order', 'email', 'de'), 'Which email address?');
      const variables = { order_number: 'NW-2024-0042', carrier: 'UPS', tracking_url: 'https://t.example/ups/1Z?a=1&b=<2>' };
      assert.equal(catalogue.renderTemplate('find_order', 'order_shipped', 'fr', variables), 'Order NW-2024-0042 is with UPS: https://t.example/ups/1Z?a=1&b=\\<2>');
      assert.equal(catalogue.renderTemplate('find_order', 'order_shipped', 'de', { ...variables, tracking_url: null }), 'Bestellung NW-2024-0042 ist bei UPS');
      assert.equal(catalogue.renderTemplate('find_order', 'order_lost', 'en', variables), undefined);
    } finally {
      await cleanup();
    }
  });

  test('a template placeholder that is neither a slot nor returned by the action is a load error, with file and line', async () => {
    const found = await problems({
      'find_order.yaml': intentYaml('find_order', { extra: FORM.replace('{{carrier}}:', '{{carrier}} on {{expected_date}}:') }),
      '_entities.yaml': ENTITIES,
    });
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /^find_order\.yaml:\d+ templates\.order_shipped\.en: placeholder \{\{expected_date\}\} is neither a slot nor returned by action "track_order"/);
  });

  test('strict: unknown entity types and fields, slots without an action, an action without templates, partials, duplicate slots', async () => {
    const found = await problems({
      'unknown_type.yaml': intentYaml('unknown_type', { extra: FORM }),
      'typo.yaml': intentYaml('typo', { extra: FORM.replace('required: false', 'requird: false').replace('returns:', 'return:') }),
      'no_action.yaml': intentYaml('no_action', { extra: FORM.slice(0, FORM.indexOf('action:')) }),
      'no_templates.yaml': intentYaml('no_templates', { extra: FORM.slice(0, FORM.indexOf('templates:')) }),
      'partial.yaml': intentYaml('partial', { extra: `${FORM.replace('entity: order_number', 'entity: email').replace('{{carrier}}:', '{{> footer}}')}` }),
      'twice.yaml': intentYaml('twice', { extra: FORM.replace('name: email', 'name: order_number').replace('entity: order_number', 'entity: email') }),
    });
    const expected = [
      /^unknown_type\.yaml:\d+ slots\[0\]\.entity: unknown entity type "order_number"/,
      /^typo\.yaml:\d+ slots\[1\]\.requird: unknown field "requird" \(allowed: name, entity, required, max_asks, prompt\)/,
      /^typo\.yaml:\d+ action\.return: unknown field "return" \(allowed: name, returns, on_interruption\)/,
      /^no_action\.yaml:\d+ slots: slots need an action/,
      /^no_templates\.yaml:\d+ templates: action "track_order" needs templates/,
      /^partial\.yaml:\d+ templates\.order_shipped\.en: partials/,
      /^twice\.yaml:\d+ slots\[1\]\.name: duplicate slot "order_number"/,
    ];
    for (const pattern of expected) assert.ok(found.some((problem) => pattern.test(problem)), `${pattern} not in:\n${found.join('\n')}`);
  });

  test('in memory: the same rules, and an intent that hands over runs no action', () => {
    assert.throws(
      () => createCatalogue([{ name: 'a', label: 'A', description: 'x', handoff: true, examples: examples('a'), answers: { en: ['a'] }, action: { name: 'track_order' }, templates: { done: { en: 'Done {{what}}.' } } }]),
      (error: unknown) => {
        assert.ok(error instanceof CatalogueError);
        assert.deepEqual(error.problems.map((problem) => problem.field).sort(), ['intents[0].action', 'intents[0].templates.done.en']);
        return true;
      },
    );
    assert.throws(() => createCatalogue([{ name: 'b', label: 'B', description: 'x', examples: examples('b'), answers: { en: ['{{x}}'] } }]), /without \{\{\.\.\.\}\} placeholders/);
  });

  test('the starter catalogue: track_order asks for the order number, then the e-mail address when the shop needs it', async () => {
    const catalogue = await loadCatalogue(join(import.meta.dirname, '../../intents'));
    const trackOrder = catalogue.get('track_order')!;
    assert.deepEqual(trackOrder.slots.map((slot) => [slot.name, slot.entity, slot.required]), [['order_number', 'order_number', true], ['email', 'email', false]]);
    assert.equal(trackOrder.action?.name, 'track_order');
    for (const template of ['order_processing', 'order_shipped', 'order_delivered', 'order_cancelled', 'order_not_found']) {
      for (const language of ['en', 'de', 'zh', 'fr', 'es']) assert.ok(trackOrder.templates[template]?.[language], `${template}/${language}`);
    }
    for (const language of catalogue.languages) {
      assert.notEqual(catalogue.botText('action_failed', language), '', language);
      assert.notEqual(catalogue.botText('form_cancelled', language), '', language);
    }
  });
});
