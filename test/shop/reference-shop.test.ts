import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { ActionClient, type ActionCall } from '../../src/actions/client.ts';
import { SIGNATURE_HEADER, signatureHeader } from '../../src/actions/signature.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { ReferenceShop } from '../../src/shop/shop.ts';
import { seedReferenceShop } from '../../src/shop/seed.ts';
import { registerShopWebhook, shopActionDefinitions } from '../../src/shop/webhook.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const logger = createLogger('silent');
const dataDir = temporaryDirectory();
const secret = 'the-reference-shop-secret-for-this-test';
const alice = { id: 'cus_1001' };
const bruno = { id: 'cus_1002' };
let database: DatabaseHandle;
let prisma: PrismaClient;
let http: FastifyInstance;
let base: string;
let actions: ActionClient;

before(async () => {
  database = await openDatabase({ dataDir: dataDir.path, logger });
  await applyMigrations(database.url, logger);
  prisma = createPrismaClient(database.url);
  await seedReferenceShop(prisma);
  http = Fastify();
  await registerShopWebhook(http, { shop: new ReferenceShop(prisma), secret, logger });
  base = await http.listen({ port: 0, host: '127.0.0.1' });
  actions = new ActionClient(shopActionDefinitions(base, secret), { logger, metrics: new Metrics() });
});

after(async () => {
  actions?.close();
  await http?.close();
  await prisma?.$disconnect();
  await database?.stop();
  dataDir.remove();
});

function request(slots: ActionCall['slots'], customer: ActionCall['customer'] = null, confirmed = false): ActionCall {
  return { intent: 'order_status', slots, customer, conversationId: 'conv-1', language: 'en', confirmed };
}

/** The shop's answer; a failed call fails the test. */
async function shop(action: string, call: ActionCall) {
  const result = await actions.call(action, call);
  if (!result.ok) assert.fail(`${action} failed: ${result.reason} ${result.detail}`);
  return result.data;
}

