import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { ModelRegistry } from '../../src/models/registry.ts';
import { ModelFiles } from '../../src/models/model-files.ts';
import { connectVisitor, nextEvent, request, temporaryDirectory } from '../helpers/server.ts';
import { connectAgent, createAgent, login } from '../agents/helpers.ts';
import { eventually, spawnServer, startTestPostgres, type ServerProcess, type TestPostgres } from './helpers.ts';

// Two server processes on one Postgres share rooms and events through @socket.io/postgres-adapter
// (SCALE_OUT defaults to postgres when DATABASE_URL is set): an agent on B sees and answers a visitor
// on A, and a model promoted anywhere is served by both.
const dir = temporaryDirectory();
let postgres: TestPostgres;
let a: ServerProcess;
let b: ServerProcess;
let prisma: PrismaClient;

before(async () => {
  postgres = await startTestPostgres(dir.path);
  const env = { DATABASE_URL: postgres.url, SECRET_KEY: 'scale-out-test-secret-key-0123456789abcdef' };
  // A first: it trains the starter model; B finds it active.
  a = await spawnServer({ ...env, DATA_DIR: join(dir.path, 'a') });
  b = await spawnServer({ ...env, DATA_DIR: join(dir.path, 'b') });
  prisma = createPrismaClient(postgres.url, 2);
});

after(async () => {
  await prisma?.$disconnect().catch(() => {});
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await postgres?.stop().catch(() => {});
  dir.remove();
});

test('an agent connected to process B sees and answers a visitor connected to process A', async () => {
  await createAgent(prisma, { email: 'scale@example.com', name: 'Scale', password: 'correct horse battery staple' });
  const token = await login(b.url, 'scale@example.com', 'correct horse battery staple');
  const { socket: agent } = await connectAgent(b.url, { token });
  const { socket: visitor, session } = await connectVisitor(a.url);
  try {
    // The visitor asks for a person on A; the queue pushed by B shows the conversation.
    const queued = nextEvent(agent, 'queue', (queue: any) => JSON.stringify(queue).includes(session.conversationId), 20_000);
    const ack = await request(visitor, 'message', { clientId: 'ask-human', text: 'I want to talk to a human agent' });
    assert.equal(ack.ok, true);
    // The handoff is decided on A, which pushes the queue to the `agents` room: the adapter carries it to B.
    await queued;

    const taken = await agent.timeout(10_000).emitWithAck('take_over', { conversationId: session.conversationId });
    assert.equal(taken.ok, true, JSON.stringify(taken));
    // B emits the agent's reply to io.of('/chat').to('conversation:<id>'): the adapter carries it to A.
    const reply = nextEvent(visitor, 'reply', (event: any) => event.source === 'agent', 15_000);
    const sent = await agent.timeout(10_000).emitWithAck('reply', { conversationId: session.conversationId, text: 'Hello from process B', clientId: 'agent-1' });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    const received = await reply;
    assert.equal(received.text, 'Hello from process B');
    assert.equal(received.conversationId, session.conversationId);

    // And the visitor's next message on A reaches the agent watching on B.
    const seen = nextEvent(agent, 'message', (message: any) => message.conversationId === session.conversationId && message.role === 'visitor', 15_000);
    assert.equal((await request(visitor, 'message', { clientId: 'after-takeover', text: 'thanks, my order is late' })).ok, true);
    await seen;
  } finally {
    visitor.close();
    agent.close();
  }
});

test('a model promoted through the registry is served by both processes', async () => {
  const registry = new ModelRegistry(prisma);
  const active = await registry.active();
  assert.ok(active);
  const candidate = await registry.register({
    name: `scale-out-${Date.now()}`,
    encoder: active.encoder,
    // The active version's files, fetched from Postgres like a third machine would.
    artifactDir: await new ModelFiles(registry.artifacts, join(dir.path, 'registrar')).localDir(active),
    metrics: active.metrics as object,
    thresholds: active.thresholds as object,
  });
  await registry.promote(candidate.name);
  const serves = async (server: ServerProcess) => (await (await fetch(`${server.url}/metrics`)).text()).includes(`version="${candidate.name}"`);
  await eventually(() => serves(a), 'process A serving the promoted model');
  await eventually(() => serves(b), 'process B serving the promoted model');
  // Both still answer visitors.
  for (const server of [a, b]) {
    const { socket } = await connectVisitor(server.url);
    try {
      assert.equal((await request(socket, 'message', { clientId: 'after-promotion', text: 'where is my order' })).ok, true);
    } finally {
      socket.close();
    }
  }
});
