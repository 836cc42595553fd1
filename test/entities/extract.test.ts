// The entity extractor (src/entities) on what shoppers type, in English, German and Chinese: every
// built-in type, catalogue patterns and lists, and which of two overlapping readings wins.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractEntities, type Entity, type EntitySettings } from '../../src/entities/index.ts';

// A Thursday; relative dates are read in UTC so that the test does not depend on the machine's zone.
const NOW = new Date('2026-11-26T12:00:00Z');

const SHOP: EntitySettings = {
  types: [
    { name: 'order_number', pattern: String.raw`(?<![A-Za-z0-9-])(?:[Nn][Ww]-\d{4}-\d{4}|#\d{5})(?![A-Za-z0-9-])` },
    { name: 'product', values: { 'Lumen table lamp': ['lumen lamp', 'table lamp', 'Tischlampe', '台灯'], 'Fjord wool throw': ['wool throw', 'Wolldecke', '羊毛毯'] } },
    { name: 'size', values: { M: ['medium', 'mittel', '中号'], XL: ['extra large', 'extra groß', '特大号'], L: ['large', 'groß', '大号'] } },
    { name: 'colour', values: { blue: ['navy', 'blau', '蓝色'], natural: ['naturweiß', 'crème'] } },
  ],
  phoneRegions: { en: 'US', de: 'DE', zh: 'CN' },
};

function extract(text: string, language: string, settings: EntitySettings = SHOP): Entity[] {
  return extractEntities(text, settings, { language, now: NOW, timezone: 'UTC' });
}

/** The entities of one type as [text, value] pairs. */
function found(text: string, language: string, type: string): Array<[string, unknown]> {
  return extract(text, language).filter((entity) => entity.type === type).map((entity) => [entity.text, entity.value]);
}

describe('numbers', () => {
  test('English: grouping commas, decimal points, quantities', () => {
    assert.deepEqual(found('I want 3 mugs, not 1,250 or 2.5', 'en', 'number'), [['3', 3], ['1,250', 1250], ['2.5', 2.5]]);
  });
  test('German: grouping points, decimal commas', () => {
    assert.deepEqual(found('Ich möchte 3 Becher, nicht 1.250 oder 2,5', 'de', 'number'), [['3', 3], ['1.250', 1250], ['2,5', 2.5]]);
  });
  test('Chinese: digits, full-width digits and numerals; a lone 一 inside a word is no number', () => {
    assert.deepEqual(found('我要3个，不是１２个，一共二十五件，两个就行，等一下', 'zh', 'number'), [['3', 3], ['１２', 12], ['二十五', 25], ['两', 2]]);
    assert.deepEqual(found('一百零五，三万五千，十分感谢，万一', 'zh', 'number'), [['一百零五', 105], ['三万五千', 35000]]);
  });
  test('digits glued to a code are no number, an impossible grouping neither', () => {
    assert.deepEqual(found('model v2, part AB-2024-77, version 1.2.3', 'en', 'number'), []);
  });
});

describe('amounts', () => {
  test('English: sign before, word after', () => {
    assert.deepEqual(found('I paid €25 and $19.99, then 25 euros and 1,000 USD', 'en', 'amount'), [
      ['€25', { amount: 25, currency: 'EUR' }],
      ['$19.99', { amount: 19.99, currency: 'USD' }],
      ['25 euros', { amount: 25, currency: 'EUR' }],
      ['1,000 USD', { amount: 1000, currency: 'USD' }],
    ]);
  });
  test('German: decimal comma and the sign after the number', () => {
    assert.deepEqual(found('Ich habe 25,50 € bezahlt, dazu 1.299,00 Euro', 'de', 'amount'), [
      ['25,50 €', { amount: 25.5, currency: 'EUR' }],
      ['1.299,00 Euro', { amount: 1299, currency: 'EUR' }],
    ]);
  });
  test('Chinese: numerals and digits with 元, 块钱, 美元', () => {
    assert.deepEqual(found('我付了二十五元，又付了30块钱和19.99美元', 'zh', 'amount'), [
      ['二十五元', { amount: 25, currency: 'CNY' }],
      ['30块钱', { amount: 30, currency: 'CNY' }],
      ['19.99美元', { amount: 19.99, currency: 'USD' }],
    ]);
  });
  test('a currency word must end where it ends ("25 europeans" is a number)', () => {
    assert.deepEqual(found('25 europeans', 'en', 'amount'), []);
    assert.deepEqual(found('25 europeans', 'en', 'number'), [['25', 25]]);
  });
});

describe('dates', () => {
  test('English: relative days and weekdays, and full dates', () => {
    assert.deepEqual(found('I ordered last Tuesday, it should come tomorrow, not on 3 March 2025', 'en', 'date'), [
      ['last Tuesday', '2026-11-24'],
      ['tomorrow', '2026-11-27'],
      ['on 3 March 2025', '2025-03-03'],
    ]);
  });
  test('German: vorgestern, letzten Montag, 3. März 2025', () => {
    assert.deepEqual(found('Bestellt habe ich vorgestern, bezahlt letzten Montag, geliefert am 3. März 2025', 'de', 'date'), [
      ['vorgestern', '2026-11-24'],
      ['letzten Montag', '2026-11-23'],
      ['am 3. März 2025', '2025-03-03'],
    ]);
  });
  test('Chinese: 昨天, 上周二, 2025年3月3日', () => {
    assert.deepEqual(found('我昨天付款，上周二下单，2025年3月3日发货', 'zh', 'date'), [
      ['昨天', '2026-11-25'],
      ['上周二', '2026-11-17'],
      ['2025年3月3日', '2025-03-03'],
    ]);
  });
  test('a time alone names no day', () => {
    assert.deepEqual(found('call me at 5 pm', 'en', 'date'), []);
  });
});

