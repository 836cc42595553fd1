import type { ActionClient, ActionResult } from '../actions/client.ts';
import { actionCustomer } from '../actions/protocol.ts';
import { extractEntities, type EntitySettings } from '../entities/index.ts';
import type { VerifiedCustomer } from '../identity/customer-token.ts';
import type { Logger } from '../observability/logger.ts';
import type { AnswerContext, ChatStore, ConversationStatus, Message } from '../store/chat-store.ts';
import type { ConversationEvents } from './conversation-events.ts';
import { chooseLanguage } from './language.ts';
import {
  decide,
  decideAfterAction,
  decideHandoffRequest,
  decideLongWait,
  offlineIfUnstaffed,
  parseFormState,
  type Availability,
  type Decision,
  type ConversationState,
  type FormState,
  type IntentCatalogueView,
  type IntentGuess,
  type PlannedAction,
  type PolicySettings,
  type RetrievalAnswer,
} from './policy.ts';

/** A message's sentence vector and the encoder (model version) that computed it. */
export interface EncodedSentence {
  encoderId: string;
  vector: Float32Array;
}

/** The intent model currently in service; it changes when a new version is promoted. */
export interface ActiveClassifier {
  readonly versionId: string | null;
  /** `sentence`: the classifying run's sentence vector, so that retrieval need not run the model again. */
  classify(text: string): Promise<IntentGuess & { sentence?: EncodedSentence }>;
}

/** Finds the best knowledge or past-agent answer above the retrieval threshold. */
export interface RetrievalFallback {
  /** `sentence`: the text's vector when the caller has one; used when the index holds the same encoder's vectors. */
  bestAnswer(text: string, sentence?: EncodedSentence): Promise<RetrievalAnswer | null>;
}

export interface DialogueDependencies {
  store: ChatStore;
  catalogue: () => IntentCatalogueView & { readonly languages: readonly string[]; readonly entities?: EntitySettings };
  classifier: () => ActiveClassifier;
  retrieval?: () => RetrievalFallback | null;
  /** Runs the actions of intents with forms (the shops' webhooks); without it every action fails as not configured. */
  actions?: Pick<ActionClient, 'call'>;
  /** How the bot falls back when it cannot answer; default: the policy's defaults. */
  policy?: Readonly<PolicySettings>;
  logger: Logger;
  /** Observes every stored reply (metrics). */
  onReplied?: (source: string, seconds: number) => void;
  /** Observes every decision on a new visitor message, so that agents' views follow without a query. */
  onAnswered?: (outcome: AnswerOutcome) => void;
  /** Where every stored reply is published (`replied`): the gateway delivers it to the visitor. */
  events?: ConversationEvents;
  /**
   * Whether people can answer, and the offline follow-up (src/availability/desk.ts). Absent: the desk
   * counts as staffed, and the bot stays silent while a conversation waits for an agent.
   */
  availability?: AvailabilitySource;
}

/** What the dialogue needs of the desk's availability (src/availability/desk.ts implements it). */
export interface AvailabilitySource {
  /** `back`: when the desk opens next, in the visitor's language; null within business hours. */
  staffing(language: string | undefined): Promise<{ staffed: boolean; back: string | null }>;
  /** The follow-up and the queue position (null when the conversation does not wait). */
  waiting(conversationId: string): Promise<{ followup: { asked: boolean; email: string | null }; position: number | null; language?: string | null }>;
  /** A bot message while the conversation waits, with its follow-up change; null when it no longer waits. */
  appendWaitingReply(input: { conversationId: string; replyToId: string | null; text: string; details?: object; followup?: Decision['followup'] }): Promise<Message | null>;
  markAsked(conversationId: string): Promise<void>;
}

/** What answering one visitor message did: the reply (null when the bot stayed silent) and the state change. */
export interface AnswerOutcome {
  conversationId: string;
  /** The visitor message answered; null for a handover the visitor asked for without one (`handOver`). */
  message: Message | null;
  reply: Message | null;
  statusBefore: ConversationStatus;
  /** null when nothing was written because an agent took the conversation over meanwhile. */
  statusAfter: ConversationStatus | null;
}

/**
 * Answers visitor messages: classify, decide with the pure policy, persist the reply together with
 * the conversation's new state. Messages of one conversation are answered one at a time, in order.
 */
