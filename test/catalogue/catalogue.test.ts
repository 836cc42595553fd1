import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  BOT_TEXT_KEYS,
  CatalogueError,
  createCatalogue,
  loadCatalogue,
  normalizeExample,
  UnknownIntentError,
  type IntentDefinition,
} from '../../src/catalogue/index.ts';
import { examples } from './helpers.ts';
import { DATASETS_DIR } from '../helpers/datasets.ts';

const INTENTS_DIR = fileURLToPath(new URL('../../intents/', import.meta.url));
const BITEXT_CSV = join(DATASETS_DIR, 'bitext/Bitext_Sample_Customer_Support_Training_Dataset_v_2023-08-18.csv');

/** The 27 intents of the Bitext customer-support dataset, which the starter catalogue covers. */
const BITEXT_INTENTS = [
  'cancel_order', 'change_order', 'change_shipping_address', 'check_cancellation_fee', 'check_invoice',
  'check_payment_methods', 'check_refund_policy', 'complaint', 'contact_customer_service', 'contact_human_agent',
  'create_account', 'delete_account', 'delivery_options', 'delivery_period', 'edit_account', 'get_invoice',
  'get_refund', 'newsletter_subscription', 'payment_issue', 'place_order', 'recover_password',
  'registration_problems', 'review', 'set_up_shipping_address', 'switch_account', 'track_order', 'track_refund',
];
const SMALL_TALK = ['goodbye', 'greeting', 'thanks'];
const STARTER_LANGUAGES = ['en', 'de', 'zh', 'fr', 'es'];

/** Link paths the answers may point to (the shop's pages); keep docs/catalogue.md in step. */
const KNOWN_PATHS = new Set([
  '/account/orders', '/account/returns', '/account/invoices', '/account/settings', '/account/addresses',
  '/account/payment-methods', '/login/forgot-password', '/register', '/contact', '/cart', '/track',
  '/help/shipping', '/help/returns', '/help/payment', '/feedback',
]);

