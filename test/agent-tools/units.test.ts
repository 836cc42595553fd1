// Units of agents' tools: the content check of attachments, canned replies' variables, the typing throttle.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkContentType, safeFileName } from '../../src/attachments/content-type.ts';
import { cannedVariables, renderCanned } from '../../src/agents/agent-tools.ts';
import { throttle } from '../../src/gateway/typing.ts';
import { PNG_BYTES } from './files.ts';

const bytes = (...parts: Array<string | number[]>) => new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? [...Buffer.from(part, 'latin1')] : part)));

describe('attachment types are read from the content', () => {
  test('PNG, JPEG, GIF, WebP and PDF are recognised whatever their name', () => {
    assert.equal(checkContentType(PNG_BYTES)?.contentType, 'image/png');
    assert.equal(checkContentType(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))?.contentType, 'image/jpeg');
    assert.equal(checkContentType(bytes('GIF89a', [1, 0, 1, 0]))?.contentType, 'image/gif');
    assert.equal(checkContentType(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))?.contentType, 'image/webp');
    assert.deepEqual(checkContentType(bytes('%PDF-1.7\n')), { contentType: 'application/pdf', extension: 'pdf', image: false });
  });

  test('HTML, SVG, scripts, executables, ZIPs and truncated signatures are refused', () => {
    for (const content of [bytes('<!doctype html><html>'), bytes('<svg xmlns="http://www.w3.org/2000/svg">'), bytes('#!/bin/sh'), bytes('MZ', [0x90, 0]), bytes('PK', [3, 4]), bytes([0x89, 0x50, 0x4e, 0x47]), bytes('RIFF', [0, 0, 0, 0], 'WAVE'), new Uint8Array(0)]) {
      assert.equal(checkContentType(content), null);
    }
  });

  test('file names lose paths and control characters and take the checked extension', () => {
    const png = checkContentType(PNG_BYTES)!;
    assert.equal(safeFileName('../../etc/passwd', png), 'passwd.png');
    assert.equal(safeFileName('C:\\Users\\me\\photo.jpeg', png), 'photo.png');
    assert.equal(safeFileName('in\u0000voice\u202e.html', png), 'invoice.png');
    assert.equal(safeFileName(undefined, png), 'attachment.png');
    assert.equal(safeFileName('Quittung für Bestellung.png', png), 'Quittung für Bestellung.png');
  });
});

describe('canned replies', () => {
  const context = {
    visitorName: 'Page Name', visitorEmail: 'v@example.com', customerName: null, customerEmail: null, customerId: null, language: 'de',
    form: { intent: 'order_status', slots: { order_number: '48213', refund: { amount: 12.5, currency: 'EUR' } }, asking: null, asks: {} },
    entities: [[{ type: 'order_number', value: '11111' }, { type: 'email', value: 'x@example.com', text: 'x@example.com' }]],
  };

  test('variables: the visitor, the agent, the form’s slots before entities of the same name', () => {
    const variables = cannedVariables(context, { name: 'Ann' });
    assert.equal(renderCanned('Hi {{visitor_name}}, {{agent_name}} here about order {{order_number}} ({{refund}}).', variables).text, 'Hi Page Name, Ann here about order 48213 (12.5 EUR).');
    assert.equal(renderCanned('{{entities.order_number}} {{email}}', variables).text, '11111 x@example.com');
    // The signed-in customer's name wins over the page's.
    assert.equal(renderCanned('{{visitor_name}}', cannedVariables({ ...context, customerName: 'Verified Vera' }, { name: 'Ann' })).text, 'Verified Vera');
  });

  test('plain text, no HTML escaping; missing variables are named; a broken template is a payload error', () => {
    assert.deepEqual(renderCanned('Tom & <Jerry> {{agent_name}}', { agent_name: 'A&B' }), { text: 'Tom & <Jerry> A&B', missing: [] });
    assert.deepEqual(renderCanned('Order {{order_number}}{{#x}}{{tracking}}{{/x}}', {}), { text: 'Order ', missing: ['order_number'] });
    assert.throws(() => renderCanned('{{#open}}', {}), { code: 'INVALID_PAYLOAD' });
  });
});

describe('typing throttle', () => {
  test('a start at most every interval per conversation, a stop once after a start', () => {
    let now = 0;
    const gate = throttle(2000, () => now);
    assert.equal(gate('a', false), false);
    assert.equal(gate('a', true), true);
    now = 500;
    assert.equal(gate('a', true), false);
    assert.equal(gate('b', true), true);
    assert.equal(gate('a', false), true);
    assert.equal(gate('a', false), false);
    assert.equal(gate('a', true), true);
    now = 2600;
    assert.equal(gate('a', true), true);
  });
});
