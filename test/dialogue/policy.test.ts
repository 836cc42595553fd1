import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, DEFAULT_TEXTS, type IntentCatalogueView, type IntentGuess } from '../../src/dialogue/policy.ts';

const intents = {
  track_order: { name: 'track_order', label: 'Track my order', handoff: false },
  get_refund: { name: 'get_refund', label: 'Get a refund', handoff: false },
  contact_human_agent: { name: 'contact_human_agent', label: 'Talk to a person', handoff: true },
};
const catalogue: IntentCatalogueView = {
  get: (name) => intents[name as keyof typeof intents],
  answer: (name, language, variant) => `${name}/${language ?? 'en'}/${variant}`,
};
const guess = (intent: string | null, confidence: number, ranking = ['track_order', 'get_refund', 'unknown_intent']): IntentGuess => ({
  intent,
  topIntent: ranking[0]!,
  confidence,
  ranking: ranking.map((name, i) => ({ intent: name, confidence: confidence / (i + 1) })),
});
const bot = { status: 'bot' as const, consecutiveFallbacks: 0 };

describe('dialogue policy', () => {
  test('a confident intent answers from its template and resets the fallback count', () => {
    const decision = decide({ state: { status: 'bot', consecutiveFallbacks: 1 }, guess: guess('track_order', 0.93), catalogue, language: 'de', variant: 4 });
    assert.deepEqual(decision.reply, { source: 'intent', text: 'track_order/de/4', intent: 'track_order', confidence: 0.93 });
    assert.deepEqual(decision.nextState, bot);
  });

  test('an intent flagged for handoff hands over', () => {
    const decision = decide({ state: bot, guess: guess('contact_human_agent', 0.9), catalogue, variant: 0 });
    assert.equal(decision.reply?.source, 'handoff');
    assert.equal(decision.reply?.text, DEFAULT_TEXTS.handoff);
    assert.deepEqual(decision.nextState, { status: 'waiting_for_agent', consecutiveFallbacks: 0 });
  });

  test('low confidence with a retrieval hit answers from retrieval with its source', () => {
    const decision = decide({
      state: { status: 'bot', consecutiveFallbacks: 1 },
      guess: guess(null, 0.2),
      retrieval: { text: 'Returns are free within 30 days.', score: 0.81, source: 'knowledge/returns.md#free-returns', kind: 'document', title: 'Free returns' },
      catalogue,
      variant: 0,
    });
    assert.equal(decision.reply?.source, 'retrieval');
    assert.equal(decision.reply?.text, 'Returns are free within 30 days.');
    assert.deepEqual(decision.reply?.retrieval, { source: 'knowledge/returns.md#free-returns', kind: 'document', score: 0.81, title: 'Free returns' });
    assert.deepEqual(decision.nextState, bot);
  });

  test('the first fallback clarifies with known suggestions only; the second in a row hands over', () => {
    const first = decide({ state: bot, guess: guess(null, 0.1), catalogue, variant: 0 });
    assert.equal(first.reply?.source, 'clarify');
    assert.equal(first.reply?.text, DEFAULT_TEXTS.clarify);
    assert.deepEqual(first.reply?.suggestions, [
      { intent: 'track_order', label: 'Track my order' },
      { intent: 'get_refund', label: 'Get a refund' },
    ]);
    assert.deepEqual(first.nextState, { status: 'bot', consecutiveFallbacks: 1 });
    const second = decide({ state: first.nextState, guess: guess(null, 0.1), catalogue, variant: 1 });
    assert.equal(second.reply?.source, 'handoff');
    assert.equal(second.nextState.status, 'waiting_for_agent');
  });

  test('without any known suggestion the clarification asks to rephrase', () => {
    const decision = decide({ state: bot, guess: guess(null, 0.1, ['nope']), catalogue, variant: 0 });
    assert.equal(decision.reply?.text, DEFAULT_TEXTS.clarifyWithoutSuggestions);
    assert.deepEqual(decision.reply?.suggestions, []);
  });

  test('the bot stays silent while an agent holds or is awaited', () => {
    for (const status of ['agent', 'waiting_for_agent'] as const) {
      const decision = decide({ state: { status, consecutiveFallbacks: 0 }, guess: guess('track_order', 0.99), catalogue, variant: 0 });
      assert.equal(decision.reply, null);
      assert.equal(decision.nextState.status, status);
    }
  });

  test('a message in a resolved conversation reopens it with the bot', () => {
    const decision = decide({ state: { status: 'resolved', consecutiveFallbacks: 1 }, guess: guess(null, 0.1), catalogue, variant: 0 });
    assert.equal(decision.reply?.source, 'clarify');
    assert.deepEqual(decision.nextState, { status: 'bot', consecutiveFallbacks: 1 });
  });
});
