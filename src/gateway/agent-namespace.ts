import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { AgentAuth, AgentPrincipal } from '../agents/auth.ts';
import { AgentError, isExpectedAgentError, toAgentError } from '../agents/errors.ts';
import { CONVERSATION_ACTIONS, type AgentWorkspace, type ConversationAction } from '../agents/workspace.ts';
import { conversationRoom } from './chat-namespace.ts';
import { toReplyEvent } from './protocol.ts';
import { conversationFilters, parseAgentPayload, uuid } from '../agents/payloads.ts';

export interface AgentNamespaceOptions {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  logger: Logger;
  /** How long changes are gathered before the queue is pushed again (one query per burst). */
  queueDebounceMs?: number;
}

/** Every connected agent: queue and conversation updates go here. */
export const AGENTS_ROOM = 'agents';
/** Agents looking at a conversation get its messages live. */
export const watchRoom = (conversationId: string) => `watch:${conversationId}`;
export const agentRoom = (agentId: string) => `agent:${agentId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

const conversationRef = z.object({ conversationId: uuid });
const replyPayload = z.object({ conversationId: uuid, text: z.string().max(100_000), clientId: z.string().min(1).max(128).optional() });
const correctPayload = z.object({ messageId: uuid, intent: z.string().min(1).max(64) });
const uncorrectPayload = z.object({ messageId: uuid });

type Ack = (response: unknown) => void;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The `/agent` namespace. Connect with `auth: { token }` (from `POST /api/agent/login`); anything
 * else (no token, a wrong or expired one, a visitor token) is refused with `connect_error`
 * `UNAUTHORIZED`. Requests carry an acknowledgement and answer `{ ok: true, … }` or
 * `{ ok: false, error: { code, message } }`; the server pushes `queue`, `conversation` and `message`.
 */
export function attachAgentNamespace(io: Server, options: AgentNamespaceOptions): { namespace: Namespace; disconnectSession(sessionId: string): void; disconnectAgent(agentId: string): void } {
  const { workspace, auth, logger } = options;
  const namespace = io.of('/agent');
  const chat = io.of('/chat');

  namespace.use(async (socket, next) => {
    try {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const principal = await auth.authenticate(typeof token === 'string' ? token : null);
      if (!principal) throw new AgentError('UNAUTHORIZED', 'Sign in first: connect with auth.token from POST /api/agent/login.');
      socket.data = { principal };
      next();
    } catch (error) {
      const { body } = toAgentError(error);
      if (!isExpectedAgentError(error)) logger.error({ err: error }, 'agent handshake failed');
      next(Object.assign(new Error(body.error.code), { data: body.error }));
    }
  });

  namespace.on('connection', (socket) => {
    const principal = (socket.data as { principal: AgentPrincipal }).principal;
    void socket.join([AGENTS_ROOM, agentRoom(principal.id), sessionRoom(principal.sessionId)]);
    // The session ends at its expiry even on a connection that stays open.
    const expiry = setTimeout(() => {
      socket.emit('session_expired', { code: 'UNAUTHORIZED', message: 'The session expired; sign in again.' });
      socket.disconnect(true);
    }, Math.min(MAX_TIMER_MS, Math.max(0, principal.expiresAt.getTime() - Date.now())));
    expiry.unref();
    socket.on('disconnect', () => clearTimeout(expiry));

    socket.emit('hello', { agent: { id: principal.id, email: principal.email, name: principal.name, role: principal.role }, expiresAt: principal.expiresAt.toISOString() });
    void workspace.queue().then(
      (queue) => socket.emit('queue', queue),
      (error: unknown) => logger.warn({ err: error }, 'initial queue failed'),
    );

    handle(socket, 'queue', async () => ({ ok: true, ...(await workspace.queue()) }));

    handle(socket, 'conversations', async (payload) => ({ ok: true, ...(await workspace.list(conversationFilters(payload ?? {}, principal))) }));

    handle(socket, 'transcript', async (payload) => {
      const { conversationId } = parseAgentPayload(conversationRef, payload);
      const conversation = await workspace.transcript(conversationId, principal);
      void socket.join(watchRoom(conversationId));
      return { ok: true, conversation };
    });

    handle(socket, 'watch', async (payload) => {
      const { conversationId } = parseAgentPayload(conversationRef, payload);
      await workspace.summary(conversationId);
      void socket.join(watchRoom(conversationId));
      return { ok: true };
    });

    handle(socket, 'unwatch', async (payload) => {
      const { conversationId } = parseAgentPayload(conversationRef, payload);
      void socket.leave(watchRoom(conversationId));
      return { ok: true };
    });

    for (const action of CONVERSATION_ACTIONS) {
      handle(socket, action, async (payload) => {
        const { conversationId } = parseAgentPayload(conversationRef, payload);
        const conversation = await workspace.act(principal, conversationId, action as ConversationAction);
        // Whoever acts on a conversation follows it.
        void socket.join(watchRoom(conversationId));
        return { ok: true, conversation };
      });
    }

    handle(socket, 'reply', async (payload) => {
      const input = parseAgentPayload(replyPayload, payload);
      const { message, created } = await workspace.reply(principal, input);
      return { ok: true, message, duplicate: !created };
    });

    handle(socket, 'correct', async (payload) => {
      const input = parseAgentPayload(correctPayload, payload);
      return { ok: true, label: await workspace.correct(principal, input.messageId, input.intent) };
    });

    handle(socket, 'uncorrect', async (payload) => {
      const input = parseAgentPayload(uncorrectPayload, payload);
      return { ok: true, removed: await workspace.removeCorrection(input.messageId) };
    });

    handle(socket, 'review', async (payload) => {
      const { conversationId } = parseAgentPayload(conversationRef, payload);
      return { ok: true, conversation: await workspace.markReviewed(principal, conversationId) };
    });

    handle(socket, 'intents', async () => ({ ok: true, intents: workspace.intents() }));

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') ack({ ok: false, error: { code: 'UNKNOWN_EVENT', message: `Unknown event "${String(event).slice(0, 64)}".` } });
    });
  });

  const KNOWN_EVENTS = new Set(['queue', 'conversations', 'transcript', 'watch', 'unwatch', 'reply', 'correct', 'uncorrect', 'review', 'intents', ...CONVERSATION_ACTIONS]);

  function handle(socket: Socket, event: string, handler: (payload: unknown) => Promise<unknown>): void {
    socket.on(event, async (...args: unknown[]) => {
      const ack = args.at(-1);
      const payload = args.length > 1 || typeof ack !== 'function' ? args[0] : undefined;
      let response: unknown;
      try {
        response = await handler(payload);
      } catch (error) {
        if (!isExpectedAgentError(error)) logger.error({ err: error, event }, 'agent request failed');
        response = toAgentError(error).body;
      }
      if (typeof ack === 'function') (ack as Ack)(response);
      else socket.emit('protocol_error', { ok: false, error: { code: 'INVALID_PAYLOAD', message: 'Every request needs an acknowledgement callback.' } });
    });
  }

  // Agent replies reach the visitor exactly like bot replies, with source "agent".
  workspace.on('agentReply', (message) => {
    chat.to(conversationRoom(message.conversationId)).emit('reply', toReplyEvent(message));
  });

  workspace.on('message', (message) => {
    namespace.to(watchRoom(message.conversationId)).emit('message', message);
  });

  // State changes and new messages in queued or held conversations are gathered briefly, then the
  // changed conversations and the whole queue are pushed: one query per burst, not per event.
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  workspace.on('changed', (conversationId) => {
    pending.add(conversationId);
    timer ??= setTimeout(() => void flush(), options.queueDebounceMs ?? 30);
    timer.unref();
  });

  async function flush(): Promise<void> {
    timer = null;
    const ids = [...pending];
    pending.clear();
    try {
      for (const id of ids) {
        const summary = await workspace.store.summary(id);
        if (summary) namespace.to(AGENTS_ROOM).emit('conversation', summary);
      }
      namespace.to(AGENTS_ROOM).emit('queue', await workspace.queue());
    } catch (error) {
      logger.warn({ err: error }, 'pushing queue updates failed');
    }
  }

  return {
    namespace,
    disconnectSession: (sessionId) => namespace.in(sessionRoom(sessionId)).disconnectSockets(true),
    disconnectAgent: (agentId) => namespace.in(agentRoom(agentId)).disconnectSockets(true),
  };
}