/** A small RFC 4180 reader: quoted fields may hold commas, newlines and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field.replace(/\r$/, '')), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

const catalogue = await loadCatalogue(INTENTS_DIR);
const allAnswers = (intent: IntentDefinition) => Object.values(intent.answers).flat();

describe('the starter catalogue in intents/', () => {
  test('covers the 27 Bitext intents plus greeting, goodbye and thanks', () => {
    assert.deepEqual(catalogue.intents.map((i) => i.name), [...BITEXT_INTENTS, ...SMALL_TALK].sort());
  });

  test('the Bitext intent list matches the dataset', { skip: !existsSync(BITEXT_CSV) && 'dataset not present' }, () => {
    const [header, ...rows] = parseCsv(readFileSync(BITEXT_CSV, 'utf8'));
    const column = header!.indexOf('intent');
    assert.ok(column >= 0, 'the CSV has an intent column');
    const intents = new Set(rows.filter((row) => row.length > column).map((row) => row[column]!));
    assert.deepEqual([...intents].sort(), BITEXT_INTENTS);
  });

  test('every intent has 12–25 examples per starter language except German (6+), 2–3 English answers, answers and labels in all five', () => {
    const han = /\p{Script=Han}/u;
    for (const intent of catalogue.intents) {
      const chinese = intent.examples.filter((example) => han.test(example)).length;
      const others = intent.examples.length - chinese;
      assert.ok(chinese >= 6 && chinese <= 25, `${intent.name}: ${chinese} Chinese examples`);
      assert.ok(others >= 12 + 3 * 6 && others <= 4 * 25, `${intent.name}: ${others} examples in the other languages`);
      const en = intent.answers.en ?? [];
      assert.ok(en.length >= 2 && en.length <= 3, `${intent.name}: ${en.length} en answers`);
      for (const language of STARTER_LANGUAGES) {
        assert.ok((intent.answers[language] ?? []).length >= 1, `${intent.name}: no ${language} answers`);
        if (language !== 'en') assert.ok(intent.labels[language], `${intent.name}: no ${language} label`);
      }
    }
  });

  test('the bot\'s own texts are in all five languages', () => {
    assert.deepEqual([...catalogue.languages].sort(), [...STARTER_LANGUAGES].sort());
    for (const key of BOT_TEXT_KEYS) {
      for (const language of STARTER_LANGUAGES) assert.notEqual(catalogue.botText(key, language), language === 'en' ? '' : catalogue.botText(key, 'en'), `${key}/${language}`);
    }
  });

  test('names and labels are unique, no utterance has two intents', () => {
    const names = catalogue.intents.map((i) => i.name);
    assert.equal(new Set(names).size, names.length);
    const labels = catalogue.intents.map((i) => i.label.toLowerCase());
    assert.equal(new Set(labels).size, labels.length);
    const texts = catalogue.trainingExamples().map((e) => normalizeExample(e.text));
    assert.equal(new Set(texts).size, texts.length);
  });

  test('only complaint and contact_human_agent hand over to a person', () => {
    assert.deepEqual(catalogue.intents.filter((i) => i.handoff).map((i) => i.name), ['complaint', 'contact_human_agent']);
  });

  test('some of the most common intents answer in German', () => {
    for (const name of ['track_order', 'cancel_order', 'get_refund', 'delivery_period', 'contact_human_agent', 'greeting']) {
      assert.ok((catalogue.get(name)?.answers.de ?? []).length >= 1, name);
    }
  });

  test('answers link only to known pages', () => {
    for (const intent of catalogue.intents) {
      for (const answer of allAnswers(intent)) {
        for (const [path] of answer.matchAll(/(?<![\w.])\/[a-z][a-z0-9-]*(?:\/[a-z0-9-]+)*/g)) {
          assert.ok(KNOWN_PATHS.has(path), `${intent.name}: unknown link ${path} in "${answer}"`);
        }
      }
    }
  });

  test('answers state the same policy facts', () => {
    // 30-day returns (7 days to report damage); refunds in 5–10 business days; standard 3–5, express 1–2
    // business days; free US shipping from $50 (as in intents/knowledge/shipping.md)
    const allowedRanges = new Set(['1–2', '3–5', '5–10']);
    for (const intent of catalogue.intents) {
      for (const answer of allAnswers(intent)) {
        for (const [, range] of answer.matchAll(/(\d+\s*[–-]\s*\d+)\s+(?:business days|Werktag)/g)) {
          assert.ok(allowedRanges.has(range!.replace(/\s/g, '').replace('-', '–')), `${intent.name}: "${range}" in "${answer}"`);
        }
        for (const [, days] of answer.matchAll(/(?<![–-])\b(\d+)\s+(?:days|Tage)/g)) {
          assert.ok(days === '30' || days === '7', `${intent.name}: "${days} days" in "${answer}"`);
        }
        for (const [amount] of answer.matchAll(/\$\s?\d+|\d+\s?\$/g)) {
          assert.match(amount, /50/, `${intent.name}: "${amount}" in "${answer}"`);
        }
      }
    }
  });

  test('answers are short: at most 3 sentences and 400 characters', () => {
    for (const intent of catalogue.intents) {
      for (const answer of allAnswers(intent)) {
        assert.ok(answer.length <= 400, `${intent.name}: ${answer.length} chars`);
        const sentences = answer.split(/(?<=[.!?])\s+(?=[A-Z„"])/).length;
        assert.ok(sentences <= 3, `${intent.name}: ${sentences} sentences in "${answer}"`);
      }
    }
  });

  test('trainingExamples lists every example once, labelled with its intent, then the out-of-scope examples as oos', () => {
    const training = catalogue.trainingExamples();
    assert.equal(training.length, catalogue.intents.reduce((n, i) => n + i.examples.length, 0) + catalogue.outOfScope.length);
    assert.ok(training.some((e) => e.text === 'where is my order' && e.intent === 'track_order'));
    assert.deepEqual(new Set(training.map((e) => e.intent)), new Set([...catalogue.intents.map((i) => i.name), 'oos']));
    assert.deepEqual(training.filter((e) => e.intent === 'oos').map((e) => e.text), catalogue.outOfScope);
  });

  test('out-of-scope examples in every starter language (keyboard mashes, off-topic, knowledge-only questions)', () => {
    assert.ok(catalogue.outOfScope.length >= 100, `${catalogue.outOfScope.length} out-of-scope examples`);
    assert.ok(catalogue.outOfScope.filter((text) => /\p{Script=Han}/u.test(text)).length >= 15, 'Chinese out-of-scope examples');
    // knowledge-only topics (warranty) in each language, so that their questions fall back to the documents
    for (const word of ['guarantee', 'Garantie', '保修', 'garantie', 'garantía']) {
      assert.ok(catalogue.outOfScope.some((text) => text.includes(word)), word);
    }
  });
});

describe('Catalogue API', () => {
  const small = createCatalogue([
    {
      name: 'zeta',
      label: 'Zeta',
      description: 'Last.',
      examples: examples('zeta'),
      answers: { en: ['en 0', 'en 1', 'en 2'], de: ['de 0', 'de 1'], 'pt-BR': ['pt-BR 0'] },
    },
    { name: 'alpha', label: 'Alpha', description: 'First.', handoff: true, examples: examples('alpha'), answers: { en: ['only'] } },
  ]);

  test('intents are sorted by name and read-only', () => {
    assert.deepEqual(small.intents.map((i) => i.name), ['alpha', 'zeta']);
    assert.equal(small.get('alpha')?.handoff, true);
    assert.equal(small.get('zeta')?.handoff, false);
    assert.equal(small.get('nope'), undefined);
    assert.throws(() => (small.intents as IntentDefinition[]).push(small.intents[0]!), TypeError);
    assert.throws(() => small.get('zeta')!.examples.push('x'), TypeError);
  });

  test('answer() falls back to English', () => {
    assert.equal(small.answer('zeta', 'de', 0), 'de 0');
    assert.equal(small.answer('zeta', 'DE', 1), 'de 1');
    assert.equal(small.answer('zeta', 'de-AT', 0), 'de 0');
    assert.equal(small.answer('zeta', 'de_CH', 0), 'de 0');
    assert.equal(small.answer('zeta', 'pt-br', 0), 'pt-BR 0');
    assert.equal(small.answer('zeta', 'pt', 0), 'en 0');
    assert.equal(small.answer('zeta', 'fr', 0), 'en 0');
    assert.equal(small.answer('zeta', undefined, 0), 'en 0');
    assert.equal(small.answer('zeta', '', 0), 'en 0');
    assert.equal(small.answer('alpha', 'de', 5), 'only');
  });

  test('answer() rotates through the variants, modulo their count', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((v) => small.answer('zeta', 'en', v)), ['en 0', 'en 1', 'en 2', 'en 0', 'en 1', 'en 2']);
    assert.deepEqual([0, 1, 2, 3].map((v) => small.answer('zeta', 'de', v)), ['de 0', 'de 1', 'de 0', 'de 1']);
    assert.equal(small.answer('zeta', 'en', -1), 'en 2');
    assert.equal(small.answer('zeta', 'en', 1_000_000_001), 'en 2');
    assert.equal(small.answer('zeta', 'en', 1.9), 'en 1');
    assert.equal(small.answer('zeta', 'en', Number.NaN), 'en 0');
    assert.equal(small.answer('zeta', 'en', Number.POSITIVE_INFINITY), 'en 0');
  });

  test('answer() on the real catalogue', () => {
    assert.match(catalogue.answer('track_order', 'de-DE', 0), /Bestellung/);
    assert.equal(catalogue.answer('place_order', 'pt', 0), catalogue.get('place_order')!.answers.en![0]);
    const en = catalogue.get('track_order')!.answers.en!;
    assert.equal(catalogue.answer('track_order', 'en', en.length), en[0]);
  });

  test('answer() on an unknown intent throws UnknownIntentError', () => {
    assert.throws(() => small.answer('nope', 'en', 0), (error: unknown) => {
      assert.ok(error instanceof UnknownIntentError);
      assert.equal(error.code, 'INTENT_UNKNOWN');
      return true;
    });
  });

  test('createCatalogue validates like the loader', () => {
    assert.throws(
      () =>
        createCatalogue([
          { name: 'one', label: 'One', description: 'x', examples: examples('shared'), answers: { en: ['a'] } },
          { name: 'two', label: 'Two', description: 'x', examples: examples('shared'), answers: { de: ['a'] } },
        ]),
      (error: unknown) => {
        assert.ok(error instanceof CatalogueError);
        assert.equal(error.file, '(in memory)');
        assert.equal(error.field, 'intents[1].answers.en');
        assert.equal(error.problems.length, 1);
        return true;
      },
    );
    assert.throws(
      () =>
        createCatalogue([
          { name: 'one', label: 'One', description: 'x', examples: examples('shared'), answers: { en: ['a'] } },
          { name: 'two', label: 'Two', description: 'x', examples: examples('shared'), answers: { en: ['a'] } },
        ]),
      (error: unknown) => {
        assert.ok(error instanceof CatalogueError);
        assert.equal(error.problems.length, 8);
        assert.equal(error.field, 'intents[1].examples[0]');
        return true;
      },
    );
    assert.equal(createCatalogue([{ name: 'tiny', label: 'T', description: 'x', examples: ['hi'], answers: { en: ['a'] } }], { minExamples: 1 }).intents.length, 1);
  });
});
