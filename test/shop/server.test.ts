import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { freePort } from '../faults/helpers.ts';
import type { RunningServer } from '../../src/server.ts';

const dataDir = temporaryDirectory();
let server: RunningServer;

before(async () => {
  // refund_status points elsewhere (a closed port): configured actions win over the reference shop.
  const closedPort = await freePort();
  ({ server } = await startTestServer({ DATA_DIR: dataDir.path, ACTION_REFUND_STATUS_URL: `http://127.0.0.1:${closedPort}/refund`, ACTION_REFUND_STATUS_SECRET: 'x'.repeat(32) }));
});

after(async () => {
  await server?.close();
  dataDir.remove();
});

test('npm start serves the reference shop: its actions answer from the seeded orders over the signed webhook', async () => {
  const result = await server.actions.call('track_order', { intent: 'order_status', slots: { order_number: '48231', email: 'alice@example.com' }, customer: null, conversationId: 'c-1', language: 'en' });
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(result.ok && result.data.type === 'answer' && result.data.template, 'order_shipped');

  const refund = await server.actions.call('refund_status', { intent: 'refund_status', slots: { order_number: '48190' }, customer: { id: 'cus_1001' }, conversationId: 'c-1', language: 'en' });
  assert.equal(!refund.ok && refund.reason, 'network', 'the configured webhook was called, not the reference shop');

  const unsigned = await fetch(`${server.url}/shop/actions/track_order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(unsigned.status, 401);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /frontdesk_action_calls_total\{action="track_order",outcome="ok"\} 1/);
  assert.match(metrics, /frontdesk_action_breaker_state\{action="cancel_order"\} 0/);
});
