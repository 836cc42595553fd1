import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { embeddingText, loadKnowledge, type KnowledgeChunk } from '../../src/retrieval/knowledge.ts';
import {
  chooseThreshold,
  gradeTopHits,
  Retriever,
  type Embed,
  type ScoredOutcome,
} from '../../src/retrieval/retriever.ts';
import { VectorIndex } from '../../src/retrieval/vector-index.ts';
import { TOY_DIMENSION as DIM, toyEncode } from './toy-encoder.ts';

const KNOWLEDGE_DIR = fileURLToPath(new URL('../../intents/knowledge/', import.meta.url));

describe('Retriever over the knowledge base', () => {
  let chunks: KnowledgeChunk[];
  let index: VectorIndex;
  let embedCalls: string[][];
  const embed: Embed = async (texts) => {
    embedCalls.push(texts);
    return texts.map(toyEncode);
  };
  const lookupFrom = (known: KnowledgeChunk[]) => (label: number) => known[label];

  before(async () => {
    chunks = await loadKnowledge(KNOWLEDGE_DIR);
    index = VectorIndex.create({ dimension: DIM, encoderId: 'toy' });
    await index.upsertMany(chunks.map((chunk, label) => ({ label, vector: toyEncode(embeddingText(chunk)) })));
  });

  test('answers a paraphrased question with the matching FAQ entry', async () => {
    embedCalls = [];
    const retriever = new Retriever({ embed, index, lookup: lookupFrom(chunks) });
    const hits = await retriever.search('how long until refunds take to show up?', 3);
    assert.equal(hits.length, 3);
    assert.equal(hits[0]?.meta.source, 'knowledge/returns-refunds.md#how-long-do-refunds-take');
    assert.ok((hits[0]?.score ?? 0) > (hits[1]?.score ?? 0));
    assert.deepEqual(embedCalls, [['how long until refunds take to show up?']]);
  });

  test('a query vector the caller already has is searched without embedding', async () => {
    embedCalls = [];
    const retriever = new Retriever({ embed, index, lookup: lookupFrom(chunks) });
    const query = 'how long until refunds take to show up?';
    const hits = retriever.nearest(toyEncode(query), 3);
    assert.deepEqual(embedCalls, []);
    assert.deepEqual(hits, await retriever.search(query, 3));
  });

  test('embeds a batch of queries in one call', async () => {
    embedCalls = [];
    const retriever = new Retriever({ embed, index, lookup: lookupFrom(chunks) });
    const results = await retriever.searchMany(['reset my password', 'gift card balance'], 2);
    assert.equal(embedCalls.length, 1);
    assert.equal(results[0]?.[0]?.meta.source, 'knowledge/account-privacy.md#how-do-i-reset-my-password');
    assert.equal(results[1]?.[0]?.meta.source, 'knowledge/gift-cards-promotions.md#how-do-i-check-my-gift-card-balance');
  });

  test('skips labels whose metadata is gone and still returns k hits', async () => {
    const target = chunks.findIndex((chunk) => chunk.source.endsWith('#how-do-i-reset-my-password'));
    const withoutTarget = chunks.map((chunk, label) => (label === target ? undefined : chunk));
    const retriever = new Retriever({ embed, index, lookup: (label) => withoutTarget[label] });
    const hits = await retriever.search('reset my password', 5);
    assert.equal(hits.length, 5);
    assert.ok(hits.every((hit) => hit.label !== target));
  });

  test('grades top hits, counting any answer to an out-of-scope question as wrong', async () => {
    const retriever = new Retriever({ embed, index, lookup: lookupFrom(chunks) });
    const outcomes = await gradeTopHits(retriever, [
      { query: 'how do I reset my password', expectedSource: 'knowledge/account-privacy.md#how-do-i-reset-my-password' },
      { query: 'how do I reset my password', expectedSource: 'knowledge/warranty.md#warranty' },
      { query: 'what is the capital of peru', expectedSource: null },
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.correct),
      [true, false, false],
    );
    assert.ok(outcomes.every((outcome) => outcome.score > -1 && outcome.score <= 1 + 1e-6));
  });

  test('grades a query without any hit as rejected', async () => {
    const empty = VectorIndex.create({ dimension: DIM, encoderId: 'toy' });
    const retriever = new Retriever({ embed, index: empty, lookup: lookupFrom(chunks) });
    const [outcome] = await gradeTopHits(retriever, [{ query: 'anything', expectedSource: null }]);
    assert.deepEqual(outcome, { score: Number.NEGATIVE_INFINITY, correct: false });
    assert.equal(chooseThreshold([outcome as ScoredOutcome], { targetPrecision: 0.5 }).threshold, null);
  });
});

