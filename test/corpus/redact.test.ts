import { test } from 'node:test';
import assert from 'node:assert/strict';
import { luhnValid, redact, redactDetailed } from '../../src/corpus/redact.ts';

test('emails, Luhn-valid card numbers, phone numbers and street addresses are redacted', () => {
  const result = redactDetailed('I am jane.doe+shop@example.co.uk, card 4111 1111 1111 1111, call (791) 582-4288 or +44 20 7946 0958; I live at 1234 Main Street, Apt 5');
  assert.equal(result.text, 'I am [email], card [card], call [phone] or [phone]; I live at [address]');
  assert.deepEqual(result.counts, { email: 1, iban: 0, card: 1, phone: 2, address: 1, name: 0 });
  assert.equal(redact('ship it to Hauptstraße 5 please'), 'ship it to [address] please');
  assert.equal(redact('card number 5555-5555-5555-4444 was declined'), 'card number [card] was declined');
  assert.equal(redact('my number is 791-582-4288'), 'my number is [phone]');
  // German landlines: a two- to four-digit area code after the trunk 0.
  assert.equal(redact('ruf mich an: 030 12345678'), 'ruf mich an: [phone]');
  assert.equal(redact('Telefon 089/1234567'), 'Telefon [phone]');
});

test('order numbers, amounts, dates and non-Luhn digit runs stay', () => {
  for (const text of [
    'order 2033568069 has not arrived',
    'card 4111111111111112 fails the checksum',
    'I paid 1500 dollars on 12/03/2024',
    'my top up of 20 pounds failed',
    'zip 14224',
    'I have 3 cards on the main street account',
  ]) {
    assert.equal(redact(text), text);
  }
});

/** Each text redacts to its expected form. */
function expectRedactions(cases: ReadonlyArray<readonly [text: string, expected: string]>): void {
  for (const [text, expected] of cases) assert.equal(redact(text), expected, text);
}

test('a US, UK or German city and postcode after a street address are part of the address', () => {
  expectRedactions([
    ['send it to 1234 Main Street, Springfield, IL 62704 please', 'send it to [address] please'],
    ['12 Elm Rd, New York, NY 10001-1234.', '[address].'],
    ['I live at 1234 Main Street, Apt 5, Springfield, IL 62704', 'I live at [address]'],
    ['my address is 10 Downing Street, London SW1A 2AA, thanks', 'my address is [address], thanks'],
    ['221B Baker Street, NW1 6XE', '[address]'],
    ['Hauptstraße 5, 10115 Berlin', '[address]'],
    ['Lindenweg 12a, 60311 Frankfurt am Main bitte', '[address] bitte'],
    ['P.O. Box 123, Austin, TX 78701', '[address]'],
  ]);
  assert.equal(redactDetailed('1234 Main Street, Springfield, IL 62704').counts.address, 1);
});

test('without a street before them, postcodes, order numbers, amounts and dates after an address stay', () => {
  expectRedactions([
    ['Springfield, IL 62704', 'Springfield, IL 62704'],
    ['London SW1A 1AA', 'London SW1A 1AA'],
    ['10115 Berlin', '10115 Berlin'],
    ['order 62704 IL has not arrived', 'order 62704 IL has not arrived'],
    ['I live at 1234 Main Street, and my order 62704 is late', 'I live at [address], and my order 62704 is late'],
    ['1234 Main Street, 12345 is the order number', '[address], 12345 is the order number'],
    ['1234 Main Street, 12/03/2024', '[address], 12/03/2024'],
    ['1234 Main Street, 20 pounds were taken', '[address], 20 pounds were taken'],
    ['742 Evergreen Terrace, Thanks, OK', '[address], Thanks, OK'],
  ]);
});

test('IBANs that pass the mod-97 check and names after a greeting are redacted', () => {
  expectRedactions([
    ['refund to DE89 3704 0044 0532 0130 00 today', 'refund to [iban] today'],
    ['IBAN GB82WEST12345698765432.', 'IBAN [iban].'],
    ['Hi Anna Lindqvist, your parcel left today.', 'Hi [name], your parcel left today.'],
    ['Dear Mr. Smith, thank you', 'Dear [name], thank you'],
    ['Thanks, Mary-Jane O’Neil!', 'Thanks, [name]!'],
    ['hello Bob.\nYour order shipped', 'hello [name].\nYour order shipped'],
  ]);
});

test('greetings without a name, and IBAN-shaped numbers that fail the check, stay', () => {
  for (const text of [
    'Thank you for your patience.',
    'Hi, I am still waiting',
    'Hi there, all good',
    'Hello Team, any news?',
    'Dear Customer, your order shipped.',
    'Thanks Anna for waiting',
    'order AB12 3456 7890 1234 is late',
  ]) {
    assert.equal(redact(text), text);
  }
});

test('the Luhn check', () => {
  assert.ok(luhnValid('4111111111111111'));
  assert.ok(luhnValid('79927398713'));
  assert.ok(!luhnValid('79927398710'));
  assert.ok(!luhnValid(''));
});
