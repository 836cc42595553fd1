import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinSoftLineBreaks } from '../../src/dialogue/knowledge-fallback.ts';

test('wrapped Markdown lines join; paragraphs, list items and table rows stay on their own lines', () => {
  assert.equal(
    joinSoftLineBreaks('Take photos of the box\nand send them to us.\n\nWe reply:\n- within a day\n- by email\n1. first\n2) second\n\nSizes:\n| S | 35 |\n| M | 38 |'),
    'Take photos of the box and send them to us.\n\nWe reply:\n- within a day\n- by email\n1. first\n2) second\n\nSizes:\n| S | 35 |\n| M | 38 |',
  );
});
