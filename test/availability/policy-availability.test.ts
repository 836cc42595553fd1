import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BOT_TEXTS } from '../../src/catalogue/schema.ts';
import { decide, decideHandoffRequest, decideLongWait, type Availability, type ConversationState, type IntentCatalogueView, type IntentGuess } from '../../src/dialogue/policy.ts';

const intents: Record<string, { name: string; handoff: boolean }> = {
  greet: { name: 'greet', handoff: false },
  contact_human_agent: { name: 'contact_human_agent', handoff: true },
};
const catalogue: IntentCatalogueView = {
  get: (name) => intents[name],
  answer: (name) => `answer of ${name}`,
  label: (name) => name,
  botText: (key, language) => (language === 'de' ? `[de] ${DEFAULT_BOT_TEXTS[key].en}` : DEFAULT_BOT_TEXTS[key].en!),
  slotPrompt: () => 'which?',
  renderTemplate: () => undefined,
};
const guess = (intent: string | null): IntentGuess => ({ intent, topIntent: intent ?? 'greet', confidence: intent ? 0.9 : 0.1, ranking: [] });
const bot: ConversationState = { status: 'bot', consecutiveFallbacks: 0 };
const waiting: ConversationState = { status: 'waiting_for_agent', consecutiveFallbacks: 0 };
const closed: Availability = { staffed: false, back: 'Monday 09:00 CET' };
const nobody: Availability = { staffed: false, back: null };

describe('policy: availability', () => {
  test('a handover while staffed promises someone shortly, as before', () => {
    const decision = decide({ state: bot, guess: guess('contact_human_agent'), catalogue, variant: 0, availability: { staffed: true, back: null } });
    assert.equal(decision.reply?.text, 'answer of contact_human_agent');
    assert.equal(decision.nextState.status, 'waiting_for_agent');
    assert.equal(decision.followup, undefined);
  });

  test('outside business hours: says when the team is back and asks for an e-mail address', () => {
    const decision = decide({ state: bot, guess: guess('contact_human_agent'), catalogue, variant: 0, availability: closed });
    assert.equal(decision.reply?.source, 'handoff');
    assert.match(decision.reply!.text, /back Monday 09:00 CET\. Leave your e-mail address/);
    assert.equal(decision.nextState.status, 'waiting_for_agent');
    assert.deepEqual(decision.followup, { ask: true });
  });

  test('within hours, nobody available: says so, in the visitor language', () => {
    const decision = decideHandoffRequest({ state: bot, catalogue, language: 'de', availability: nobody });
    assert.match(decision.reply!.text, /^\[de\] Nobody from our support team is available/);
    assert.deepEqual(decision.followup, { ask: true });
  });

  test('the offline path also after fallbacks', () => {
    const decision = decide({ state: { status: 'bot', consecutiveFallbacks: 1 }, guess: guess(null), catalogue, variant: 0, availability: nobody });
    assert.equal(decision.nextState.status, 'waiting_for_agent');
    assert.match(decision.reply!.text, /Nobody from our support team/);
  });

  test('non-handover replies are not touched by availability', () => {
    const decision = decide({ state: bot, guess: guess('greet'), catalogue, variant: 0, availability: nobody });
    assert.equal(decision.reply?.text, 'answer of greet');
    assert.equal(decision.followup, undefined);
  });

  test('a message while waiting is acknowledged with the place in the queue', () => {
    const decision = decide({ state: waiting, guess: guess('greet'), catalogue, variant: 0, text: 'hello?', availability: { staffed: true, back: null, queuePosition: 3 } });
    assert.match(decision.reply!.text, /You are number 3 in the queue/);
    assert.equal(decision.nextState.status, 'waiting_for_agent');
  });

  test('without availability facts the bot stays silent while waiting (as before)', () => {
    assert.equal(decide({ state: waiting, guess: guess('greet'), catalogue, variant: 0 }).reply, null);
    assert.equal(decide({ state: { status: 'agent', consecutiveFallbacks: 0 }, guess: guess('greet'), catalogue, variant: 0, availability: { staffed: true, back: null, queuePosition: 1 } }).reply, null);
  });

  test('the e-mail address asked for is taken from the message entities', () => {
    const availability: Availability = { staffed: false, back: null, queuePosition: 1, followup: { asked: true, email: null } };
    const entities = [{ type: 'email', value: 'ada@example.com', text: 'ada@example.com', start: 9, end: 24 }];
    const decision = decide({ state: waiting, guess: guess(null), catalogue, variant: 0, text: 'it is ada@example.com', entities, availability });
    assert.deepEqual(decision.followup, { email: 'ada@example.com' });
    assert.match(decision.reply!.text, /send our answer to ada@example\.com/);
    assert.equal(decision.nextState.status, 'waiting_for_agent');
  });

  test('an invalid address is asked again; once given, messages get the queue acknowledgement', () => {
    const asked: Availability = { staffed: false, back: null, queuePosition: 2, followup: { asked: true, email: null } };
    const invalid = decide({ state: waiting, guess: guess(null), catalogue, variant: 0, text: 'ada@example', entities: [], availability: asked });
    assert.match(invalid.reply!.text, /doesn't look like an e-mail address/);
    assert.equal(invalid.followup, undefined);
    const noAddress = decide({ state: waiting, guess: guess(null), catalogue, variant: 0, text: 'are you there', entities: [], availability: asked });
    assert.match(noAddress.reply!.text, /number 2 in the queue/);
    const given = decide({ state: waiting, guess: guess(null), catalogue, variant: 0, text: 'x@y.org', entities: [{ type: 'email', value: 'x@y.org', text: 'x@y.org', start: 0, end: 7 }], availability: { ...asked, followup: { asked: true, email: 'ada@example.com' } } });
    assert.equal(given.followup, undefined);
    assert.match(given.reply!.text, /number 2 in the queue/);
  });

  test('a long wait takes the offline path once', () => {
    const first = decideLongWait({ state: waiting, catalogue, availability: { staffed: true, back: null, followup: { asked: false, email: null } } });
    assert.match(first.reply!.text, /Nobody from our support team/);
    assert.deepEqual(first.followup, { ask: true });
    const outside = decideLongWait({ state: waiting, catalogue, availability: { ...closed, followup: { asked: false, email: null } } });
    assert.match(outside.reply!.text, /back Monday 09:00 CET/);
    assert.equal(decideLongWait({ state: waiting, catalogue, availability: { ...closed, followup: { asked: true, email: null } } }).reply, null);
    assert.equal(decideLongWait({ state: { status: 'agent', consecutiveFallbacks: 0 }, catalogue, availability: nobody }).reply, null);
  });
});

describe('policy: availability after an action failed', () => {
  test('the apology stays, followed by the offline text', async () => {
    const { decideAfterAction } = await import('../../src/dialogue/policy.ts');
    const { offlineIfUnstaffed } = await import('../../src/dialogue/policy.ts');
    const failed = decideAfterAction({ state: { status: 'bot', consecutiveFallbacks: 0, form: { intent: 'greet', slots: {}, asking: null, asks: {} } }, result: { ok: false, reason: 'timeout', detail: 'x', action: 'a', attempts: 1, latencyMs: 1 }, catalogue });
    const offline = offlineIfUnstaffed(failed, catalogue, 'en', nobody);
    assert.ok(offline.reply!.text.startsWith(DEFAULT_BOT_TEXTS.action_failed.en!));
    assert.match(offline.reply!.text, /Nobody from our support team/);
    assert.deepEqual(offline.followup, { ask: true });
  });
});
