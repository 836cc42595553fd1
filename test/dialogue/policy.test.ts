import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import type { ActionResult } from '../../src/actions/client.ts';
import type { Entity } from '../../src/entities/index.ts';
import {
  decide,
  decideAfterAction,
  DEFAULT_POLICY_SETTINGS,
  parseFormState,
  type ConversationState,
  type FormState,
  type IntentCatalogueView,
  type IntentGuess,
} from '../../src/dialogue/policy.ts';

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
  slotPrompt: (intent, slot, language) => `prompt:${intent}.${slot}/${language ?? 'en'}`,
  renderTemplate: (intent, template, language, variables) => `${intent}.${template}/${language ?? 'en'}:${JSON.stringify(variables)}`,
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

// An intent with a form: the order number is required, the e-mail address only when the action asks for it.
const orderLookup = {
  name: 'find_order',
  handoff: false,
  slots: [
    { name: 'order_number', entity: 'order_number', required: true, maxAsks: 2 },
    { name: 'email', entity: 'email', required: false, maxAsks: 2 },
  ],
  action: { name: 'track_order' },
};
const forms: IntentCatalogueView = { ...catalogue, get: (name) => (name === orderLookup.name ? orderLookup : catalogue.get(name)) };
const entity = (type: string, value: string): Entity => ({ type, value, text: value, start: 0, end: value.length });
const formOpen = (form: Partial<FormState> = {}): ConversationState => ({
  status: 'bot',
  consecutiveFallbacks: 0,
  form: { intent: 'find_order', slots: {}, asking: 'order_number', asks: { order_number: 1 }, ...form },
});
const unsure = guess(null, 0.1);
const succeeded = (data: Extract<ActionResult, { ok: true }>['data']): ActionResult => ({ ok: true, data, action: 'track_order', attempts: 1, latencyMs: 12 });