export class DialogueService {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: DialogueDependencies) {}

  /**
   * Returns the reply to a stored visitor message: the existing one when it was answered before
   * (a resent message), a new one otherwise, or null when the bot stays silent. `language` is what
   * the client sent; without it the language is detected (see chooseLanguage). `stored`: the
   * conversation's context read when a new message was stored (ChatStore.appendVisitorMessage),
   * which spares a read; the reply is then written only if the conversation's row is unchanged
   * since, and otherwise decided again on a fresh read.
   */
  answer(message: Message, language?: string, stored?: AnswerContext | null): Promise<Message | null> {
    // An answer of this conversation still in progress will change its state: read it afterwards.
    const known = this.queues.has(message.conversationId) ? null : stored ?? null;
    return this.serially(message.conversationId, () => this.answerNow(message, language, known));
  }

  /**
   * The visitor asked for a person (the `handoff` event, the widget's button): the bot hands over
   * exactly as a handing-over intent does, with the same reply and state write, but answering no
   * message. Idempotent: while an agent has the conversation or it waits for one, nothing changes.
   * Returns the conversation's status and the handoff reply (null when nothing was written).
   */
  handOver(conversationId: string, language?: string): Promise<{ status: ConversationStatus; reply: Message | null }> {
    return this.serially(conversationId, () => this.handOverNow(conversationId, language));
  }

  /** Runs the tasks of one conversation one at a time, in order (one reply per conversation in flight). */
  private serially<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(task);
    this.queues.set(conversationId, next);
    void next.finally(() => {
      if (this.queues.get(conversationId) === next) this.queues.delete(conversationId);
    }).catch(() => {});
    return next;
  }

  /** Waits until every queued answer has been written (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.queues.size > 0) await Promise.allSettled([...this.queues.values()]);
  }

  private async answerNow(message: Message, language: string | undefined, known: AnswerContext | null): Promise<Message | null> {
    const { store } = this.deps;
    // One read, unless the message's insert read it: the conversation's state and, for a resent
    // message, the reply it already has.
    const context: AnswerContext & { reply?: Message | null } = known ?? await store.answerContext({ conversationId: message.conversationId, messageId: message.id });
    if (context.reply) return context.reply;
    if (!context.state) return null;
    const form = parseFormState(context.state.form);
    const state: ConversationState = { status: context.state.status, consecutiveFallbacks: context.state.consecutiveFallbacks, ...(form ? { form } : {}) };

    const started = performance.now();
    const classifier = this.deps.classifier();
    const guess = await classifier.classify(message.text);
    const retrieval = guess.intent ? null : await this.deps.retrieval?.()?.bestAnswer(message.text, guess.sentence) ?? null;
    const catalogue = this.deps.catalogue();
    const chosen = await chooseLanguage({
      sent: language,
      text: message.text,
      supported: catalogue.languages,
      earlierTexts: () => this.earlierVisitorTexts(message.conversationId, message.seq),
    });
    // While waiting for an agent: the place in the queue, and whether the bot asked for an e-mail address.
    const waiting = state.status === 'waiting_for_agent' && this.deps.availability ? await this.deps.availability.waiting(message.conversationId) : null;
    const expectingEmail = waiting?.followup.asked === true && waiting.followup.email === null;
    // Stored with the message for agents (and slots), in the reply's statement when there is one;
    // most messages have none, and then nothing is written.
    const entities = extractEntities(message.text, catalogue.entities, { language: chosen.language, expecting: expectingEmail ? 'email' : askedEntityType(form, catalogue) });
    const recordEntities = async () => {
      if (entities.length > 0) await store.recordEntities(message.id, entities);
    };
    // Agents following the conversation live see them on the message too.
    if (entities.length > 0) message = { ...message, entities: entities as unknown as Message['entities'] };
    const availability: Availability | undefined = waiting ? { staffed: true, back: null, queuePosition: waiting.position ?? undefined, followup: waiting.followup } : undefined;
    const planned = decide({ state, guess, retrieval, catalogue, language: chosen.language, variant: Number(message.seq), settings: this.deps.policy, text: message.text, entities, availability });
    let decision = planned;
    let action: ActionResult | null = null;
    // An action reaches the shop's systems: it is decided on a fresh read, never on one that may be stale.
    if (planned.action && known) return this.answerNow(message, language, null);
    if (planned.action) {
      action = await this.runAction(planned.action, { customer: context.customer ?? null, conversationId: message.conversationId, language: chosen.language });
      decision = decideAfterAction({ state: planned.nextState, result: action, catalogue, language: chosen.language });
    }
    decision = await this.offlineWhenUnstaffed(state, decision, catalogue, chosen.language);
    if (waiting && decision.reply) {
      await recordEntities();
      return this.storeWhileWaiting(message.conversationId, message, decision, chosen.language, state, started);
    }
    if (!decision.reply) {
      await recordEntities();
      this.deps.onAnswered?.({ conversationId: message.conversationId, message, reply: null, statusBefore: state.status, statusAfter: state.status });
      return null;
    }
    const { reply } = decision;
    const details = {
      language: chosen.language,
      ...(reply.suggestions ? { suggestions: reply.suggestions } : {}),
      ...(reply.retrieval ? { retrieval: reply.retrieval } : {}),
      ...(action && planned.action ? { action: actionSummary(planned.action, action) } : {}),
      ranking: guess.ranking.slice(0, 5),
    };
    const stored = await store.appendBotReply({
      conversationId: message.conversationId,
      replyToId: message.id,
      text: reply.text,
      source: reply.source,
      intent: reply.intent ?? null,
      confidence: reply.confidence ?? guess.confidence,
      modelVersionId: classifier.versionId,
      latencyMs: performance.now() - started,
      details,
      nextState: decision.nextState,
      entities,
      stateVersion: known?.stateVersion ?? null,
    });
    // Not stored on the state read with the message: it changed since; decide again on a fresh read.
    if (!stored && known) return this.answerNow(message, language, null);
    // Not stored: an agent took over meanwhile, and the bot stays silent.
    this.deps.onAnswered?.({ conversationId: message.conversationId, message, reply: stored, statusBefore: state.status, statusAfter: stored ? decision.nextState.status : null });
    if (!stored) return null;
    if (decision.followup && 'ask' in decision.followup) await this.deps.availability?.markAsked(message.conversationId);
    this.deps.events?.emit('replied', stored, null);
    this.deps.onReplied?.(reply.source, (performance.now() - started) / 1000);
    this.deps.logger.debug({ conversationId: message.conversationId, source: reply.source, intent: reply.intent }, 'bot replied');
    return stored;
  }

  private async handOverNow(conversationId: string, language?: string): Promise<{ status: ConversationStatus; reply: Message | null }> {
    const { store } = this.deps;
    const started = performance.now();
    const state = await store.conversationState(conversationId);
    if (!state) throw new Error(`no conversation ${conversationId} to hand over`);
    const catalogue = this.deps.catalogue();
    // No message to read the language from: what the client sent, else the conversation's own.
    const chosen = await chooseLanguage({ sent: language, text: '', supported: catalogue.languages, earlierTexts: () => this.earlierVisitorTexts(conversationId) });
    const decision = await this.offlineWhenUnstaffed(state, decideHandoffRequest({ state, catalogue, language: chosen.language }), catalogue, chosen.language);
    if (!decision.reply) return { status: state.status, reply: null };
    const stored = await store.appendBotReply({
      conversationId,
      replyToId: null,
      text: decision.reply.text,
      source: decision.reply.source,
      latencyMs: performance.now() - started,
      details: { language: chosen.language },
      nextState: decision.nextState,
    });
    this.deps.onAnswered?.({ conversationId, message: null, reply: stored, statusBefore: state.status, statusAfter: stored ? decision.nextState.status : null });
    // Not stored: an agent took the conversation over meanwhile.
    if (!stored) return { status: (await store.conversationState(conversationId))?.status ?? state.status, reply: null };
    if (decision.followup && 'ask' in decision.followup) await this.deps.availability?.markAsked(conversationId);
    this.deps.events?.emit('replied', stored, null);
    this.deps.onReplied?.(decision.reply.source, (performance.now() - started) / 1000);
    return { status: decision.nextState.status, reply: stored };
  }

  /**
   * A conversation that waited longer than HANDOFF_WAIT_OFFLINE_MS: the bot says nobody is available
   * (or when the team is back) and asks for an e-mail address, once per wait. Returns the message, or
   * null when nothing was said (no longer waiting, asked already).
   */
  offerOffline(conversationId: string): Promise<Message | null> {
    return this.serially(conversationId, async () => {
      const availability = this.deps.availability;
      if (!availability) return null;
      const started = performance.now();
      const state = await this.deps.store.conversationState(conversationId);
      if (state?.status !== 'waiting_for_agent') return null;
      const catalogue = this.deps.catalogue();
      const waiting = await availability.waiting(conversationId);
      // No message to read the language from: what the client sent, else the conversation's own.
      const chosen = await chooseLanguage({ sent: waiting.language ?? undefined, text: '', supported: catalogue.languages, earlierTexts: () => this.earlierVisitorTexts(conversationId) });
      const staffing = await availability.staffing(chosen.language);
      const decision = decideLongWait({ state, catalogue, language: chosen.language, availability: { ...staffing, followup: waiting.followup } });
      if (!decision.reply) return null;
      return this.storeWhileWaiting(conversationId, null, decision, chosen.language, state, started);
    });
  }

  /** A handover (by any rule) while nobody can answer takes the offline path; the facts are read only for a handover. */
  private async offlineWhenUnstaffed(state: ConversationState | { status: ConversationStatus }, decision: Decision, catalogue: IntentCatalogueView, language: string): Promise<Decision> {
    const availability = this.deps.availability;
    if (!availability || state.status === 'waiting_for_agent' || state.status === 'agent') return decision;
    if (decision.reply?.source !== 'handoff' || decision.nextState.status !== 'waiting_for_agent') return decision;
    return offlineIfUnstaffed(decision, catalogue, language, await availability.staffing(language));
  }

  /** Stores a bot message in a waiting conversation (an acknowledgement, the e-mail question or its answer) and publishes it. */
  private async storeWhileWaiting(conversationId: string, message: Message | null, decision: Decision, language: string, state: { status: ConversationStatus }, started: number): Promise<Message | null> {
    const reply = decision.reply!;
    const stored = await this.deps.availability!.appendWaitingReply({ conversationId, replyToId: message?.id ?? null, text: reply.text, details: { language }, followup: decision.followup });
    this.deps.onAnswered?.({ conversationId, message, reply: stored, statusBefore: state.status, statusAfter: stored ? state.status : null });
    if (!stored) return null;
    this.deps.events?.emit('replied', stored, null);
    this.deps.onReplied?.(reply.source, (performance.now() - started) / 1000);
    return stored;
  }

  /** Calls the planned action with what the conversation knows; a missing client fails like an unconfigured action. */
  private async runAction(planned: PlannedAction, context: { customer: VerifiedCustomer | null; conversationId: string; language: string }): Promise<ActionResult> {
    const request = { intent: planned.intent, slots: planned.slots, customer: actionCustomer(context.customer), conversationId: context.conversationId, language: context.language, confirmed: planned.confirmed };
    if (!this.deps.actions) return { ok: false, reason: 'not_configured', detail: 'no action client', action: planned.name, attempts: 0, latencyMs: 0 };
    return this.deps.actions.call(planned.name, request);
  }

  private async earlierVisitorTexts(conversationId: string, beforeSeq?: bigint): Promise<string[]> {
    const recent = await this.deps.store.history(conversationId, EARLIER_MESSAGES_FOR_LANGUAGE);
    return recent.filter((earlier) => earlier.role === 'visitor' && (beforeSeq === undefined || earlier.seq < beforeSeq)).map((earlier) => earlier.text);
  }
}

/** What agents see of an action call under the reply: what was asked, what came back or why nothing did, and how long it took. */
function actionSummary(planned: PlannedAction, result: ActionResult) {
  const outcome = result.ok ? { response: result.data.type, ...('template' in result.data ? { template: result.data.template } : {}) } : { reason: result.reason };
  return { name: result.action, slots: planned.slots, confirmed: planned.confirmed, ok: result.ok, ...outcome, attempts: result.attempts, latencyMs: Math.round(result.latencyMs) };
}

/** The entity type of the slot the bot asked for last, so that a bare reply ("48213") can fill it. */
function askedEntityType(form: FormState | undefined, catalogue: IntentCatalogueView): string | undefined {
  if (!form?.asking) return undefined;
  return catalogue.get(form.intent)?.slots?.find((slot) => slot.name === form.asking)?.entity;
}

/** How far back the conversation's language is read from when a message does not tell it. */
const EARLIER_MESSAGES_FOR_LANGUAGE = 20;
