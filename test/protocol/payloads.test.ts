import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { checkText, parsePayload } from '../../src/protocol/payloads.ts';

describe('payloads', () => {
  const schema = z.object({ text: z.string(), tags: z.array(z.string()).optional(), at: z.coerce.date().optional() });

  test('a valid payload comes back parsed', () => {
    const at = '2026-11-23T10:00:00.000Z';
    assert.deepEqual(parsePayload(schema, { text: 'hi', tags: ['a'], at }), { text: 'hi', tags: ['a'], at: new Date(at) });
  });

  test('an invalid one is INVALID_PAYLOAD naming where', () => {
    assert.throws(() => parsePayload(schema, { text: 3 }), { code: 'INVALID_PAYLOAD', message: /^Invalid payload at text: / });
    assert.throws(() => parsePayload(schema, 'hi'), { code: 'INVALID_PAYLOAD', message: /^Invalid payload: / });
  });

  test('a NUL in any string, however deep, is refused', () => {
    assert.throws(() => parsePayload(schema, { text: 'a\u0000b' }), { code: 'INVALID_PAYLOAD', message: 'Invalid payload at text: must not contain NUL characters' });
    assert.throws(() => parsePayload(schema, { text: 'ok', tags: ['fine', '\u0000'] }), { code: 'INVALID_PAYLOAD', message: 'Invalid payload at tags.1: must not contain NUL characters' });
    assert.throws(() => parsePayload(z.string(), '\u0000'), { code: 'INVALID_PAYLOAD', message: 'Invalid payload: must not contain NUL characters' });
  });
});

describe('message text', () => {
  test('is trimmed, and empty or too long text is refused with a code', () => {
    assert.equal(checkText('  hi  ', 10), 'hi');
    assert.throws(() => checkText(' \n ', 10), { code: 'TEXT_EMPTY' });
    assert.throws(() => checkText('x'.repeat(11), 10), { code: 'TEXT_TOO_LONG' });
    // Characters, not UTF-16 units: ten emoji fit a ten-character limit.
    assert.equal(checkText('😀'.repeat(10), 10), '😀'.repeat(10));
  });
});
