import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, startTestServer, temporaryDirectory } from '../helpers/server.ts';

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

  test('unseen paraphrases of knowledge entries are answered from those entries, with their source', async () => {
    const cases = [
      { text: 'is my cast iron pan ok in the dishwasher?', source: /product-care-sizing\.md#are-your-cookware-and-kitchen-tools-dishwasher-safe/ },
      { text: 'what should I do if my parcel is held in customs abroad', source: /international-shipping\.md#my-international-package-is-stuck-in-customs/ },
    ];
    for (const { text, source } of cases) {
      const { socket } = await connectVisitor(server.url);
      try {
        const { reply } = await ask(socket, text);
        assert.equal(reply.source, 'retrieval', `${text} → ${JSON.stringify(reply)}`);
        assert.match(reply.retrieval.source, source);
        assert.equal(reply.retrieval.kind, 'document');
        assert.ok(reply.text.length > 20);
      } finally {
        socket.close();
      }
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
});