describe('forms: slots, corrections, cancelling, interruptions', () => {
  test('an intent with an action opens a form and asks for its first missing required slot', () => {
    const decision = decide({ state: bot, guess: guess('find_order', 0.9), catalogue: forms, language: 'de', variant: 0, text: 'where is my order?', entities: [] });
    assert.deepEqual(decision.reply, { source: 'intent', text: 'prompt:find_order.order_number/de', intent: 'find_order' });
    assert.deepEqual(decision.nextState, formOpen());
    assert.equal(decision.action, undefined);
  });

  test('slots the message already fills are taken, and with every required slot filled the action runs', () => {
    const decision = decide({ state: bot, guess: guess('find_order', 0.9), catalogue: forms, variant: 0, text: 'where is NW-2024-0042?', entities: [entity('order_number', 'NW-2024-0042')] });
    assert.equal(decision.reply, null);
    assert.deepEqual(decision.action, { name: 'track_order', intent: 'find_order', slots: { order_number: 'NW-2024-0042' }, confirmed: false });
    assert.deepEqual(decision.nextState.form, { intent: 'find_order', slots: { order_number: 'NW-2024-0042' }, asking: null, asks: {} });
  });

  test('a correction replaces the slot, whatever the model reads into the message', () => {
    const state = formOpen({ slots: { order_number: 'NW-2024-0042' }, asking: 'email', asks: { order_number: 1, email: 1 } });
    const decision = decide({ state, guess: guess('get_refund', 0.95), catalogue: forms, variant: 0, text: "no, it's NW-2024-0043", entities: [entity('order_number', 'NW-2024-0043')] });
    assert.deepEqual(decision.action?.slots, { order_number: 'NW-2024-0043' });
  });

  test('the asked slot takes the answer first; the other slots take their own types', () => {
    const state = formOpen({ asking: 'email', asks: { email: 1 } });
    const decision = decide({ state, guess: unsure, catalogue: forms, variant: 0, text: 'x', entities: [entity('email', 'a@example.com'), entity('order_number', '#48213')] });
    assert.deepEqual(decision.action?.slots, { email: 'a@example.com', order_number: '#48213' });
  });

  test('cancelling closes the form with the bot\'s text in the visitor\'s language', () => {
    for (const [text, language] of [['abbrechen', 'de'], ['Cancel!', 'en'], ['算了', 'zh'], ['  stop ', 'en']] as const) {
      const decision = decide({ state: formOpen(), guess: unsure, catalogue: forms, language, variant: 0, text, entities: [] });
      assert.deepEqual(decision.reply, { source: 'intent', text: `bot:form_cancelled/${language}`, intent: 'find_order' }, text);
      assert.deepEqual(decision.nextState, bot);
    }
  });

  test('another confident intent interrupts: it is answered and the form resumes with its question; the same intent asks again', () => {
    const interrupted = decide({ state: formOpen(), guess: guess('get_refund', 0.9), catalogue: forms, language: 'de', variant: 3, text: 'Ich will mein Geld zurück', entities: [] });
    assert.deepEqual(interrupted.reply, { source: 'intent', text: 'get_refund/de/3\n\nbot:form_resumed/de prompt:find_order.order_number/de', intent: 'get_refund', confidence: 0.9 });
    assert.deepEqual(interrupted.nextState, formOpen(), 'the form is kept as it was');
    const resumed = decide({ state: interrupted.nextState, guess: unsure, catalogue: forms, variant: 4, text: '#48213', entities: [entity('order_number', '#48213')] });
    assert.deepEqual(resumed.action?.slots, { order_number: '#48213' });

    const again = decide({ state: formOpen(), guess: guess('find_order', 0.9), catalogue: forms, variant: 0, text: 'where is my order', entities: [] });
    assert.equal(again.reply?.text, 'prompt:find_order.order_number/en');
    assert.deepEqual(again.nextState.form?.asks, { order_number: 2 });
  });

  test('by the form\'s rule an interruption drops it; a handing-over intent or another form always replaces it', () => {
    const dropping: IntentCatalogueView = { ...forms, get: (name) => (name === orderLookup.name ? { ...orderLookup, action: { name: 'track_order', onInterruption: 'drop' as const } } : forms.get(name)) };
    const dropped = decide({ state: formOpen(), guess: guess('get_refund', 0.9), catalogue: dropping, variant: 3, text: 'I want my money back', entities: [] });
    assert.deepEqual(dropped.reply, { source: 'intent', text: 'get_refund/en/3', intent: 'get_refund', confidence: 0.9 });
    assert.deepEqual(dropped.nextState, bot);
    const person = decide({ state: formOpen(), guess: guess('contact_human_agent', 0.9), catalogue: forms, variant: 0, text: 'a person please', entities: [] });
    assert.deepEqual(person.nextState, { status: 'waiting_for_agent', consecutiveFallbacks: 0 });
  });

  test('a bare free-text answer fills a text slot', () => {
    const addressForm: IntentCatalogueView = {
      ...forms,
      get: (name) => (name === orderLookup.name ? { ...orderLookup, slots: [...orderLookup.slots, { name: 'address', entity: 'text', required: false, maxAsks: 2 }] } : forms.get(name)),
    };
    const asking = formOpen({ slots: { order_number: '#48213' }, asking: 'address', asks: { address: 1 } });
    const filled = decide({ state: asking, guess: unsure, catalogue: addressForm, variant: 0, text: '5 Elm St, Springfield', entities: [entity('text', '5 Elm St, Springfield')] });
    assert.deepEqual(filled.action?.slots, { order_number: '#48213', address: '5 Elm St, Springfield' });
  });

  test('a request naming what an action needs goes to that action\'s intent when the model ranks it among its first three', () => {
    const ranked = (ranking: Array<[string, number]>, intent: string | null): IntentGuess => ({ intent, topIntent: ranking[0]![0], confidence: ranking[0]![1], ranking: ranking.map(([name, confidence]) => ({ intent: name, confidence })) });
    const numbered = [entity('order_number', 'NW-2024-0042')];
    const routed = decide({ state: bot, guess: ranked([['get_refund', 0.6], ['find_order', 0.3]], 'get_refund'), catalogue: forms, variant: 0, text: 'when does NW-2024-0042 arrive', entities: numbered });
    assert.deepEqual(routed.action?.slots, { order_number: 'NW-2024-0042' });
    const unsureRouted = decide({ state: bot, guess: ranked([['get_refund', 0.3], ['find_order', 0.2]], null), catalogue: forms, variant: 0, text: 'NW-2024-0042?', entities: numbered });
    assert.equal(unsureRouted.action?.intent, 'find_order');
    // Not without the entity, not below the confidence floor or the third rank, never over a handover.
    assert.equal(decide({ state: bot, guess: ranked([['get_refund', 0.6], ['find_order', 0.3]], 'get_refund'), catalogue: forms, variant: 0, text: 'when does it arrive', entities: [] }).reply?.intent, 'get_refund');
    assert.equal(decide({ state: bot, guess: ranked([['get_refund', 0.97], ['find_order', 0.01]], 'get_refund'), catalogue: forms, variant: 0, text: 'x', entities: numbered }).reply?.intent, 'get_refund');
    assert.equal(decide({ state: bot, guess: ranked([['get_refund', 0.5], ['track_order', 0.2], ['contact_human_agent', 0.1], ['find_order', 0.1]], 'get_refund'), catalogue: forms, variant: 0, text: 'x', entities: numbered }).reply?.intent, 'get_refund');
    assert.equal(decide({ state: bot, guess: ranked([['contact_human_agent', 0.6], ['find_order', 0.3]], 'contact_human_agent'), catalogue: forms, variant: 0, text: 'x', entities: numbered }).reply?.source, 'handoff');
  });

  test('a question does not fill a free-text slot', () => {
    const addressForm: IntentCatalogueView = {
      ...forms,
      get: (name) => (name === orderLookup.name ? { ...orderLookup, slots: [...orderLookup.slots, { name: 'address', entity: 'text', required: false, maxAsks: 2 }] } : forms.get(name)),
    };
    const asking = formOpen({ slots: { order_number: '#48213' }, asking: 'address', asks: { address: 1 } });
    const address = 'Jonas Becker, Lindenstraße 12, 10115 Berlin';
    const taken = decide({ state: asking, guess: guess('get_refund', 0.9), catalogue: addressForm, variant: 0, text: address, entities: [entity('text', address)] });
    assert.deepEqual(taken.action?.slots, { order_number: '#48213', address }, 'an address the model reads as another intent is still the answer');
    const question = decide({ state: asking, guess: guess('get_refund', 0.9), catalogue: addressForm, variant: 0, text: 'do you refund shipping?', entities: [entity('text', 'do you refund shipping?')] });
    assert.equal(question.reply?.intent, 'get_refund');
    assert.deepEqual(question.nextState.form, asking.form);
  });

  test('an answer that fills nothing asks again, and after max asks the bot hands over', () => {
    const again = decide({ state: formOpen(), guess: unsure, catalogue: forms, variant: 0, text: 'hmm', entities: [] });
    assert.equal(again.reply?.text, 'prompt:find_order.order_number/en');
    const handedOver = decide({ state: again.nextState, guess: unsure, catalogue: forms, language: 'zh', variant: 0, text: 'hmm', entities: [] });
    assert.deepEqual(handedOver.reply, { source: 'handoff', text: 'bot:handoff/zh', intent: 'find_order' });
    assert.deepEqual(handedOver.nextState, { status: 'waiting_for_agent', consecutiveFallbacks: 0 });
  });

  test('a form from a catalogue that no longer has its action is dropped, and a stored form is read strictly', () => {
    const decision = decide({ state: { ...formOpen(), form: { intent: 'track_order', slots: {}, asking: null, asks: {} } }, guess: unsure, catalogue: forms, variant: 0, text: 'x', entities: [] });
    assert.equal(decision.reply?.source, 'clarify');
    assert.equal(decision.nextState.form, undefined);
    assert.deepEqual(parseFormState(formOpen().form), formOpen().form);
    for (const stored of [null, undefined, 'x', { intent: 'find_order' }, { ...formOpen().form, extra: 1 }]) assert.equal(parseFormState(stored), undefined);
  });
});

