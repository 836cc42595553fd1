import type { Logger } from '../observability/logger.ts';
import type { ChatStore, ConversationStatus, Message } from '../store/chat-store.ts';
import { chooseLanguage } from './language.ts';
import { decide, type IntentCatalogueView, type IntentGuess, type RetrievalAnswer } from './policy.ts';

/** The intent model currently in service; it changes when a new version is promoted. */
export interface ActiveClassifier {
  readonly versionId: string | null;
  classify(text: string): Promise<IntentGuess>;
}

/** Finds the best knowledge or past-agent answer above the retrieval threshold. */
export interface RetrievalFallback {
  bestAnswer(text: string): Promise<RetrievalAnswer | null>;
}

export interface DialogueDependencies {
  store: ChatStore;
  catalogue: () => IntentCatalogueView & { readonly languages: readonly string[] };
  classifier: () => ActiveClassifier;
  retrieval?: () => RetrievalFallback | null;
  logger: Logger;
  /** Observes every stored reply (metrics). */
  onReplied?: (source: string, seconds: number) => void;
  /** Observes every decision on a new visitor message, so that agents' views follow without a query. */
  onAnswered?: (outcome: AnswerOutcome) => void;
}

/** What answering one visitor message did: the reply (null when the bot stayed silent) and the state change. */
export interface AnswerOutcome {
  message: Message;
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
   * the client sent; without it the language is detected (see chooseLanguage).
   */
  answer(message: Message, language?: string): Promise<Message | null> {
    const conversationId = message.conversationId;
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.answerNow(message, language));
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

  private async answerNow(message: Message, language?: string): Promise<Message | null> {
    const { store } = this.deps;
    // One read: the conversation's state and, for a resent message, the reply it already has.
    const { state, reply: existing } = await store.answerContext({ conversationId: message.conversationId, messageId: message.id });
    if (existing) return existing;
    if (!state) return null;

    const started = performance.now();
    const classifier = this.deps.classifier();
    const guess = await classifier.classify(message.text);
    const retrieval = guess.intent ? null : await this.deps.retrieval?.()?.bestAnswer(message.text) ?? null;
    const catalogue = this.deps.catalogue();
    const chosen = await chooseLanguage({
      sent: language,
      text: message.text,
      supported: catalogue.languages,
      earlierTexts: () => this.earlierVisitorTexts(message),
    });
    const decision = decide({ state, guess, retrieval, catalogue, language: chosen.language, variant: Number(message.seq) });
    if (!decision.reply) {
      this.deps.onAnswered?.({ message, reply: null, statusBefore: state.status, statusAfter: state.status });
      return null;
    }
    const { reply } = decision;
    const details = {
      language: chosen.language,
      ...(reply.suggestions ? { suggestions: reply.suggestions } : {}),
      ...(reply.retrieval ? { retrieval: reply.retrieval } : {}),
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
    });
    // Not stored: an agent took over meanwhile, and the bot stays silent.
    this.deps.onAnswered?.({ message, reply: stored, statusBefore: state.status, statusAfter: stored ? decision.nextState.status : null });
    if (!stored) return null;
    this.deps.onReplied?.(reply.source, (performance.now() - started) / 1000);
    this.deps.logger.debug({ conversationId: message.conversationId, source: reply.source, intent: reply.intent }, 'bot replied');
    return stored;
  }

  private async earlierVisitorTexts(message: Message): Promise<string[]> {
    const recent = await this.deps.store.history(message.conversationId, EARLIER_MESSAGES_FOR_LANGUAGE);
    return recent.filter((earlier) => earlier.role === 'visitor' && earlier.seq < message.seq).map((earlier) => earlier.text);
  }
}

/** How far back the conversation's language is read from when a message does not tell it. */
const EARLIER_MESSAGES_FOR_LANGUAGE = 20;
