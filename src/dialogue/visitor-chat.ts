import { newVisitorState, type AnswerContext, type ChatStore, type Message, type Rating, type VisitorContext, type VisitorState } from '../store/chat-store.ts';
import type { ConversationEvents } from './conversation-events.ts';

export type { AnswerContext, VisitorContext, VisitorState };

/**
 * A visitor token names a browser, not a person: when the open or the previous conversation belongs
 * to a verified customer other than the connecting one (another customer, or nobody signed in), the
 * connection must not read it and starts as a new visitor.
 */
export function heldByAnotherCustomer(state: VisitorState, customerId: string | null): boolean {
  return state.customerIds.some((id) => id !== customerId);
}

/**
 * What a visitor does to their conversation besides being answered (DialogueService): connect,
 * write, read, rate. The `/chat` namespace calls it; a new message and a rating are published on the
 * conversation events, so that agents and the answer harvest hear of them.
 */
export class VisitorChat {
  constructor(
    private readonly store: ChatStore,
    private readonly events: ConversationEvents,
  ) {}

  /** The visitor's token generation and conversations; a visitor without a token has no rows, so nothing is read. */
  visitor(visitorId: string, returning: boolean): Promise<VisitorState> {
    return returning ? this.store.visitorState(visitorId) : Promise.resolve(newVisitorState(visitorId));
  }

  /** Creates the conversation, or refreshes what is known of the visitor. */
  open(visitorId: string, conversationId: string, context: VisitorContext): Promise<void> {
    return this.store.createConversation(visitorId, conversationId, context);
  }

  /** Stores a visitor message once per clientId; `created` is false for a resend; `context`: for answering a new one (DialogueService.answer). */
  async receive(input: { conversationId: string; clientId: string; text: string }): Promise<{ message: Message; created: boolean; context: AnswerContext | null }> {
    const stored = await this.store.appendVisitorMessage(input);
    if (stored.created) this.events.emit('stored', stored.message);
    return stored;
  }

  /** Messages acknowledged but never answered (a crash or outage in between). */
  unanswered(conversationId: string): Promise<Message[]> {
    return this.store.unansweredVisitorMessages(conversationId);
  }

  history(conversationId: string, limit?: number) {
    return this.store.history(conversationId, limit);
  }

  message(messageId: string): Promise<Message | null> {
    return this.store.message(messageId);
  }

  setFeedback(messageId: string, rating: Rating): Promise<void> {
    return this.store.setFeedback(messageId, rating);
  }

  /** The end-of-chat score; rating a chat also resolves it. */
  async rateAndResolve(conversationId: string, score: number): Promise<void> {
    await this.store.rateAndResolve(conversationId, score);
    this.events.emit('resolved', conversationId);
  }
}
