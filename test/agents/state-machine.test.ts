import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedActions, botSilent, transition, type Actor, type ConversationSnapshot } from '../../src/agents/state-machine.ts';

const ann: Actor = { id: 'ann', role: 'agent' };
const bob: Actor = { id: 'bob', role: 'agent' };
const boss: Actor = { id: 'boss', role: 'admin' };

const bot: ConversationSnapshot = { status: 'bot', assigneeId: null };
const waiting: ConversationSnapshot = { status: 'waiting_for_agent', assigneeId: null };
const heldByAnn: ConversationSnapshot = { status: 'agent', assigneeId: 'ann' };
const resolved: ConversationSnapshot = { status: 'resolved', assigneeId: 'ann' };

function effect(current: ConversationSnapshot, action: Parameters<typeof transition>[1], actor: Actor) {
  const result = transition(current, action, actor);
  assert.ok(result.ok, `expected ${action} from ${current.status} to be allowed: ${JSON.stringify(result)}`);
  return result.effect;
}

function refusal(current: ConversationSnapshot, action: Parameters<typeof transition>[1], actor: Actor) {
  const result = transition(current, action, actor);
  assert.equal(result.ok, false, `expected ${action} from ${current.status} to be refused`);
  return result.ok ? '' : result.code;
}

describe('conversation state machine', () => {
  test('the full cycle: bot → waiting_for_agent → agent → resolved → bot', () => {
    const queued = effect(bot, 'request_agent', ann);
    assert.deepEqual([queued.status, queued.assigneeId, queued.waitingSince], ['waiting_for_agent', null, 'now']);
    const taken = effect(waiting, 'take_over', ann);
    assert.deepEqual([taken.status, taken.assigneeId, taken.waitingSince], ['agent', 'ann', 'keep']);
    const closed = effect(heldByAnn, 'resolve', ann);
    assert.deepEqual([closed.status, closed.assigneeId, closed.resolvedAt, closed.waitingSince], ['resolved', 'ann', 'now', 'clear']);
    const reopened = effect(resolved, 'reopen', ann);
    assert.deepEqual([reopened.status, reopened.assigneeId, reopened.resolvedAt], ['bot', null, 'clear']);
  });

  test('hand back returns the conversation to the bot, from agent or from the queue', () => {
    for (const from of [heldByAnn, waiting]) {
      const back = effect(from, 'hand_back', ann);
      assert.deepEqual([back.status, back.assigneeId, back.waitingSince], ['bot', null, 'clear']);
    }
    assert.equal(refusal(bot, 'hand_back', ann), 'INVALID_TRANSITION');
    assert.equal(refusal(resolved, 'hand_back', ann), 'INVALID_TRANSITION');
  });

  test('release puts a held conversation back in the queue, waiting from now', () => {
    const released = effect(heldByAnn, 'release', ann);
    assert.deepEqual([released.status, released.assigneeId, released.waitingSince], ['waiting_for_agent', null, 'now']);
    assert.equal(refusal(waiting, 'release', ann), 'INVALID_TRANSITION');
  });

  test('an agent can step into a bot conversation directly, not into a resolved one', () => {
    assert.equal(effect(bot, 'take_over', bob).assigneeId, 'bob');
    assert.equal(refusal(resolved, 'take_over', bob), 'INVALID_TRANSITION');
  });

  test('only the holder (or an admin) acts on a held conversation', () => {
    assert.equal(refusal(heldByAnn, 'take_over', bob), 'HELD_BY_OTHER');
    assert.equal(refusal(heldByAnn, 'hand_back', bob), 'NOT_ASSIGNEE');
    assert.equal(refusal(heldByAnn, 'release', bob), 'NOT_ASSIGNEE');
    assert.equal(refusal(heldByAnn, 'resolve', bob), 'NOT_ASSIGNEE');
    assert.equal(refusal(heldByAnn, 'reply', bob), 'NOT_ASSIGNEE');
    // An admin transfers the conversation to themselves.
    assert.equal(effect(heldByAnn, 'take_over', boss).assigneeId, 'boss');
    assert.equal(effect(heldByAnn, 'resolve', boss).status, 'resolved');
  });

  test('replying needs the conversation in hand; it changes nothing', () => {
    assert.equal(effect(heldByAnn, 'reply', ann).changed, false);
    for (const state of [bot, waiting, resolved]) assert.equal(refusal(state, 'reply', ann), 'NOT_ASSIGNEE');
  });

  test('repeating an action is harmless and reports no change', () => {
    assert.equal(effect(heldByAnn, 'take_over', ann).changed, false);
    assert.equal(effect(resolved, 'resolve', ann).changed, false);
    assert.equal(effect(waiting, 'request_agent', ann).changed, false);
    assert.equal(effect(waiting, 'take_over', ann).changed, true);
  });

  test('resolve works from every open state; a bot conversation keeps no assignee', () => {
    for (const from of [bot, waiting]) assert.deepEqual([effect(from, 'resolve', bob).status, effect(from, 'resolve', bob).assigneeId], ['resolved', null]);
  });

  test('every transition not listed is refused', () => {
    assert.equal(refusal(bot, 'reopen', ann), 'INVALID_TRANSITION');
    assert.equal(refusal(heldByAnn, 'request_agent', ann), 'INVALID_TRANSITION');
    assert.equal(refusal(resolved, 'request_agent', ann), 'INVALID_TRANSITION');
  });

  test('allowed actions drive the console buttons', () => {
    assert.deepEqual(allowedActions(waiting, ann), ['take_over', 'hand_back', 'resolve']);
    assert.deepEqual(allowedActions(heldByAnn, ann), ['release', 'hand_back', 'resolve', 'reply']);
    assert.deepEqual(allowedActions(heldByAnn, bob), []);
    assert.deepEqual(allowedActions(heldByAnn, boss), ['take_over', 'release', 'hand_back', 'resolve']);
    assert.deepEqual(allowedActions(bot, ann), ['request_agent', 'take_over', 'resolve']);
  });

  test('the bot is silent exactly while a person is in charge or awaited', () => {
    assert.deepEqual(
      (['bot', 'waiting_for_agent', 'agent', 'resolved'] as const).map(botSilent),
      [false, true, true, false],
    );
  });
});
