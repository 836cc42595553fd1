import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { decide, DEFAULT_POLICY_SETTINGS, type IntentCatalogueView, type IntentGuess } from '../../src/dialogue/policy.ts';

const intents = {
  track_order: { name: 'track_order', handoff: false },
  get_refund: { name: 'get_refund', handoff: false },
  contact_human_agent: { name: 'contact_human_agent', handoff: true },
};
// Every text names what it is and its language, so the tests see which text was chosen in which language.
const catalogue: IntentCatalogueView = {
  get: (name) => intents[name as keyof typeof intents],
  answer: (name, language, variant) => `${name}/${language ?? 'en'}/${variant}`,
  label: (name, language) => `label:${name}/${language ?? 'en'}`,
  botText: (key, language) => `bot:${key}/${language ?? 'en'}`,
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

  test('an intent flagged for handoff hands over with its own answer in the visitor\'s language', () => {
    const decision = decide({ state: bot, guess: guess('contact_human_agent', 0.9), catalogue, language: 'zh', variant: 2 });
    assert.equal(decision.reply?.source, 'handoff');
    assert.equal(decision.reply?.intent, 'contact_human_agent');
    assert.equal(decision.reply?.text, 'contact_human_agent/zh/2');
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
    const first = decide({ state: bot, guess: guess(null, 0.1), catalogue, language: 'fr', variant: 0 });
    assert.equal(first.reply?.source, 'clarify');
    assert.equal(first.reply?.text, 'bot:clarify/fr');
    assert.deepEqual(first.reply?.suggestions, [
      { intent: 'track_order', label: 'label:track_order/fr' },
      { intent: 'get_refund', label: 'label:get_refund/fr' },
    ]);
    assert.deepEqual(first.nextState, { status: 'bot', consecutiveFallbacks: 1 });
    const second = decide({ state: first.nextState, guess: guess(null, 0.1), catalogue, language: 'fr', variant: 1 });
    assert.equal(second.reply?.source, 'handoff');
    assert.equal(second.reply?.text, 'bot:handoff/fr');
    assert.equal(second.reply?.intent, undefined);
    assert.equal(second.nextState.status, 'waiting_for_agent');
  });

  test('without any known suggestion the clarification asks to rephrase', () => {
    const decision = decide({ state: bot, guess: guess(null, 0.1, ['nope']), catalogue, language: 'es', variant: 0 });
    assert.equal(decision.reply?.text, 'bot:rephrase/es');
    assert.deepEqual(decision.reply?.suggestions, []);
  });

  test('the bot stays silent while an agent holds or is awaited', () => {
    for (const status of ['agent', 'waiting_for_agent'] as const) {
      const decision = decide({ state: { status, consecutiveFallbacks: 0 }, guess: guess('track_order', 0.99), catalogue, variant: 0 });
      assert.equal(decision.reply, null);
      assert.equal(decision.nextState.status, status);
    }
  });

  test('the number of clarifications before handing over is a setting', () => {
    const clarifyingTwice = { clarificationsBeforeHandoff: 2, suggestions: 3 };
    const first = decide({ state: bot, guess: guess(null, 0.1), catalogue, variant: 0, settings: clarifyingTwice });
    const second = decide({ state: first.nextState, guess: guess(null, 0.1), catalogue, variant: 1, settings: clarifyingTwice });
    const third = decide({ state: second.nextState, guess: guess(null, 0.1), catalogue, variant: 2, settings: clarifyingTwice });
    assert.deepEqual([first, second, third].map((decision) => decision.reply?.source), ['clarify', 'clarify', 'handoff']);
    assert.deepEqual(second.nextState, { status: 'bot', consecutiveFallbacks: 2 });

    const never = decide({ state: bot, guess: guess(null, 0.1), catalogue, language: 'de', variant: 0, settings: { clarificationsBeforeHandoff: 0, suggestions: 3 } });
    assert.equal(never.reply?.source, 'handoff');
    assert.equal(never.reply?.text, 'bot:handoff/de');
  });

  test('the number of suggestions is a setting; none asks to rephrase', () => {
    const one = decide({ state: bot, guess: guess(null, 0.1), catalogue, variant: 0, settings: { clarificationsBeforeHandoff: 1, suggestions: 1 } });
    assert.deepEqual(one.reply?.suggestions, [{ intent: 'track_order', label: 'label:track_order/en' }]);
    const none = decide({ state: bot, guess: guess(null, 0.1), catalogue, variant: 0, settings: { clarificationsBeforeHandoff: 1, suggestions: 0 } });
    assert.equal(none.reply?.text, 'bot:rephrase/en');
    assert.deepEqual(none.reply?.suggestions, []);
  });

  test('without settings the policy uses its defaults', () => {
    const input = { state: bot, guess: guess(null, 0.1, ['track_order', 'get_refund', 'contact_human_agent']), catalogue, variant: 0 };
    assert.deepEqual(decide(input), decide({ ...input, settings: DEFAULT_POLICY_SETTINGS }));
    assert.deepEqual(DEFAULT_POLICY_SETTINGS, { clarificationsBeforeHandoff: 1, suggestions: 3 });
  });

  test('a message in a resolved conversation reopens it with the bot', () => {
    const decision = decide({ state: { status: 'resolved', consecutiveFallbacks: 1 }, guess: guess(null, 0.1), catalogue, variant: 0 });
    assert.equal(decision.reply?.source, 'clarify');
    assert.deepEqual(decision.nextState, { status: 'bot', consecutiveFallbacks: 1 });
  });
});

describe('policy settings from the environment', () => {
  test('default to the policy defaults and are read as numbers', () => {
    const defaults = loadConfig({});
    assert.deepEqual({ clarificationsBeforeHandoff: defaults.clarificationsBeforeHandoff, suggestions: defaults.suggestions }, DEFAULT_POLICY_SETTINGS);
    const configured = loadConfig({ CLARIFICATIONS_BEFORE_HANDOFF: '0', SUGGESTIONS: '5', RETRIEVAL_TARGET_PRECISION: '0.9' });
    assert.deepEqual([configured.clarificationsBeforeHandoff, configured.suggestions, configured.retrievalTargetPrecision], [0, 5, 0.9]);
  });

  test('invalid values are reported with the rest', () => {
    assert.throws(
      () => loadConfig({ CLARIFICATIONS_BEFORE_HANDOFF: '-1', SUGGESTIONS: '6', RETRIEVAL_TARGET_PRECISION: '0', PORT: 'abc' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems.map((problem) => problem.split(':')[0]).sort(), ['CLARIFICATIONS_BEFORE_HANDOFF', 'PORT', 'RETRIEVAL_TARGET_PRECISION', 'SUGGESTIONS']);
        return true;
      },
    );
  });
});