describe('the reference shop', () => {
  test('the seed is idempotent and keeps what a demo changed', async () => {
    await prisma.shopOrder.update({ where: { number: '51022' }, data: { shippingAddress: 'changed by a demo' } });
    await seedReferenceShop(prisma);
    assert.equal(await prisma.shopCustomer.count(), 3);
    assert.equal(await prisma.shopOrder.count(), 7);
    assert.equal((await prisma.shopOrder.findUniqueOrThrow({ where: { number: '51022' } })).shippingAddress, 'changed by a demo');
  });

  test('track_order: the verified customer sees status, carrier, tracking link and expected date', async () => {
    const data = await shop('track_order', request({ order_number: '#48231' }, alice));
    assert.equal(data.type, 'answer');
    assert.equal(data.type === 'answer' && data.template, 'order_shipped');
    assert.equal(data.variables.order_number, '48231');
    assert.equal(data.variables.carrier, 'DHL');
    assert.match(String(data.variables.tracking_url), /^https:\/\/tracking\.example\.com\/dhl\//);
    assert.match(String(data.variables.expected_date), /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(data.variables.items, '2 × Linen cushion cover');
  });

  test("another customer's order is not found, and shows nothing of it", async () => {
    const data = await shop('track_order', request({ order_number: '48231', email: 'alice@example.com' }, bruno));
    assert.deepEqual(data, { type: 'answer', template: 'order_not_found', variables: { order_number: '48231' } });
    const own = await shop('track_order', request({ order_number: 'nw-2024-0042' }, bruno));
    assert.equal(own.type === 'answer' && own.template, 'order_shipped', "Bruno's own order, typed in lower case");
  });

  test('without identity, the order number and its e-mail address must match', async () => {
    const found = await shop('track_order', request({ order_number: 48231, email: 'Alice@Example.com' }));
    assert.equal(found.type === 'answer' && found.template, 'order_shipped');
    for (const email of ['mallory@example.com', 'bruno@example.de']) {
      const refused = await shop('track_order', request({ order_number: '48231', email }));
      assert.deepEqual(refused, { type: 'answer', template: 'order_not_found', variables: { order_number: '48231' } }, email);
    }
    assert.deepEqual(await shop('track_order', request({ order_number: '48231' })), { type: 'ask_slot', slot: 'email', variables: {} });
    assert.deepEqual(await shop('track_order', request({}, alice)), { type: 'ask_slot', slot: 'order_number', variables: {} });
  });

  test('cancel_order: before shipment it asks to confirm, then cancels (once); after shipment it refuses', async () => {
    const asked = await shop('cancel_order', request({ order_number: '48213' }, alice));
    assert.equal(asked.type === 'confirm' && asked.template, 'cancel_confirm');
    assert.equal(asked.variables.items, '1 × Blue desk lamp');
    assert.equal((await prisma.shopOrder.findUniqueOrThrow({ where: { number: '48213' } })).status, 'processing', 'nothing changes before the yes');
    const done = await shop('cancel_order', request({ order_number: '48213' }, alice, true));
    assert.equal(done.type === 'answer' && done.template, 'cancel_done');
    assert.equal(done.variables.status, 'cancelled');
    const again = await shop('cancel_order', request({ order_number: '48213' }, alice, true));
    assert.equal(again.type === 'answer' && again.template, 'cancel_already_done');
    const order = await prisma.shopOrder.findUniqueOrThrow({ where: { number: '48213' } });
    assert.deepEqual([order.status, order.refundStatus], ['cancelled', 'processing']);

    const shipped = await shop('cancel_order', request({ order_number: '48231' }, alice));
    assert.equal(shipped.type === 'answer' && shipped.template, 'cancel_too_late');
    assert.equal((await prisma.shopOrder.findUniqueOrThrow({ where: { number: '48231' } })).status, 'shipped');
    const foreign = await shop('cancel_order', request({ order_number: '60315' }, alice, true));
    assert.equal(foreign.type === 'answer' && foreign.template, 'order_not_found');
    assert.equal((await prisma.shopOrder.findUniqueOrThrow({ where: { number: '60315' } })).status, 'processing', "another customer's order is untouched");
  });

  test('refund_status and change_address', async () => {
    const refund = await shop('refund_status', request({ order_number: '48190', email: 'alice@example.com' }));
    assert.equal(refund.type === 'answer' && refund.template, 'refund_requested');
    const none = await shop('refund_status', request({ order_number: '48231' }, alice));
    assert.equal(none.type === 'answer' && none.template, 'refund_none');

    const chen = { id: 'cus_1003' };
    assert.deepEqual(await shop('change_address', request({ order_number: '60315' }, chen)), { type: 'ask_slot', slot: 'address', variables: {} });
    const proposed = await shop('change_address', request({ order_number: '60315', address: '陈伟, 北京市朝阳区建国路 1 号' }, chen));
    assert.equal(proposed.type === 'confirm' && proposed.template, 'address_confirm');
    assert.equal(proposed.variables.new_address, '陈伟, 北京市朝阳区建国路 1 号');
    const changed = await shop('change_address', request({ order_number: '60315', address: '陈伟, 北京市朝阳区建国路 1 号' }, chen, true));
    assert.equal(changed.type === 'answer' && changed.template, 'address_changed');
    assert.equal(changed.variables.shipping_address, '陈伟, 北京市朝阳区建国路 1 号');
    const late = await shop('change_address', request({ order_number: '60322', address: 'elsewhere' }, chen));
    assert.equal(late.type === 'answer' && late.template, 'address_too_late');
  });

  test('a forged, stale or tampered request is refused before anything is looked up', async () => {
    const body = JSON.stringify({ action: 'track_order', ...request({ order_number: '48231' }, alice) });
    const post = (path: string, payload: string, signature?: string) =>
      fetch(`${base}/shop/actions/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature && { [SIGNATURE_HEADER]: signature }) }, body: payload });
    assert.equal((await post('track_order', body, signatureHeader(body, secret))).status, 200);
    assert.equal((await post('track_order', body)).status, 401, 'unsigned');
    assert.equal((await post('track_order', body, signatureHeader(body, 'a-forged-secret-of-at-least-32-chars'))).status, 401, 'forged');
    assert.equal((await post('track_order', body, signatureHeader(body, secret, Math.floor(Date.now() / 1000) - 600))).status, 401, 'replayed after the window');
    const tampered = body.replace('cus_1001', 'cus_1002');
    assert.equal((await post('track_order', tampered, signatureHeader(body, secret))).status, 401, 'tampered');
    assert.equal((await post('cancel_order', body, signatureHeader(body, secret))).status, 400, 'signed for another action');
    assert.equal((await post('drop_tables', body, signatureHeader(body, secret))).status, 404);
  });
});