describe('after an action', () => {
  const ran = formOpen({ slots: { order_number: 'NW-2024-0042' }, asking: null });

  test('an answer renders the template the action chose with the slots and its variables, and closes the form', () => {
    const decision = decideAfterAction({ state: ran, result: succeeded({ type: 'answer', template: 'order_shipped', variables: { carrier: 'UPS', order_number: 'NW-2024-0042' } }), catalogue: forms, language: 'de' });
    assert.deepEqual(decision.reply, { source: 'intent', text: 'find_order.order_shipped/de:{"order_number":"NW-2024-0042","carrier":"UPS"}', intent: 'find_order' });
    assert.deepEqual(decision.nextState, bot);
  });

  test('ask_slot asks for that slot and keeps the form; handoff hands over', () => {
    const asked = decideAfterAction({ state: ran, result: succeeded({ type: 'ask_slot', slot: 'email', variables: {} }), catalogue: forms, language: 'fr' });
    assert.equal(asked.reply?.text, 'prompt:find_order.email/fr');
    assert.deepEqual(asked.nextState.form, { intent: 'find_order', slots: { order_number: 'NW-2024-0042' }, asking: 'email', asks: { order_number: 1, email: 1 } });

    const handoff = decideAfterAction({ state: ran, result: succeeded({ type: 'handoff', reason: 'fraud check', variables: {} }), catalogue: forms });
    assert.deepEqual(handoff.reply, { source: 'handoff', text: 'bot:handoff/en', intent: 'find_order' });
  });

  test('every failure, an unknown template and an undeclared slot are an apology in the visitor\'s language and a handover', () => {
    const failures: ActionResult[] = (['timeout', 'http_error', 'invalid_response', 'breaker_open', 'network', 'not_configured'] as const).map((reason) => ({ ok: false, reason, detail: reason, action: 'track_order', attempts: 1, latencyMs: 5 }));
    const unrenderable = { ...forms, renderTemplate: () => undefined };
    const cases = [
      ...failures.map((result) => ({ result, catalogue: forms })),
      { result: succeeded({ type: 'answer', template: 'no_such_template', variables: {} }), catalogue: unrenderable },
      { result: succeeded({ type: 'ask_slot', slot: 'password', variables: {} }), catalogue: forms },
    ];
    for (const { result, catalogue: view } of cases) {
      const decision = decideAfterAction({ state: ran, result, catalogue: view, language: 'es' });
      assert.deepEqual(decision.reply, { source: 'handoff', text: 'bot:action_failed/es', intent: 'find_order' }, JSON.stringify(result));
      assert.deepEqual(decision.nextState, { status: 'waiting_for_agent', consecutiveFallbacks: 0 });
    }
  });
});