describe('e-mail addresses', () => {
  test('in English, German and Chinese text; the domain is lower-cased', () => {
    assert.deepEqual(found('mail Anna.Lee+shop@Example.COM please.', 'en', 'email'), [['Anna.Lee+shop@Example.COM', 'Anna.Lee+shop@example.com']]);
    assert.deepEqual(found('Meine Adresse: jonas.mueller@beispiel.de, danke', 'de', 'email'), [['jonas.mueller@beispiel.de', 'jonas.mueller@beispiel.de']]);
    assert.deepEqual(found('我的邮箱是wang.li@example.cn谢谢', 'zh', 'email'), [['wang.li@example.cn', 'wang.li@example.cn']]);
  });
});

describe('phone numbers', () => {
  test('national numbers read in the region of the language, as E.164', () => {
    assert.deepEqual(found('call me at (614) 555-0123', 'en', 'phone'), [['(614) 555-0123', '+16145550123']]);
    assert.deepEqual(found('Rufen Sie mich unter 030 12345678 an', 'de', 'phone'), [['030 12345678', '+493012345678']]);
    assert.deepEqual(found('我的电话是13812345678', 'zh', 'phone'), [['13812345678', '+8613812345678']]);
  });
  test('an international number whatever the language; a national one without a region is none', () => {
    assert.deepEqual(found('Meine Nummer: +1 614 555 0123', 'de', 'phone'), [['+1 614 555 0123', '+16145550123']]);
    assert.deepEqual(extractEntities('030 12345678', { types: [], phoneRegions: {} }, { language: 'de' }).map((entity) => entity.type), ['number', 'number']);
  });
  test('the language tag may carry a region (de-AT finds de)', () => {
    assert.deepEqual(found('030 12345678', 'de-AT', 'phone'), [['030 12345678', '+493012345678']]);
  });
});

describe('catalogue types', () => {
  test('a pattern: order numbers in both formats, in every language', () => {
    assert.deepEqual(found('Where is NW-2024-0042 and #48213?', 'en', 'order_number'), [['NW-2024-0042', 'NW-2024-0042'], ['#48213', '#48213']]);
    assert.deepEqual(found('Wo ist Bestellung #48213?', 'de', 'order_number'), [['#48213', '#48213']]);
    assert.deepEqual(found('我的订单NW-2024-0042在哪里', 'zh', 'order_number'), [['NW-2024-0042', 'NW-2024-0042']]);
    assert.deepEqual(found('code XNW-2024-0042 and #482130', 'en', 'order_number'), []);
  });
  test('a list: synonyms give the canonical value, regardless of case and diacritics', () => {
    assert.deepEqual(found('Is the LUMEN LAMP available in navy?', 'en', 'product'), [['LUMEN LAMP', 'Lumen table lamp']]);
    assert.deepEqual(found('Is the LUMEN LAMP available in navy?', 'en', 'colour'), [['navy', 'blue']]);
    assert.deepEqual(found('Die Wolldecke in Naturweiss, Größe mittel', 'de', 'colour'), [['Naturweiss', 'natural']]);
    assert.deepEqual(found('Ich hätte gern die Tischlampe in creme', 'de', 'colour'), [['creme', 'natural']]);
    assert.deepEqual(found('我想要蓝色的台灯，中号', 'zh', 'product'), [['台灯', 'Lumen table lamp']]);
    assert.deepEqual(found('我想要蓝色的台灯，中号', 'zh', 'size'), [['中号', 'M']]);
  });
  test('a list: the longest synonym wins, and Latin words stand alone', () => {
    assert.deepEqual(found('size extra large please', 'en', 'size'), [['extra large', 'XL']]);
    assert.deepEqual(found('Größe extra groß', 'de', 'size'), [['extra groß', 'XL']]);
    assert.deepEqual(found('要特大号', 'zh', 'size'), [['特大号', 'XL']]);
    assert.deepEqual(found("I'm largely happy, it's mediumish", 'en', 'size'), []);
  });
});

describe('overlaps', () => {
  test('the longest reading wins: an order number is not also a number, an amount not also a number', () => {
    assert.deepEqual(extract('order #48213 cost €25', 'en').map((entity) => [entity.type, entity.text]), [['order_number', '#48213'], ['amount', '€25']]);
    assert.deepEqual(extract('订单 #48213 花了二十五元', 'zh').map((entity) => [entity.type, entity.text]), [['order_number', '#48213'], ['amount', '二十五元']]);
  });
  test('at equal length the catalogue type wins over a built-in one, in the catalogue order', () => {
    const settings: EntitySettings = { types: [{ name: 'sku', pattern: String.raw`\b\d{5}\b` }, { name: 'other_sku', pattern: String.raw`\b\d{5}\b` }], phoneRegions: {} };
    assert.deepEqual(extractEntities('item 48213', settings, { language: 'en' }).map((entity) => entity.type), ['sku']);
  });
  test('spans are sorted, never overlap, and are the exact text', () => {
    const text = 'NW-2024-0042: 2 Tischlampen, 25,50 €, vorgestern bestellt, Tel. +49 30 1234567, jonas@beispiel.de';
    const entities = extract(text, 'de');
    assert.deepEqual(entities.map((entity) => entity.type), ['order_number', 'number', 'amount', 'date', 'phone', 'email']);
    for (const [index, entity] of entities.entries()) {
      assert.equal(text.slice(entity.start, entity.end), entity.text);
      if (index > 0) assert.ok(entity.start >= entities[index - 1]!.end);
    }
  });
  test('the same input gives the same output', () => {
    const text = 'order #48213, 3 lamps, €25, tomorrow, (614) 555-0123';
    assert.deepEqual(extract(text, 'en'), extract(text, 'en'));
  });
});
