// The catalogue editor's API on a real server (issue 19): admins only; refusals with file, line and
// field; conflicts; a preview with an unsaved draft; a new intent makes the model stale; a changed
// knowledge document is served at once, with only its changed chunk embedded anew.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startAgentTestServer, type AgentTestServer } from '../agents/helpers.ts';
import { ask, connectVisitor } from '../helpers/server.ts';
import { intentYaml } from './helpers.ts';

let env: AgentTestServer;
let admin: string;
let agent: string;
const BALANCE_QUESTION = 'how do I see how much money is left on my gift card';
const BALANCE_SOURCE = 'knowledge/gift-cards-promotions.md#how-do-i-check-my-gift-card-balance';
const ADDED = 'Balances are also printed on every receipt.';

before(async () => {
  env = await startAgentTestServer(
    [
      { email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' },
      { email: 'ann@example.com', name: 'Ann', password: 'ann password 1' },
    ],
    { RETRAIN_SCHEDULE: 'off' },
  );
  [admin, agent] = env.tokens as [string, string];
});

after(async () => {
  await env?.close();
});

async function askVisitor(text: string) {
  const visitor = env.track(await connectVisitor(env.url, { language: 'en' }));
  try {
    return (await ask(visitor.socket, text)).reply;
  } finally {
    visitor.socket.close();
  }
}

test('only admins use the catalogue API', async () => {
  assert.equal((await api(env.url, '/api/agent/catalogue/')).status, 401);
  const refused = await api(env.url, '/api/agent/catalogue/', { token: agent });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'FORBIDDEN');
  const listed = await api(env.url, '/api/agent/catalogue/?q=track_order', { token: admin });
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.documents.map((document: any) => document.path).includes('track_order.yaml'), true);
  const track = listed.body.documents.find((document: any) => document.path === 'track_order.yaml');
  assert.equal(track.kind, 'intent');
  assert.equal(track.action, 'track_order');
  assert.equal(listed.body.model.stale, false);
  assert.equal((await api(env.url, '/api/agent/catalogue/documents/nothing.yaml', { token: admin })).status, 404);
});

test('a change that breaks a rule is refused with file, line and field; one over a newer revision is a conflict', async () => {
  const { body } = await api(env.url, '/api/agent/catalogue/documents/thanks.yaml', { token: admin });
  const { content, revision } = body.document;
  const stolen = content.replace('examples:\n', 'examples:\n  - where is my order\n');
  const refused = await api(env.url, '/api/agent/catalogue/documents/thanks.yaml', { token: admin, method: 'PUT', body: { content: stolen, baseRevision: revision } });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.error.code, 'CATALOGUE_INVALID');
  const problem = refused.body.error.problems.find((p: any) => p.file === 'thanks.yaml');
  assert.equal(problem.field, 'examples[0]');
  assert.equal(problem.line, content.split('\n').findIndex((line: string) => line === 'examples:') + 2);
  assert.match(problem.message, /also an example of intent "track_order"/);

  const conflict = await api(env.url, '/api/agent/catalogue/documents/thanks.yaml', { token: admin, method: 'PUT', body: { content, baseRevision: revision + 1 } });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.error.code, 'CONFLICT');
});

test('a preview answers with the unsaved draft and saves nothing', async () => {
  const { body } = await api(env.url, '/api/agent/catalogue/documents/greeting.yaml', { token: admin });
  const draft = body.document.content.replace(/answers:\n {2}en:\n(?: {4}- .*\n)+/, 'answers:\n  en:\n    - "Draft hello!"\n');
  const preview = await api(env.url, '/api/agent/catalogue/preview', { token: admin, method: 'POST', body: { text: 'hello', language: 'en', drafts: [{ path: 'greeting.yaml', content: draft }] } });
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.equal(preview.body.preview.reply.text, 'Draft hello!');
  assert.equal(preview.body.preview.reply.intent, 'greeting');
  assert.notEqual((await askVisitor('hello')).text, 'Draft hello!');
  const invalid = await api(env.url, '/api/agent/catalogue/preview', { token: admin, method: 'POST', body: { text: 'hello', drafts: [{ path: 'greeting.yaml', content: 'name: greeting\n' }] } });
  assert.equal(invalid.status, 422);
});

test('a new intent makes the model stale until a retraining; retiring it takes it out of the catalogue', async () => {
  const created = await api(env.url, '/api/agent/catalogue/documents/gift_wrap.yaml', { token: admin, method: 'PUT', body: { content: intentYaml('gift_wrap'), baseRevision: 0 } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.revision.change, 'create');
  assert.equal(created.body.model.stale, true);
  assert.equal(created.body.model.examplesChangedIn, 'gift_wrap.yaml');
  const retired = await api(env.url, '/api/agent/catalogue/documents/gift_wrap.yaml?baseRevision=1', { token: admin, method: 'DELETE' });
  assert.equal(retired.status, 200, JSON.stringify(retired.body));
  const intents = await api(env.url, '/api/agent/intents', { token: admin });
  assert.equal(intents.body.intents.some((intent: any) => intent.name === 'gift_wrap'), false);
  const history = await api(env.url, '/api/agent/catalogue/history/gift_wrap.yaml', { token: admin });
  assert.deepEqual(history.body.revisions.map((revision: any) => revision.change), ['retire', 'create']);
});

test('a changed knowledge document is served at once; only its changed chunk is embedded anew', async () => {
  const before = await askVisitor(BALANCE_QUESTION);
  assert.equal(before.source, 'retrieval', JSON.stringify(before));
  const { body } = await api(env.url, '/api/agent/catalogue/documents/knowledge/gift-cards-promotions.md', { token: admin });
  const chunksBefore = await env.prisma.knowledgeChunk.findMany({ where: { kind: 'document', deletedAt: null }, select: { id: true, source: true } });
  const content = body.document.content.replace('pay the rest with another payment method.', `pay the rest with another payment method. ${ADDED}`);
  const saved = await api(env.url, '/api/agent/catalogue/documents/knowledge/gift-cards-promotions.md', { token: admin, method: 'PUT', body: { content, baseRevision: body.document.revision } });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal(saved.body.revision.examplesChanged, false);

  const deadline = Date.now() + 30_000;
  let reply = before;
  while (!reply.text.includes(ADDED) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    reply = await askVisitor(BALANCE_QUESTION);
  }
  assert.ok(reply.text.includes(ADDED), JSON.stringify(reply));
  const chunksAfter = await env.prisma.knowledgeChunk.findMany({ where: { kind: 'document', deletedAt: null }, select: { id: true, source: true } });
  const kept = new Set(chunksBefore.map((chunk) => chunk.id));
  assert.deepEqual(chunksAfter.filter((chunk) => !kept.has(chunk.id)).map((chunk) => chunk.source), [BALANCE_SOURCE]);
  assert.equal(chunksAfter.length, chunksBefore.length);
});
