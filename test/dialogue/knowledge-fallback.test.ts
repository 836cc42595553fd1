import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { knowledgeOf, readCatalogueFolder } from '../../src/catalogue/folder.ts';
import { KnowledgeFallback, type Encoder } from '../../src/dialogue/knowledge-fallback.ts';
import type { EncodedSentence } from '../../src/dialogue/service.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { ChatStore } from '../../src/store/chat-store.ts';
import type { DocumentChunk, KnowledgeStore, StoredChunk } from '../../src/store/knowledge-store.ts';
import { temporaryDirectory } from '../helpers/temp.ts';
import { toyEncode } from '../retrieval/toy-encoder.ts';

const INTENTS_DIR = fileURLToPath(new URL('../../intents/', import.meta.url));
const QUESTION = 'how long until refunds take to show up?';

/** The knowledge documents in memory: what KnowledgeFallback reads and writes of Postgres when it builds its index. */
function inMemoryKnowledge(): KnowledgeStore {
  const chunks: StoredChunk[] = [];
  const store: Pick<KnowledgeStore, 'syncDocuments' | 'needingEmbedding' | 'saveEmbedding' | 'embedded'> = {
    async syncDocuments(documents: readonly DocumentChunk[]) {
      for (const document of documents) {
        chunks.push({
          ...document, id: randomUUID(), label: chunks.length, kind: 'document', question: null, encoder: null, embedding: null, titleEmbedding: null,
          deletedAt: null, createdAt: new Date(), reuseStatus: null, reviewedAt: null, reviewedById: null,
        });
      }
      return { added: documents.length, removed: 0 };
    },
    async needingEmbedding(encoder) {
      return chunks.filter((chunk) => chunk.encoder !== encoder);
    },
    async saveEmbedding(id, encoder, vector, titleVector = null) {
      const bytes = (v: Float32Array) => new Uint8Array(v.slice().buffer);
      Object.assign(chunks.find((chunk) => chunk.id === id)!, { encoder, embedding: bytes(vector), titleEmbedding: titleVector && bytes(titleVector) });
    },
    async embedded(encoder) {
      return chunks.filter((chunk) => chunk.encoder === encoder);
    },
  };
  return store as KnowledgeStore;
}

describe('the retrieval fallback reuses the sentence vector of the classifying run', () => {
  const indexDir = temporaryDirectory();
  let embedded: string[] = [];
  let current: Encoder | null;
  let fallback: KnowledgeFallback;
  const toyEncoder = (id: string): Encoder => ({
    id,
    embed: async (texts) => {
      embedded.push(...texts);
      return texts.map(toyEncode);
    },
  });
  const sentenceOf = (encoderId: string): EncodedSentence => ({ encoderId, vector: toyEncode(QUESTION) });

  before(async () => {
    current = toyEncoder('v1');
    const documents = knowledgeOf(await readCatalogueFolder(INTENTS_DIR));
    fallback = new KnowledgeFallback({
      knowledge: inMemoryKnowledge(),
      chats: {} as ChatStore,
      documents: () => documents,
      indexDir: join(indexDir.path, 'index'),
      currentEncoder: () => current,
      logger: createLogger('silent'),
      // The toy encoder is weak: accept nearly every top hit, so that answers are there to compare.
      targetPrecision: 0.05,
    });
    await fallback.refresh();
    assert.equal(fallback.encoderId, 'v1');
  });

  after(async () => {
    await fallback.close();
    indexDir.remove();
  });

  test('a vector of the index encoder is searched as it is: the text is not embedded again', async () => {
    embedded = [];
    const reused = await fallback.bestAnswer(QUESTION, sentenceOf('v1'));
    assert.deepEqual(embedded, []);
    assert.equal(reused?.source, 'knowledge/returns-refunds.md#how-long-do-refunds-take');
    assert.deepEqual(reused, await fallback.bestAnswer(QUESTION));
    assert.deepEqual(embedded, [QUESTION], 'without a vector the text is embedded');
  });

  test("a vector of another encoder (a promotion came in between) is not compared with the index's: the text is embedded again", async () => {
    embedded = [];
    const answer = await fallback.bestAnswer(QUESTION, sentenceOf('v0'));
    assert.deepEqual(embedded, [QUESTION]);
    assert.equal(answer?.source, 'knowledge/returns-refunds.md#how-long-do-refunds-take');
  });

  test('while the index still holds the previous encoder, only a vector of that encoder is answered', async () => {
    current = toyEncoder('v2');
    try {
      embedded = [];
      assert.equal(await fallback.bestAnswer(QUESTION, sentenceOf('v2')), null, 'no answer beats a wrong one');
      assert.equal(await fallback.bestAnswer(QUESTION), null);
      assert.equal((await fallback.bestAnswer(QUESTION, sentenceOf('v1')))?.source, 'knowledge/returns-refunds.md#how-long-do-refunds-take');
      assert.deepEqual(embedded, []);
    } finally {
      current = toyEncoder('v1');
    }
  });
});
