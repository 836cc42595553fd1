import { test } from 'node:test';
import assert from 'node:assert/strict';
import { luhnValid, redact, redactDetailed } from '../../src/training/redact.ts';

test('emails, Luhn-valid card numbers, phone numbers and street addresses are redacted', () => {
  const result = redactDetailed('I am jane.doe+shop@example.co.uk, card 4111 1111 1111 1111, call (791) 582-4288 or +44 20 7946 0958; I live at 1234 Main Street, Apt 5');
  assert.equal(result.text, 'I am [email], card [card], call [phone] or [phone]; I live at [address]');
  assert.deepEqual(result.counts, { email: 1, card: 1, phone: 2, address: 1 });
  assert.equal(redact('ship it to Hauptstraße 5 please'), 'ship it to [address] please');
  assert.equal(redact('card number 5555-5555-5555-4444 was declined'), 'card number [card] was declined');
  assert.equal(redact('my number is 791-582-4288'), 'my number is [phone]');
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

test('the Luhn check', () => {
  assert.ok(luhnValid('4111111111111111'));
  assert.ok(luhnValid('79927398713'));
  assert.ok(!luhnValid('79927398710'));
  assert.ok(!luhnValid(''));
});