describe('chooseThreshold', () => {
  const outcome = (score: number, correct: boolean): ScoredOutcome => ({ score, correct });

  test('picks the lowest score at which accepted answers meet the target precision', () => {
    const outcomes = [
      outcome(0.95, true),
      outcome(0.9, true),
      outcome(0.85, true),
      outcome(0.8, false),
      outcome(0.75, true),
      outcome(0.7, true),
      outcome(0.6, false),
      outcome(0.5, false),
    ];
    // Accepting down to 0.70 gives 5 right of 6 (0.83); down to 0.60, 5 of 7 (0.71).
    assert.deepEqual(chooseThreshold(outcomes, { targetPrecision: 0.8 }), {
      threshold: 0.7,
      precision: 5 / 6,
      coverage: 6 / 8,
      accepted: 6,
      total: 8,
    });
    assert.equal(chooseThreshold(outcomes, { targetPrecision: 1 }).threshold, 0.85);
    assert.equal(chooseThreshold(outcomes, { targetPrecision: 0.6 }).threshold, 0.5);
  });

  test('out-of-scope questions that score high raise the threshold', () => {
    const inScope = [outcome(0.9, true), outcome(0.8, true), outcome(0.7, true), outcome(0.6, true)];
    assert.equal(chooseThreshold(inScope, { targetPrecision: 0.9 }).threshold, 0.6);
    const withOutOfScope = [...inScope, outcome(0.65, false), outcome(0.62, false)];
    assert.equal(chooseThreshold(withOutOfScope, { targetPrecision: 0.9 }).threshold, 0.7);
  });

  test('accepts or rejects tied scores together', () => {
    const outcomes = [outcome(0.9, true), outcome(0.8, true), outcome(0.8, false), outcome(0.8, false)];
    assert.equal(chooseThreshold(outcomes, { targetPrecision: 0.75 }).threshold, 0.9);
  });

  test('returns no threshold when no cut reaches the target', () => {
    const choice = chooseThreshold([outcome(0.9, false), outcome(0.8, true)], { targetPrecision: 0.9 });
    assert.deepEqual(choice, { threshold: null, precision: 0, coverage: 0, accepted: 0, total: 2 });
  });

  test('a confidence bound asks for more evidence from small validation sets', () => {
    const fewRight = [outcome(0.9, true), outcome(0.8, true), outcome(0.7, true)];
    assert.equal(chooseThreshold(fewRight, { targetPrecision: 0.9 }).threshold, 0.7);
    assert.equal(chooseThreshold(fewRight, { targetPrecision: 0.9, z: 1.645 }).threshold, null);
    const manyRight = Array.from({ length: 60 }, (_, i) => outcome(1 - i / 100, true));
    assert.equal(chooseThreshold(manyRight, { targetPrecision: 0.9, z: 1.645 }).accepted, 60);
  });

  test('rejects a target outside (0, 1]', () => {
    assert.throws(() => chooseThreshold([], { targetPrecision: 0 }), RangeError);
    assert.throws(() => chooseThreshold([], { targetPrecision: 1.5 }), RangeError);
  });
});
