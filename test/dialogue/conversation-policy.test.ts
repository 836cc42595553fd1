import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, nextEvent, startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { api, createAgent, login, testPrisma } from '../agents/helpers.ts';

// The whole dialogue policy through real sockets, the real trained model and the real knowledge index.
const dataDir = temporaryDirectory();
let server: RunningServer;

before(async () => {
  ({ server } = await startTestServer({ DATA_DIR: dataDir.path }));
});

after(async () => {
  await server?.close();
  dataDir.remove();
});

describe('dialogue policy over sockets', () => {
  test('a confident question gets its intent template', async () => {
    const { socket } = await connectVisitor(server.url);
    try {
      const { reply } = await ask(socket, 'how can I cancel my order?');
      assert.equal(reply.source, 'intent');
      assert.equal(reply.intent, 'cancel_order');
    } finally {
      socket.close();
    }
  });

  test('unseen paraphrases of knowledge entries are answered from those entries, with their title', async () => {
    const cases = [
      // Both entries answer it (the cast-iron one says never to put it in the dishwasher).
      { text: 'is my cast iron pan ok in the dishwasher?', title: /Are your cookware and kitchen tools dishwasher safe\?|How do I season and clean cast-iron cookware\?/ },
      { text: 'can my linen shirts go in the washing machine and how hot', title: /How should I wash cotton and linen clothing\?/ },
    ];
    for (const { text, title } of cases) {
      const { socket } = await connectVisitor(server.url);
      try {
        const { reply } = await ask(socket, text);
        assert.equal(reply.source, 'retrieval', `${text} → ${JSON.stringify(reply)}`);
        assert.match(reply.retrieval.title, title);
        assert.equal(reply.retrieval.kind, 'document');
        assert.ok(reply.text.length > 20);
      } finally {
        socket.close();
      }
    }
  });

  test('a message the model is unsure of runs it once: retrieval reuses the sentence vector of that run', async () => {
    // Every ONNX run is counted by the model's onRun hook in frontdesk_inference_batch_size.
    const modelRuns = async () => Number(/^frontdesk_inference_batch_size_count (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())![1]);
    const { socket } = await connectVisitor(server.url);
    try {
      for (const [text, source] of [['is my cast iron pan ok in the dishwasher?', 'retrieval'], ['zxqv blorp fnarg', 'clarify']] as const) {
        const before = await modelRuns();
        const { reply } = await ask(socket, text);
        assert.equal(reply.source, source, text);
        assert.equal((await modelRuns()) - before, 1, text);
      }
    } finally {
      socket.close();
    }
  });

  test('nonsense gets a clarification with suggestions, the second nonsense a handoff', async () => {
    const { socket } = await connectVisitor(server.url);
    try {
      const first = await ask(socket, 'zxqv blorp fnarg');
      assert.equal(first.reply.source, 'clarify');
      assert.ok(Array.isArray(first.reply.suggestions) && first.reply.suggestions.length > 0);
      assert.ok(first.reply.suggestions.every((s: any) => typeof s.intent === 'string' && typeof s.label === 'string'));
      const second = await ask(socket, 'wibble wobble quux');
      assert.equal(second.reply.source, 'handoff');
    } finally {
      socket.close();
    }
  });

  test('asking for a person hands over', async () => {
    const { socket } = await connectVisitor(server.url);
    try {
      const { reply } = await ask(socket, 'I want to talk to a person');
      assert.equal(reply.source, 'handoff');
    } finally {
      socket.close();
    }
  });

  test("an agent's answer, once approved for reuse, becomes retrievable for the next visitor who asks the same thing", async () => {
    const prisma = testPrisma(dataDir.path);
    const question = 'Do you engrave initials on the leather wallets?';
    const answer = 'Yes: we engrave up to three initials on any leather wallet for $9. Add the engraving on the product page before checkout; engraved wallets ship two days later and cannot be returned.';
    try {
      await createAgent(prisma, { email: 'harvest@example.com', name: 'Hana', password: 'correct horse battery staple' });
      const token = await login(server.url, 'harvest@example.com', 'correct horse battery staple');
      const first = await connectVisitor(server.url);
      try {
        const asked = await ask(first.socket, question);
        assert.notEqual(asked.reply.source, 'retrieval', `nothing in the knowledge base answers this yet: ${JSON.stringify(asked.reply)}`);
        const handover = await ask(first.socket, 'I want to talk to a person');
        assert.equal(handover.reply.source, 'handoff');
        const conversation = `/api/agent/conversations/${first.session.conversationId}`;
        assert.equal((await api(server.url, `${conversation}/take-over`, { method: 'POST', token })).status, 200);
        const agentReply = nextEvent(first.socket, 'reply', (reply: any) => reply.source === 'agent');
        assert.equal((await api(server.url, `${conversation}/messages`, { method: 'POST', token, body: { text: answer } })).status, 201);
        assert.equal((await agentReply).text, answer);
        assert.equal((await api(server.url, `${conversation}/resolve`, { method: 'POST', token })).status, 200);
      } finally {
        first.socket.close();
      }
      // Harvesting runs after the resolve; approve the answer once it is listed (bounded).
      let pending: any;
      for (let attempt = 0; attempt < 50 && !pending; attempt++) {
        ({ answers: [pending] } = (await api(server.url, '/api/agent/harvested-answers?status=pending', { token })).body);
        if (!pending) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(pending?.text, answer);
      assert.equal((await api(server.url, `/api/agent/harvested-answers/${pending.id}/approve`, { method: 'POST', token, body: {} })).status, 200);
      let reply: any;
      for (let attempt = 0; attempt < 50; attempt++) {
        const next = await connectVisitor(server.url);
        try {
          ({ reply } = await ask(next.socket, 'do you engrave initials on leather wallets as a gift?'));
        } finally {
          next.socket.close();
        }
        if (reply.source === 'retrieval') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(reply.source, 'retrieval', JSON.stringify(reply));
      assert.equal(reply.text, answer);
      assert.equal(reply.retrieval.kind, 'agent_answer');
      assert.equal(reply.retrieval.source, undefined, 'a visitor never learns which conversation an answer came from');
    } finally {
      await prisma.$disconnect();
    }
  });
});