describe('confirmations', () => {
  const ran = formOpen({ slots: { order_number: '#48213' }, asking: null });
  const asked = decideAfterAction({ state: ran, result: succeeded({ type: 'confirm', template: 'cancel_confirm', variables: { items: '1 × Lamp' } }), catalogue: forms, language: 'de' });

  test('the shop\'s confirm response asks its yes/no question and keeps the form', () => {
    assert.deepEqual(asked.reply, { source: 'intent', text: 'find_order.cancel_confirm/de:{"order_number":"#48213","items":"1 × Lamp"}', intent: 'find_order' });
    assert.deepEqual(asked.nextState.form?.confirming, { template: 'cancel_confirm', variables: { order_number: '#48213', items: '1 × Lamp' }, asks: 1 });
  });

  test('yes runs the action again, confirmed; no changes nothing', () => {
    for (const text of ['yes', 'Yes please!', 'ja', 'ja, bitte stornieren', '是的', '好的，取消吧', 'oui', 'sí']) {
      const decision = decide({ state: asked.nextState, guess: unsure, catalogue: forms, variant: 0, text, entities: [] });
      assert.deepEqual(decision.action, { name: 'track_order', intent: 'find_order', slots: { order_number: '#48213' }, confirmed: true }, text);
      assert.equal(decision.nextState.form?.confirming, undefined);
    }
    for (const text of ['no', 'No thanks', 'nein', '不要', '不是', 'non']) {
      const decision = decide({ state: asked.nextState, guess: guess('get_refund', 0.9), catalogue: forms, language: 'de', variant: 0, text, entities: [] });
      assert.equal(decision.action, undefined, text);
      assert.deepEqual(decision.reply, { source: 'intent', text: 'bot:action_declined/de', intent: 'find_order' }, text);
      assert.deepEqual(decision.nextState, bot);
    }
  });

  test('a correction asks the shop again unconfirmed; an unclear reply asks again, then hands over; another intent interrupts and resumes the question', () => {
    const corrected = decide({ state: asked.nextState, guess: unsure, catalogue: forms, variant: 0, text: 'no, #48231', entities: [entity('order_number', '#48231')] });
    assert.deepEqual(corrected.action, { name: 'track_order', intent: 'find_order', slots: { order_number: '#48231' }, confirmed: false });

    const unclear = decide({ state: asked.nextState, guess: unsure, catalogue: forms, language: 'de', variant: 0, text: 'hmm', entities: [] });
    assert.equal(unclear.reply?.text, asked.reply?.text);
    const handedOver = decide({ state: unclear.nextState, guess: unsure, catalogue: forms, variant: 0, text: 'hmm', entities: [] });
    assert.equal(handedOver.reply?.source, 'handoff');

    const interrupted = decide({ state: asked.nextState, guess: guess('get_refund', 0.9), catalogue: forms, language: 'de', variant: 1, text: 'wie lange dauert die Erstattung', entities: [] });
    assert.equal(interrupted.reply?.text, `get_refund/de/1\n\nbot:form_resumed/de ${asked.reply?.text}`);
    assert.deepEqual(interrupted.nextState.form, asked.nextState.form);
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
