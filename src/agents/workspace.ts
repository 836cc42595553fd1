import { EventEmitter } from 'node:events';
import type { ConversationEvents } from '../dialogue/conversation-events.ts';
import type { AnswerOutcome } from '../dialogue/service.ts';
import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import { AuditStore } from '../store/audit-store.ts';
import {
  WorkspaceStore,
  WriteRefusedError,
  type ConversationFilters,
  type ConversationPage,
  type ConversationSummary,
} from '../store/workspace-store.ts';
import { OUT_OF_SCOPE, type LabelledExample } from '../nlu/types.ts';
import { redactedLabelledExamples } from '../corpus/training-set.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { checkText } from '../protocol/payloads.ts';
import { agentActor, type AgentPrincipal } from './auth.ts';
import { allowedActions, botSilent, transition, type AgentAction } from './state-machine.ts';
import { toMessageView, toTranscriptView, type MessageView, type TranscriptView } from './views.ts';

export interface IntentOption {
  name: string;
  label: string;
  /** The action the intent runs, and the slots it takes: agents can run it from the console. */
  action?: { name: string } | undefined;
  slots?: ReadonlyArray<{ name: string; entity: string; required: boolean }>;
}

export interface WorkspaceOptions {
  prisma: PrismaClient;
  logger: Logger;
  /** Agents' replies and state changes are published here (the visitor is told); visitors' messages and ratings come from it. */
  events: ConversationEvents;
  /** The catalogue's intents, for corrections; unset = any snake_case name is accepted. */
  intents?: () => readonly IntentOption[];
  maxMessageChars?: number;
  lowConfidence?: number;
}

export interface WorkspaceEvents {
  /** A conversation changed state, or its queue entry changed (a new message in it). */
  changed: [conversationId: string];
  /** A message was stored in a conversation (visitor, bot or agent). */
  message: [message: MessageView];
}

/** The state-changing actions agents take on a conversation. */
export type ConversationAction = Exclude<AgentAction, 'reply' | 'reopen'>;
export const CONVERSATION_ACTIONS: readonly ConversationAction[] = ['take_over', 'release', 'hand_back', 'resolve', 'request_agent'];

/**
 * The agent workspace: queue, transcripts, take-over and replies, corrections. Transport-free: the
 * REST API and the `/agent` namespace call it, and listen to its events to push live updates to
 * agents; what agents do that the visitor must hear goes out on the conversation events.
 */
export class AgentWorkspace extends EventEmitter<WorkspaceEvents> {
  private readonly store: WorkspaceStore;
  /** Every action taken here is recorded, by whom (ids, never texts). */
  private readonly audit: AuditStore;
  private readonly versionNames = new Map<string, string | null>();

  constructor(private readonly options: WorkspaceOptions) {
    super();
    this.store = new WorkspaceStore(options.prisma, options.lowConfidence);
    this.audit = new AuditStore(options.prisma);
    // Agents watching see a visitor's message at once; a conversation resolved (by an agent, or by
    // the visitor's rating) leaves the queue.
    options.events.on('stored', (message) => this.emit('message', toMessageView(message)));
    options.events.on('resolved', (conversationId) => this.emit('changed', conversationId));
  }

  get maxMessageChars(): number {
    return this.options.maxMessageChars ?? 2000;
  }

  queue() {
    return this.store.queue();
  }

  list(filters: ConversationFilters): Promise<ConversationPage> {
    return this.store.listConversations(filters);
  }

  async summary(conversationId: string): Promise<ConversationSummary> {
    const summary = await this.findSummary(conversationId);
    if (!summary) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    return summary;
  }

  /** The conversation's summary, or null when there is no such conversation. */
  findSummary(conversationId: string): Promise<ConversationSummary | null> {
    return this.store.summary(conversationId);
  }

  /** The summaries of these conversations in this order (one query); those that do not exist are left out. */
  findSummaries(conversationIds: readonly string[]): Promise<ConversationSummary[]> {
    return this.store.summariesOf(conversationIds);
  }

