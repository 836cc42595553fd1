import type { Logger } from '../observability/logger.ts';
import type { ChatStore, Message } from '../store/chat-store.ts';
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
  catalogue: () => IntentCatalogueView;
  classifier: () => ActiveClassifier;
  retrieval?: () => RetrievalFallback | null;
  logger: Logger;
  /** Observes every stored reply (metrics). */
  onReplied?: (source: string, seconds: number) => void;
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
   * (a resent message), a new one otherwise, or null when the bot stays silent.
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
    const existing = await store.replyTo(message.id);
    if (existing) return existing;
    const conversation = await store.conversation(message.conversationId);
    if (!conversation) return null;

    const started = performance.now();
    const classifier = this.deps.classifier();
    const guess = await classifier.classify(message.text);
    const retrieval = guess.intent ? null : await this.deps.retrieval?.()?.bestAnswer(message.text) ?? null;
    const decision = decide({
      state: { status: conversation.status, consecutiveFallbacks: conversation.consecutiveFallbacks },
      guess,
      retrieval,
      catalogue: this.deps.catalogue(),
      ...(language ? { language } : {}),
      variant: Number(message.seq),
    });
    if (!decision.reply) return null;
    const { reply } = decision;
    const details = {
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
    if (!stored) return null; // an agent took over meanwhile: the bot stays silent
    this.deps.onReplied?.(reply.source, (performance.now() - started) / 1000);
    this.deps.logger.debug({ conversationId: message.conversationId, source: reply.source, intent: reply.intent }, 'bot replied');
    return stored;
  }
}
