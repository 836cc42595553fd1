import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ActionClient, type ActionCall, type ActionDefinition } from '../../src/actions/client.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../src/actions/signature.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { freePort } from '../faults/helpers.ts';

const secret = 'a-shop-secret-of-at-least-32-characters';
const call: ActionCall = { intent: 'track_order', slots: { order_number: '48213' }, customer: { id: 'cus_1' }, conversationId: 'c-1', language: 'en' };
const answer = { type: 'answer', template: 'order_shipped', variables: { carrier: 'DHL' } };

type Reply = { status: number; body: string; delayMs?: number };
/** What the fake shop answers on each path, one reply per request (the last one repeats). */
const script = new Map<string, Reply[]>();
const received: Array<{ path: string; body: string; signatureValid: boolean }> = [];
let server: Server;
let base: string;

const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

before(async () => {
  server = createServer(async (request, response) => {
    const path = request.url ?? '';
    const body = await readBody(request);
    received.push({ path, body, signatureValid: verifySignature({ header: request.headers[SIGNATURE_HEADER], body, secret }).valid });
    const replies = script.get(path) ?? [json(404, {})];
    const reply = (replies.length > 1 ? replies.shift() : replies[0])!;
    if (reply.delayMs) await sleep(reply.delayMs);
    if (!response.destroyed) response.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script.clear();
  received.length = 0;
});

function definition(path: string, overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  return { url: `${base}${path}`, secret, idempotent: false, timeoutMs: 1_000, retries: 2, ...overrides };
}

function client(definitions: Record<string, ActionDefinition>, breaker = { errorThresholdPercentage: 50, volumeThreshold: 10, resetTimeoutMs: 30_000, windowMs: 10_000 }) {
  const metrics = new Metrics();
  const actions = new ActionClient(definitions, { logger: createLogger('silent'), metrics, breaker, backoffMs: 5 });
  return { actions, metrics };
}

async function callsCounted(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.actionCalls.get();
  return Object.fromEntries(values.map((value) => [`${value.labels.action}:${value.labels.outcome}`, value.value]));
}

describe('the action client', () => {
  test('posts the signed request and returns the validated answer', async () => {
    script.set('/track', [json(200, answer)]);
    const { actions, metrics } = client({ track_order: definition('/track') });
    const result = await actions.call('track_order', call);
    assert.equal(result.ok, true);
    assert.deepEqual(result.ok && result.data, answer);
    assert.equal(result.attempts, 1);
    assert.equal(received.length, 1);
    assert.ok(received[0]!.signatureValid, 'the shop verifies the signature with the shared secret');
    assert.deepEqual(JSON.parse(received[0]!.body), { action: 'track_order', ...call });
    assert.deepEqual(await callsCounted(metrics), { 'track_order:ok': 1 });
    assert.equal((await metrics.actionDuration.get()).values.find((value) => value.metricName === 'frontdesk_action_duration_seconds_count')?.value, 1);
    actions.close();
  });

  test('a shop slower than the timeout ends the call with reason timeout', async () => {
    script.set('/slow', [{ ...json(200, answer), delayMs: 1_000 }]);
    const { actions, metrics } = client({ slow: definition('/slow', { timeoutMs: 100 }) });
    const started = performance.now();
    const result = await actions.call('slow', call);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'timeout');
    assert.ok(performance.now() - started < 900, 'the call does not wait for the shop');
    assert.deepEqual(await callsCounted(metrics), { 'slow:timeout': 1 });
    actions.close();
  });

  test('a 5xx is an http_error with its status, and a non-idempotent action is not retried', async () => {
    script.set('/cancel', [json(503, { error: 'down' })]);
    const { actions } = client({ cancel_order: definition('/cancel') });
    const result = await actions.call('cancel_order', call);
    assert.deepEqual(!result.ok && [result.reason, result.status, result.attempts], ['http_error', 503, 1]);
    assert.equal(received.length, 1);
    actions.close();
  });

  test('an idempotent action is retried after a 5xx or timeout, up to its retries', async () => {
    script.set('/track', [json(502, {}), { ...json(200, answer), delayMs: 400 }, json(200, answer)]);
    const { actions } = client({ track_order: definition('/track', { idempotent: true, timeoutMs: 200 }) });
    const result = await actions.call('track_order', call);
    assert.equal(result.ok, true);
    assert.equal(result.attempts, 3);
    assert.equal(received.length, 3);
    assert.ok(received.every((request) => request.signatureValid), 'each attempt is signed anew');

    script.set('/track', [json(500, {})]);
    received.length = 0;
    const exhausted = await actions.call('track_order', call);
    assert.deepEqual(!exhausted.ok && [exhausted.reason, exhausted.attempts], ['http_error', 3]);
    assert.equal(received.length, 3);
    actions.close();
  });

  test('a 4xx or an invalid answer is not retried, even for an idempotent action', async () => {
    script.set('/bad-request', [json(400, {})]);
    script.set('/invalid', [json(200, { type: 'answer' })]);
    script.set('/not-json', [{ status: 200, body: '<html>oops</html>' }]);
    const idempotent = { idempotent: true };
    const { actions, metrics } = client({ bad: definition('/bad-request', idempotent), invalid: definition('/invalid', idempotent), garbage: definition('/not-json', idempotent) });
    const bad = await actions.call('bad', call);
    assert.deepEqual(!bad.ok && [bad.reason, bad.status, bad.attempts], ['http_error', 400, 1]);
    const invalid = await actions.call('invalid', call);
    assert.deepEqual(!invalid.ok && [invalid.reason, invalid.attempts], ['invalid_response', 1]);
    assert.match(!invalid.ok ? invalid.detail : '', /template/);
    const garbage = await actions.call('garbage', call);
    assert.deepEqual(!garbage.ok && garbage.reason, 'invalid_response');
    assert.equal(received.length, 3);
    assert.deepEqual(await callsCounted(metrics), { 'bad:http_error': 1, 'invalid:invalid_response': 1, 'garbage:invalid_response': 1 });
    actions.close();
  });

  test('an unreachable shop is a network failure; an unknown action is not_configured; neither throws', async () => {
    const { actions } = client({ dead: { ...definition(''), url: `http://127.0.0.1:${await freePort()}/x` } });
    const dead = await actions.call('dead', call);
    assert.equal(!dead.ok && dead.reason, 'network');
    const unknown = await actions.call('nobody', call);
    assert.deepEqual(!unknown.ok && [unknown.reason, unknown.attempts], ['not_configured', 0]);
    actions.close();
  });

  test('the breaker opens after failures and short-circuits, then half-opens and closes on success', async () => {
    script.set('/flaky', [json(500, {})]);
    const breaker = { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 300, windowMs: 10_000 };
    const { actions, metrics } = client({ flaky: definition('/flaky'), other: definition('/other') }, breaker);
    const state = async (action: string) => (await metrics.actionBreakerState.get()).values.find((value) => value.labels.action === action)?.value;
    assert.equal(await state('flaky'), 0);

    for (let index = 0; index < 2; index += 1) assert.equal(((await actions.call('flaky', call)) as { reason: string }).reason, 'http_error');
    assert.equal(await state('flaky'), 2, 'open');
    const started = performance.now();
    const refused = await actions.call('flaky', call);
    assert.deepEqual(!refused.ok && [refused.reason, refused.attempts], ['breaker_open', 1]);
    assert.ok(performance.now() - started < 50, 'fails at once');
    assert.equal(received.length, 2, 'the shop was not called');
    assert.equal(await state('other'), 0, 'each action has its own breaker');

    await sleep(350);
    assert.equal(await state('flaky'), 1, 'half-open after resetTimeout');
    const trial = await actions.call('flaky', call);
    assert.equal(!trial.ok && trial.reason, 'http_error');
    assert.equal(await state('flaky'), 2, 'a failed trial opens it again');

    await sleep(350);
    script.set('/flaky', [json(200, answer)]);
    assert.equal((await actions.call('flaky', call)).ok, true);
    assert.equal(await state('flaky'), 0, 'a successful trial closes it');
    assert.equal((await actions.call('flaky', call)).ok, true);
    assert.deepEqual(await callsCounted(metrics), { 'flaky:http_error': 3, 'flaky:breaker_open': 1, 'flaky:ok': 2 });
    actions.close();
  });

  test('retries of an idempotent action stop when its breaker opens', async () => {
    script.set('/down', [json(503, {})]);
    const breaker = { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 30_000, windowMs: 10_000 };
    const { actions } = client({ down: definition('/down', { idempotent: true, retries: 5 }) }, breaker);
    const result = await actions.call('down', call);
    assert.deepEqual(!result.ok && [result.reason, result.attempts], ['breaker_open', 3]);
    assert.equal(received.length, 2);
    actions.close();
  });
});
