// Accepting a discovered cluster end to end, on a real server and Postgres: the imported logs are
// discovered through the API, the gift wrapping cluster is accepted with an edited answer, the
// intent is saved to the catalogue in Postgres (with its revision) and the catalogue reloaded, the gated retraining promotes a model that
// knows the intent, and a visitor asking in new words gets the accepted answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importFile } from '../../src/corpus/import-file.ts';
import { ask, connectVisitor, temporaryDirectory } from '../helpers/server.ts';
import { api, startAgentTestServer, type AgentTestServer } from '../agents/helpers.ts';
import { fixtureConversations } from './fixtures.ts';

const ACCEPTED_ANSWER = 'Gift wrapping is $5 per order: choose Gift wrap at /cart before you pay.';
let env: AgentTestServer;
let admin: string;
let agent: string;
const intents = temporaryDirectory('frontdesk-discovery-intents-');

before(async () => {
  cpSync('intents', intents.path, { recursive: true });
  env = await startAgentTestServer(
    [
      { email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' },
      { email: 'ann@example.com', name: 'Ann', password: 'ann password 1' },
    ],
    { INTENTS_DIR: intents.path, RETRAIN_SCHEDULE: 'off' },
  );
  [admin, agent] = env.tokens as [string, string];
  const file = join(env.dataDir, 'logs.jsonl');
  writeFileSync(file, fixtureConversations(4).map((conversation) => JSON.stringify({ id: conversation.id, messages: conversation.messages })).join('\n'));
  const summary = await importFile(env.prisma, file, { format: 'jsonl' });
  assert.equal(summary.skipped.length, 0);
});

after(async () => {
  await env?.close();
  intents.remove();
});

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('only admins review discovered intents', async () => {
  assert.equal((await api(env.url, '/api/agent/discovery/runs', { token: agent })).status, 403);
  assert.equal((await api(env.url, '/api/agent/discovery/runs')).status, 401);
});

test('an accepted cluster becomes a catalogue intent that the next retraining learns and the bot answers', { timeout: 600_000 }, async () => {
  const started = await api(env.url, '/api/agent/discovery/runs', { token: admin, body: { seed: 1 } });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const runId = started.body.run.id;
  const run = (await until('the discovery run', () => api(env.url, `/api/agent/discovery/runs/${runId}`, { token: admin }), (r) => r.body.run.status !== 'running', 120_000)).body.run;
  assert.equal(run.status, 'done', run.error);
  const gift = run.clusters.find((cluster: any) => cluster.keywords.some((keyword: string) => keyword.includes('gift')));
  assert.ok(gift, JSON.stringify(run.clusters.map((cluster: any) => cluster.keywords)));
  for (const answer of gift.answers) assert.doesNotMatch(answer.text, /@|555|4111/);

  // Noise and merge on the other clusters leave the gift cluster alone.
  const others = run.clusters.filter((cluster: any) => cluster.id !== gift.id);
  if (others.length >= 2) {
    const merged = await api(env.url, `/api/agent/discovery/runs/${runId}/merge`, { token: admin, body: { clusters: [others[0].id, others[1].id] } });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    const noise = await api(env.url, `/api/agent/discovery/runs/${runId}/clusters/${merged.body.cluster.id}/noise`, { token: admin, body: {} });
    assert.equal(noise.body.cluster.status, 'noise');
  }

  const bad = await api(env.url, `/api/agent/discovery/runs/${runId}/clusters/${gift.id}/accept`, { token: admin, body: { name: 'Gift Wrapping', label: 'Gift wrapping', examples: gift.examples, answer: ACCEPTED_ANSWER } });
  assert.equal(bad.status, 400);
  const accepted = await api(env.url, `/api/agent/discovery/runs/${runId}/clusters/${gift.id}/accept`, {
    token: admin,
    body: { name: 'gift_wrapping', label: 'Gift wrapping', examples: gift.examples, answer: ACCEPTED_ANSWER },
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.cluster.status, 'accepted');
  assert.ok(accepted.body.cluster.resolution.labelled >= 8);
  const saved = await env.prisma.catalogueRevision.findMany({ where: { path: 'gift_wrapping.yaml' } });
  assert.deepEqual(saved.map((revision) => [revision.revision, revision.change, revision.actorName, revision.examplesChanged]), [[1, 'create', 'root@example.com', true]]);
  assert.match(saved[0]!.content ?? '', /Gift wrapping is \$5 per order/);
  assert.equal(existsSync(join(intents.path, 'gift_wrapping.yaml')), false, 'the folder is only the seed');
  // The catalogue was reloaded in place: agents can pick the intent now.
  const listed = await api(env.url, '/api/agent/intents', { token: admin });
  assert.ok(listed.body.intents.some((intent: any) => intent.name === 'gift_wrapping'));
  // Accepting it again is a conflict.
  assert.equal((await api(env.url, `/api/agent/discovery/runs/${runId}/clusters/${gift.id}/accept`, { token: admin, body: { name: 'gift_wrapping_2', label: 'x', examples: ['x'], answer: 'x' } })).status, 409);

  const retrained = await until(
    'the retraining',
    () => api(env.url, `/api/agent/discovery/runs/${runId}`, { token: admin }),
    (r) => r.body.run.clusters.find((cluster: any) => cluster.id === gift.id).resolution.retraining.status !== 'running',
    540_000,
  );
  const retraining = retrained.body.run.clusters.find((cluster: any) => cluster.id === gift.id).resolution.retraining;
  assert.equal(retraining.status, 'promoted', JSON.stringify(retraining));

  // The live model follows the promotion (LISTEN/NOTIFY); then the bot answers the new intent.
  const visitor = await connectVisitor(env.url);
  env.sockets.push(visitor.socket);
  const reply = await until('the new intent', async () => (await ask(visitor.socket, 'could you gift wrap the order I am placing')).reply, (r) => r.intent === 'gift_wrapping', 30_000);
  assert.equal(reply.source, 'intent');
  assert.equal(reply.text, ACCEPTED_ANSWER);
});