  async transcript(conversationId: string, principal: AgentPrincipal): Promise<TranscriptView & { actions: AgentAction[] }> {
    const conversation = await this.store.transcript(conversationId);
    if (!conversation) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    return { ...toTranscriptView(conversation, this.store.lowConfidence), actions: allowedActions(conversation, principal) };
  }

  /**
   * Applies a state change through the state machine. The write is conditional on the state the
   * decision was made on; when someone else moved the conversation meanwhile, it decides again.
   */
  async act(principal: AgentPrincipal, conversationId: string, action: ConversationAction): Promise<ConversationSummary> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.store.snapshot(conversationId);
      if (!current) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
      const result = transition(current, action, principal);
      if (!result.ok) throw new ProtocolError(result.code, result.message);
      if (!result.effect.changed) return this.summary(conversationId);
      if (await this.store.applyTransition(conversationId, current, result.effect)) {
        this.options.logger.info({ conversationId, action, agentId: principal.id, from: current.status, to: result.effect.status }, 'conversation state changed');
        const { status } = result.effect;
        this.options.events.emit('statusChanged', conversationId, status, status === 'agent' ? principal.name : null);
        // A resolve reaches agents' queues through the `resolved` event (above), as a visitor's rating does.
        if (status === 'resolved') this.options.events.emit('resolved', conversationId);
        else this.emit('changed', conversationId);
        await this.audit.record({ actor: agentActor(principal), action: `conversation.${action}`, target: { kind: 'conversation', id: conversationId }, details: { from: current.status, to: status } });
        return this.summary(conversationId);
      }
    }
    throw new ProtocolError('CONFLICT', 'The conversation changed meanwhile; look again and retry.');
  }

  /** An agent's message to the visitor; allowed only to the agent holding the conversation. */
  async reply(principal: AgentPrincipal, input: { conversationId: string; text: string; clientId?: string | undefined }): Promise<{ message: MessageView; created: boolean }> {
    const text = checkText(input.text, this.maxMessageChars);
    let stored;
    try {
      stored = await this.store.appendAgentMessage({ conversationId: input.conversationId, agentId: principal.id, text, clientId: input.clientId }, (current) => {
        const result = transition(current, 'reply', principal);
        if (!result.ok) throw new WriteRefusedError(result.code, result.message);
      });
    } catch (error) {
      if (error instanceof WriteRefusedError) throw new ProtocolError(error.code as 'NOT_ASSIGNEE', error.message);
      throw error;
    }
    const view = toMessageView(stored.message, { agent: principal.name });
    if (stored.created) {
      this.options.events.emit('replied', stored.message, principal.name);
      this.emit('message', view);
      this.emit('changed', input.conversationId);
      await this.audit.record({ actor: agentActor(principal), action: 'conversation.reply', target: { kind: 'conversation', id: input.conversationId }, details: { messageId: stored.message.id } });
    }
    return { message: view, created: stored.created };
  }

  /** The intents a correction can name: the catalogue's, and "oos". */
  intents(): IntentOption[] {
    const catalogue = this.options.intents?.() ?? [];
    const option = (intent: IntentOption): IntentOption => ({
      name: intent.name,
      label: intent.label,
      ...(intent.action ? { action: { name: intent.action.name }, slots: (intent.slots ?? []).map(({ name, entity, required }) => ({ name, entity, required })) } : {}),
    });
    return [...catalogue.map(option), { name: OUT_OF_SCOPE, label: 'Out of scope' }];
  }

  /** Marks the true intent of a visitor message. The next training run learns from it. */
  async correct(principal: AgentPrincipal, messageId: string, intent: string) {
    const name = intent.trim();
    if (!this.knownIntent(name)) throw new ProtocolError('UNKNOWN_INTENT', `"${name.slice(0, 64)}" is not an intent of the catalogue (or "${OUT_OF_SCOPE}").`);
    const label = await this.store.setLabel({ messageId, intent: name, agentId: principal.id });
    this.options.logger.info({ messageId, intent: name, agentId: principal.id }, 'intent corrected');
    await this.audit.record({ actor: agentActor(principal), action: 'label.set', target: { kind: 'message', id: messageId }, details: { intent: label.intent } });
    return { messageId, intent: label.intent, origin: label.origin, at: label.updatedAt.toISOString(), agent: { id: principal.id, name: principal.name } };
  }

  /**
   * Transcript review: the agent has read the conversation and corrected what was wrong, so the
   * bot's intents it left uncorrected (in replies up to now) count as confirmed labels for the next
   * training run; a correction made later still wins (docs/learning-loop.md).
   */
  async markReviewed(principal: AgentPrincipal, conversationId: string): Promise<ConversationSummary> {
    if (!(await this.store.markReviewed(conversationId, principal.id))) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    this.options.logger.info({ conversationId, agentId: principal.id }, 'transcript reviewed');
    await this.audit.record({ actor: agentActor(principal), action: 'conversation.review', target: { kind: 'conversation', id: conversationId } });
    this.emit('changed', conversationId);
    return this.summary(conversationId);
  }

  async removeCorrection(principal: AgentPrincipal, messageId: string): Promise<boolean> {
    const removed = await this.store.removeLabel(messageId);
    if (removed) await this.audit.record({ actor: agentActor(principal), action: 'label.remove', target: { kind: 'message', id: messageId } });
    return removed;
  }

  async corrections(limit?: number) {
    const labels = await this.store.recentLabels(limit);
    return labels.map((label) => ({
      messageId: label.messageId,
      conversationId: label.message.conversationId,
      text: label.message.text,
      intent: label.intent,
      origin: label.origin,
      at: label.updatedAt.toISOString(),
      agent: label.agent,
    }));
  }

  /** `{ text, intent }` of every labelled visitor message the next training run learns from, redacted as training reads it. */
  async labelledExamples(): Promise<LabelledExample[]> {
    return (await redactedLabelledExamples(this.options.prisma)).filter((example) => this.knownIntent(example.intent));
  }

  /**
   * Follows the bot's decision on a visitor message (the dialogue service reports it, so this costs
   * no query): the bot's reply, and a queue change when the bot handed over, reopened the
   * conversation, or stayed silent because an agent has it (the queue entry has a new message).
   */
  async observeAnswer(outcome: AnswerOutcome): Promise<void> {
    const { conversationId } = outcome;
    try {
      const { reply, message } = outcome;
      // The visitor message again, now with the entities found while answering it: the console updates it in place.
      if (Array.isArray(message?.entities) && message.entities.length > 0) this.emit('message', toMessageView(message));
      if (reply) this.emit('message', toMessageView(reply, { modelVersion: await this.versionName(reply.modelVersionId) }));
      if (botSilent(outcome.statusBefore) || outcome.statusAfter !== outcome.statusBefore) this.emit('changed', conversationId);
    } catch (error) {
      this.options.logger.warn({ err: error, conversationId }, 'following a bot answer for agents failed');
    }
  }

  private knownIntent(name: string): boolean {
    if (name === OUT_OF_SCOPE) return true;
    if (!this.options.intents) return /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(name);
    return this.options.intents().some((intent) => intent.name === name);
  }

  private async versionName(id: string | null): Promise<string | null> {
    if (!id) return null;
    if (!this.versionNames.has(id)) {
      const version = await guarded(() => this.options.prisma.modelVersion.findUnique({ where: { id }, select: { name: true } }));
      this.versionNames.set(id, version?.name ?? null);
    }
    return this.versionNames.get(id) ?? null;
  }
}

/** The labelled messages for the next training run, redacted, straight from the database. */
export function labelledExamples(prisma: PrismaClient): Promise<LabelledExample[]> {
  return redactedLabelledExamples(prisma);
}
