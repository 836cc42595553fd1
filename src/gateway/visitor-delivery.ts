import type { Namespace, Socket } from 'socket.io';
import type { ConversationEvents, Message } from '../dialogue/conversation-events.ts';
import { toReplyEvent, type StatusEvent } from './protocol.ts';

/** Every visitor connection of a conversation (all tabs, on every process) is in its room. */
export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;
/** And in its visitor's room, whichever conversation it is in. */
export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;

/**
 * The one place that tells visitors: every stored reply (the bot's, an agent's with their display
 * name) as `reply`, and agents' state changes (joined, released, handed back, resolved) as `status`,
 * to the conversation's room. Room events go through the scale-out adapter, so a visitor connected
 * to another process hears what happened here.
 */
export function deliverToVisitors(chat: Namespace, events: ConversationEvents): void {
  events.on('replied', (reply, agentName) => {
    chat.to(conversationRoom(reply.conversationId)).emit('reply', toReplyEvent(reply, agentName));
  });
  events.on('statusChanged', (conversationId, status, agentName) => {
    const notice: StatusEvent = { conversationId, status, ...(agentName ? { agent: { name: agentName } } : {}) };
    chat.to(conversationRoom(conversationId)).emit('status', notice);
  });
}

/**
 * Closes an erased visitor's connections to this process (every process hears of an erasure and
 * closes its own); their token was revoked with the erasure, so they cannot come back as that visitor.
 */
export function disconnectVisitor(chat: Namespace, visitorId: string): void {
  chat.local.in(visitorRoom(visitorId)).disconnectSockets(true);
}

/** A resent message's reply, again, to its sender only: the rest of the room has it already. */
export function resendReply(socket: Socket, reply: Message): void {
  socket.emit('reply', toReplyEvent(reply));
}
