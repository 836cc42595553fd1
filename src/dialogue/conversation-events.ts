import { EventEmitter } from 'node:events';
import type { ConversationStatus, Message } from '../store/chat-store.ts';

/** A stored message, as the events carry it (the gateway reads the store through the dialogue only). */
export type { Message };

export interface ConversationEventMap {
  /** A visitor message was stored (a resend of a stored one is not new). */
  stored: [message: Message];
  /** A reply was stored: the bot's, or an agent's with `agentName`, their display name. Visitors see it. */
  replied: [reply: Message, agentName: string | null];
  /** An agent changed the conversation's status; `agentName` is who holds it now (status `agent`). Visitors see it. */
  statusChanged: [conversationId: string, status: ConversationStatus, agentName: string | null];
  /** The conversation was resolved, by an agent or by the visitor's rating. */
  resolved: [conversationId: string];
}

/**
 * What happened in conversations, published by the code that made it happen (the dialogue's
 * VisitorChat and DialogueService, the agent workspace) and heard by whoever must follow:
 * the gateway tells visitors (src/gateway/visitor-delivery.ts), the workspace tells agents, the
 * knowledge fallback harvests resolved conversations. In-process and transport-free: the gateway's
 * Socket.IO rooms carry deliveries to the other processes.
 */
export class ConversationEvents extends EventEmitter<ConversationEventMap> {}
