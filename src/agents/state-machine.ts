/**
 * The conversation state machine, as seen by people (pure: no I/O).
 *
 *   bot ──(bot hands over / agent requests)──▶ waiting_for_agent ──take_over──▶ agent
 *    ▲                                              │   ▲                        │
 *    │◀───────────────hand_back─────────────────────┘   └────────release─────────┤
 *    │◀───────────────hand_back──────────────────────────────────────────────────┤
 *    │                                                                           ▼
 *    └──────────(visitor writes again: reopen)───────────── resolved ◀──resolve──┘
 *
 * `take_over` is also allowed straight from `bot` (an agent watching a conversation steps in) and
 * `resolve` from every open state. The bot itself moves bot → waiting_for_agent (its handoff
 * reply) and resolved → bot (a visitor writes again); those live in `dialogue/policy.ts`.
 *
 * Ownership: while a conversation is in `agent`, only its assignee (or an admin) may reply, hand it
 * back, release or resolve it; another agent taking it over needs the admin role (a transfer).
 */

export type ConversationStatus = 'bot' | 'waiting_for_agent' | 'agent' | 'resolved';
export type AgentRole = 'agent' | 'admin';
export type AgentAction = 'request_agent' | 'take_over' | 'release' | 'hand_back' | 'resolve' | 'reopen' | 'reply';

export interface ConversationSnapshot {
  status: ConversationStatus;
  assigneeId: string | null;
}

export interface Actor {
  id: string;
  role: AgentRole;
}

/** What the store writes: the new status and assignee, and what happens to the time stamps. */
export interface TransitionEffect {
  status: ConversationStatus;
  assigneeId: string | null;
  /** `now`: starts (or restarts) the wait; `keep`: leaves it; `clear`: not waiting any more. */
  waitingSince: 'now' | 'keep' | 'clear';
  resolvedAt: 'now' | 'keep' | 'clear';
  /** False when nothing changes (e.g. the assignee takes over again): nothing to write or broadcast. */
  changed: boolean;
}

export type TransitionErrorCode = 'INVALID_TRANSITION' | 'NOT_ASSIGNEE' | 'HELD_BY_OTHER';

export type TransitionResult =
  | { ok: true; effect: TransitionEffect }
  | { ok: false; code: TransitionErrorCode; message: string };

export const AGENT_ACTIONS: readonly AgentAction[] = ['request_agent', 'take_over', 'release', 'hand_back', 'resolve', 'reopen', 'reply'];

/** Decides whether `actor` may do `action` on a conversation in `current`, and what it changes. */
export function transition(current: ConversationSnapshot, action: AgentAction, actor: Actor): TransitionResult {
  const { status } = current;
  const holder = current.assigneeId;
  const mine = holder === actor.id;
  const admin = actor.role === 'admin';
  const heldByOther = status === 'agent' && holder !== null && !mine;

  switch (action) {
    case 'request_agent':
      if (status === 'waiting_for_agent') return unchanged(current);
      if (status !== 'bot') return invalid(status, action);
      return ok({ status: 'waiting_for_agent', assigneeId: null, waitingSince: 'now', resolvedAt: 'keep' });

    case 'take_over':
      if (status === 'resolved') return invalid(status, action);
      if (status === 'agent' && mine) return unchanged(current);
      if (heldByOther && !admin) return heldBy(action);
      return ok({ status: 'agent', assigneeId: actor.id, waitingSince: 'keep', resolvedAt: 'keep' });

    case 'release':
      // Back into the queue for a colleague; the wait starts again.
      if (status !== 'agent') return invalid(status, action);
      if (heldByOther && !admin) return notAssignee(action);
      return ok({ status: 'waiting_for_agent', assigneeId: null, waitingSince: 'now', resolvedAt: 'keep' });

    case 'hand_back':
      if (status !== 'agent' && status !== 'waiting_for_agent') return invalid(status, action);
      if (heldByOther && !admin) return notAssignee(action);
      return ok({ status: 'bot', assigneeId: null, waitingSince: 'clear', resolvedAt: 'keep' });

    case 'resolve':
      if (status === 'resolved') return unchanged(current);
      if (heldByOther && !admin) return notAssignee(action);
      // The assignee stays recorded: who closed the conversation is part of its history.
      return ok({ status: 'resolved', assigneeId: status === 'agent' ? holder : null, waitingSince: 'clear', resolvedAt: 'now' });

    case 'reopen':
      if (status !== 'resolved') return invalid(status, action);
      return ok({ status: 'bot', assigneeId: null, waitingSince: 'clear', resolvedAt: 'clear' });

    case 'reply':
      // Replying needs the conversation in hand: the bot must be silent while a person writes.
      if (status !== 'agent') return { ok: false, code: 'NOT_ASSIGNEE', message: 'Take the conversation over before replying.' };
      if (!mine) return notAssignee(action);
      return unchanged(current);
  }
}

/** The actions the console offers for a conversation (those `transition` would allow). */
export function allowedActions(current: ConversationSnapshot, actor: Actor): AgentAction[] {
  return AGENT_ACTIONS.filter((action) => {
    const result = transition(current, action, actor);
    return result.ok && (result.effect.changed || action === 'reply');
  });
}

/** True while the bot must stay silent in the conversation. */
export function botSilent(status: ConversationStatus): boolean {
  return status === 'agent' || status === 'waiting_for_agent';
}

function ok(effect: Omit<TransitionEffect, 'changed'>): TransitionResult {
  return { ok: true, effect: { ...effect, changed: true } };
}

function unchanged(current: ConversationSnapshot): TransitionResult {
  return { ok: true, effect: { status: current.status, assigneeId: current.assigneeId, waitingSince: 'keep', resolvedAt: 'keep', changed: false } };
}

function invalid(status: ConversationStatus, action: AgentAction): TransitionResult {
  return { ok: false, code: 'INVALID_TRANSITION', message: `A conversation in state "${status}" cannot be ${PAST[action]}.` };
}

function heldBy(action: AgentAction): TransitionResult {
  return { ok: false, code: 'HELD_BY_OTHER', message: `Another agent holds this conversation; only an admin can ${VERB[action]} it.` };
}

function notAssignee(action: AgentAction): TransitionResult {
  return { ok: false, code: 'NOT_ASSIGNEE', message: `Only the agent holding this conversation (or an admin) can ${VERB[action]} it.` };
}

const PAST: Record<AgentAction, string> = {
  request_agent: 'handed to an agent',
  take_over: 'taken over',
  release: 'released to the queue',
  hand_back: 'handed back to the bot',
  resolve: 'resolved',
  reopen: 'reopened',
  reply: 'replied to',
};

const VERB: Record<AgentAction, string> = {
  request_agent: 'queue',
  take_over: 'take over',
  release: 'release',
  hand_back: 'hand back',
  resolve: 'resolve',
  reopen: 'reopen',
  reply: 'reply in',
};
