import type { Server, Socket } from 'socket.io';
import { watchRoom } from './agent-namespace.ts';
import { conversationRoom } from './visitor-delivery.ts';

/** A `typing: true` is passed on at most this often per connection; `typing: false` always (once). */
export const TYPING_THROTTLE_MS = 2000;

export interface TypingEvent {
  conversationId: string;
  role: 'visitor' | 'agent';
  /** The agent's display name (agents' typing, shown in the widget). */
  agent?: { name: string };
  typing: boolean;
}

/**
 * Typing indicators both ways, fire-and-forget (no acknowledgement, nothing stored): a visitor's
 * `typing` reaches the agents watching the conversation, an agent's reaches the visitor's widget.
 * Throttled here as well as in the clients, so a client that sends on every key costs nothing.
 */
export function attachTypingIndicators(io: Server, options: { throttleMs?: number } = {}): void {
  const throttleMs = options.throttleMs ?? TYPING_THROTTLE_MS;

  io.of('/chat').on('connection', (socket) => {
    const gate = throttle(throttleMs);
    socket.on('typing', (payload: unknown) => {
      const session = (socket.data as { session?: { conversationId?: string } } | undefined)?.session;
      const conversationId = session?.conversationId;
      const typing = typingOf(payload);
      if (!conversationId || typing === null || !gate(conversationId, typing)) return;
      const event: TypingEvent = { conversationId, role: 'visitor', typing };
      io.of('/agent').to(watchRoom(conversationId)).emit('typing', event);
    });
  });

  io.of('/agent').on('connection', (socket: Socket) => {
    const gate = throttle(throttleMs);
    socket.on('typing', (payload: unknown) => {
      const principal = (socket.data as { principal?: { name: string } } | undefined)?.principal;
      const conversationId = payload && typeof payload === 'object' ? (payload as { conversationId?: unknown }).conversationId : undefined;
      const typing = typingOf(payload);
      // Only into a conversation this connection watches (it read the transcript, so it may).
      if (!principal || typeof conversationId !== 'string' || typing === null || !socket.rooms.has(watchRoom(conversationId))) return;
      if (!gate(conversationId, typing)) return;
      const event: TypingEvent = { conversationId, role: 'agent', agent: { name: principal.name }, typing };
      io.of('/chat').to(conversationRoom(conversationId)).emit('typing', event);
    });
  });
}

function typingOf(payload: unknown): boolean | null {
  const typing = payload && typeof payload === 'object' ? (payload as { typing?: unknown }).typing : undefined;
  return typeof typing === 'boolean' ? typing : null;
}

/** Whether to pass this one on: a start at most every `ms` per conversation, a stop once after a start. */
export function throttle(ms: number, now: () => number = Date.now): (conversationId: string, typing: boolean) => boolean {
  const started = new Map<string, number>();
  return (conversationId, typing) => {
    const last = started.get(conversationId);
    if (!typing) {
      if (last === undefined) return false;
      started.delete(conversationId);
      return true;
    }
    if (last !== undefined && now() - last < ms) return false;
    started.set(conversationId, now());
    return true;
  };
}
