import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { DEFAULT_BREAKER_SETTINGS } from '../../src/actions/client.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const secret = 's'.repeat(32);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

test('actions come from ACTIONS_CONFIG and ACTION_<NAME>_URL / _SECRET, which win', () => {
  const dir = temporaryDirectory();
  try {
    const file = join(dir.path, 'actions.yaml');
    writeFileSync(file, [
      'breaker: { resetTimeoutMs: 5000 }',
      'actions:',
      '  track_order: { url: "https://shop.example.com/track", idempotent: true, timeoutMs: 1500 }',
      `  cancel_order: { url: "https://shop.example.com/cancel", secret: "${secret}" }`,
    ].join('\n'));
    const config = loadConfig({ ACTIONS_CONFIG: file, ACTION_TRACK_ORDER_SECRET: `${secret}-t`, ACTION_REFUND_STATUS_URL: 'http://127.0.0.1:8080/refund', ACTION_REFUND_STATUS_SECRET: secret });
    assert.deepEqual(config.actions, {
      track_order: { url: 'https://shop.example.com/track', secret: `${secret}-t`, idempotent: true, timeoutMs: 1500, retries: 2 },
      cancel_order: { url: 'https://shop.example.com/cancel', secret, idempotent: false, timeoutMs: 3000, retries: 2 },
      refund_status: { url: 'http://127.0.0.1:8080/refund', secret, idempotent: false, timeoutMs: 3000, retries: 2 },
    });
    assert.deepEqual(config.actionBreaker, { ...DEFAULT_BREAKER_SETTINGS, resetTimeoutMs: 5000 });
  } finally {
    dir.remove();
  }
});

test('every invalid action setting is reported at once with the rest, never with its secret', () => {
  const found = problems({
    PORT: 'nope',
    ACTION_TRACK_ORDER_URL: 'http://shop.example.com/track',
    ACTION_TRACK_ORDER_SECRET: 'short-secret',
    ACTION_CANCEL_ORDER_URL: 'https://shop.example.com/cancel',
    ACTIONS_CONFIG: '/no/such/actions.yaml',
  });
  assert.equal(found.length, 5, found.join('\n'));
  assert.ok(found.some((problem) => problem.startsWith('PORT')));
  assert.ok(found.some((problem) => /track_order.*url.*https/.test(problem)));
  assert.ok(found.some((problem) => /track_order.*secret.*32/.test(problem)));
  assert.ok(found.some((problem) => /cancel_order.*secret.*ACTION_<NAME>_SECRET/.test(problem)));
  assert.ok(found.some((problem) => problem.startsWith('ACTIONS_CONFIG: cannot read')));
  assert.ok(found.every((problem) => !problem.includes('short-secret')));
});

test('the reference shop is on with the embedded database, off with DATABASE_URL unless asked', () => {
  assert.equal(loadConfig({}).referenceShop, true);
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://db/frontdesk' }).referenceShop, false);
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://db/frontdesk', REFERENCE_SHOP: 'on' }).referenceShop, true);
  assert.equal(loadConfig({ REFERENCE_SHOP: 'off' }).referenceShop, false);
  assert.deepEqual(loadConfig({}).actions, {});
});
