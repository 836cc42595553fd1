import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from '../../src/actions/signature.ts';

const secret = 'whsec_'.padEnd(40, 'k');
const body = JSON.stringify({ action: 'track_order', slots: { order_number: '48213' } });
const now = 1_800_000_000;

test('a signature is t=<seconds>,v1=<HMAC-SHA256 of "t.body"> and verifies', () => {
  const header = signatureHeader(body, secret, now);
  const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
  assert.equal(header, `t=${now},v1=${expected}`);
  assert.deepEqual(verifySignature({ header, body, secret, now }), { valid: true, timestamp: now });
  assert.equal(verifySignature({ header, body: Buffer.from(body), secret, now }).valid, true, 'the raw bytes verify like the string');
});

test('a changed body, timestamp or secret does not verify', () => {
  const header = signatureHeader(body, secret, now);
  assert.deepEqual(verifySignature({ header, body: body.replace('48213', '48231'), secret, now }), { valid: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature({ header: header.replace(`t=${now}`, `t=${now + 1}`), body, secret, now }), { valid: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature({ header, body, secret: `${secret}x`, now }), { valid: false, reason: 'mismatch' });
});

test('the replay window: a timestamp more than the tolerance away, either way, is refused', () => {
  const old = signatureHeader(body, secret, now - 301);
  assert.deepEqual(verifySignature({ header: old, body, secret, now }), { valid: false, reason: 'outside_tolerance' });
  assert.deepEqual(verifySignature({ header: signatureHeader(body, secret, now + 301), body, secret, now }), { valid: false, reason: 'outside_tolerance' });
  assert.equal(verifySignature({ header: signatureHeader(body, secret, now - 300), body, secret, now }).valid, true);
  assert.equal(verifySignature({ header: old, body, secret, now, toleranceSeconds: 600 }).valid, true);
});

test('missing and malformed headers are refused', () => {
  assert.deepEqual(verifySignature({ header: undefined, body, secret, now }), { valid: false, reason: 'missing' });
  for (const header of ['garbage', `t=${now}`, `v1=${'a'.repeat(64)}`, `t=abc,v1=${'a'.repeat(64)}`, `t=${now},t=${now},v1=${'a'.repeat(64)}`]) {
    assert.deepEqual(verifySignature({ header, body, secret, now }), { valid: false, reason: 'malformed' }, header);
  }
  assert.deepEqual(verifySignature({ header: `t=${now},v1=short`, body, secret, now }), { valid: false, reason: 'mismatch' });
});

test('while a secret is rotated, either secret verifies and any v1 may match', () => {
  const next = 'whsec_next'.padEnd(40, 'n');
  const header = signatureHeader(body, next, now);
  assert.equal(verifySignature({ header, body, secret: [secret, next], now }).valid, true);
  const both = `${signatureHeader(body, secret, now)},v1=${header.split('v1=')[1]}`;
  assert.equal(verifySignature({ header: both, body, secret: next, now }).valid, true);
});
