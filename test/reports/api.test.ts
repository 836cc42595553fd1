// GET /api/agent/reports on a real server (JSON, CSV, refusals), and the desk's Prometheus metrics
// after a real conversation: replies by intent, agents' replies, CSAT scores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { loadCatalogue } from '../../src/catalogue/index.ts';
import { ask, connectVisitor, request } from '../helpers/server.ts';
import { api, startAgentTestServer, type AgentTestServer } from '../agents/helpers.ts';
import { seedDesk } from './seed.ts';

let env: AgentTestServer;
let token: string;

before(async () => {
  env = await startAgentTestServer([{ email: 'ann@example.com', name: 'Ann', password: 'ann password 1' }]);
  [token] = env.tokens as [string];
  await seedDesk(env.prisma, { activeVersion: false });
});

after(() => env?.close());

const WEEK = 'from=2026-11-02&to=2026-11-08';

describe('GET /api/agent/reports', () => {
  test('is for signed-in agents only', async () => {
    const response = await api(env.url, `/api/agent/reports?${WEEK}`);
    assert.equal(response.status, 401);
    assert.equal(response.body.error.code, 'UNAUTHORIZED');
  });

  test('answers the report of the range (a date-only `to` includes its day), grouped as asked', async () => {
    const { status, body, headers } = await api(env.url, `/api/agent/reports?${WEEK}&groupBy=language`, { token });
    assert.equal(status, 200);
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(body.ok, true);
    const { report } = body;
    assert.equal(report.from, '2026-11-02T00:00:00.000Z');
    assert.equal(report.to, '2026-11-09T00:00:00.000Z');
    assert.equal(report.groupBy, 'language');
    assert.deepEqual(report.groups.map((group: { key: string | null }) => group.key), ['en', 'de', 'fr', null]);
    assert.equal(report.total.conversations, 6);
    assert.equal(report.total.containment, 0.5);
    assert.deepEqual(report.total.firstResponseSeconds, { count: 3, median: 300, p90: 14460 });
    // The server's own model is active; it answered none of these messages.
    assert.equal(report.model.labelled, 0);
    assert.equal(report.model.accuracy, null);
    assert.equal(report.requests.top[0].text, 'Where is my order #####');
  });

  test('format=csv downloads the same report as a CSV file', async () => {
    const response = await fetch(`${env.url}/api/agent/reports?${WEEK}&groupBy=day&format=csv`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(response.headers.get('content-disposition'), 'attachment; filename="frontdesk-report-2026-11-02-2026-11-09-day.csv"');
    const rows = parse(await response.text(), { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows.length, 8);
    const total = rows.at(-1)!;
    const expected = { day: '(total)', conversations: '6', visitor_messages: '9', bot_replies: '10', contained: '3', handoff_rate: '0.3', thumbs_up: '2', thumbs_down: '2', csat_responses: '3' };
    for (const [column, value] of Object.entries(expected)) assert.equal(total[column], value, column);
  });

  test('refuses a malformed parameter with INVALID_PAYLOAD and a wrong range with INVALID_RANGE', async () => {
    const month = await api(env.url, `/api/agent/reports?${WEEK}&groupBy=month`, { token });
    assert.equal(month.status, 400);
    assert.equal(month.body.error.code, 'INVALID_PAYLOAD');
    assert.match(month.body.error.message, /groupBy/);
    const backwards = await api(env.url, '/api/agent/reports?from=2026-11-09&to=2026-11-02', { token });
    assert.equal(backwards.status, 400);
    assert.equal(backwards.body.error.code, 'INVALID_RANGE');
    const tooLong = await api(env.url, '/api/agent/reports?from=2024-01-01&to=2026-11-02&format=csv', { token });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.code, 'INVALID_RANGE');
  });
});

describe('desk metrics', () => {
  test('bot replies by intent (the catalogue’s, else other), agents’ replies and CSAT scores', async () => {
    const metrics = async () => (await fetch(`${env.url}/metrics`)).text();
    const sample = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const before = await metrics();
    const catalogue = await loadCatalogue('intents');
    const names = new Set(catalogue.intents.map((intent) => intent.name));
    const labels = [...before.matchAll(/^frontdesk_replies_by_intent_total\{intent="([^"]+)"\} /gm)].map((match) => match[1]!);
    assert.deepEqual(new Set(labels), new Set([...names, 'other']), 'every catalogue intent and other, from 0, and nothing else');

    const visitor = await connectVisitor(env.url);
    env.sockets.push(visitor.socket);
    const { reply } = await ask(visitor.socket, 'I want to talk to a person');
    assert.equal(reply.source, 'handoff');
    const intent = reply.intent && names.has(reply.intent) ? reply.intent : 'other';
    const conversation = `/api/agent/conversations/${visitor.session.conversationId}`;
    assert.equal((await api(env.url, `${conversation}/take-over`, { token, body: {} })).status, 200);
    assert.equal((await api(env.url, `${conversation}/messages`, { token, body: { text: 'Hello, Ann here.' } })).status, 201);
    assert.equal((await request(visitor.socket, 'csat', { score: 4 })).ok, true);

    const after = await metrics();
    const key = `frontdesk_replies_by_intent_total{intent="${intent}"}`;
    assert.equal(sample(after, key) - sample(before, key), 1);
    assert.equal(sample(after, 'frontdesk_agent_replies_total') - sample(before, 'frontdesk_agent_replies_total'), 1);
    assert.equal(sample(after, 'frontdesk_csat_score_count'), 1);
    assert.equal(sample(after, 'frontdesk_csat_score_sum'), 4);
    assert.equal(sample(after, 'frontdesk_csat_score_bucket{le="3"}'), 0);
    assert.equal(sample(after, 'frontdesk_csat_score_bucket{le="4"}'), 1);
    const labelsAfter = [...after.matchAll(/^frontdesk_replies_by_intent_total\{intent="([^"]+)"\} /gm)].map((match) => match[1]!);
    assert.deepEqual(new Set(labelsAfter), new Set([...names, 'other']), 'the label set stays bounded');
  });
});
