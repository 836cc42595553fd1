import type { Namespace, Server } from 'socket.io';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { AgentAuth, AgentPrincipal } from '../agents/auth.ts';
import { conversationFilters, uuid } from '../agents/payloads.ts';
import { CONVERSATION_ACTIONS, type AgentWorkspace } from '../agents/workspace.ts';
import type { AgentActionRunner } from '../agents/action-runner.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';
import { messagePayload } from './protocol.ts';
import { admitConnections, socketRequests } from './socket-requests.ts';
import type { AgentPresence } from '../availability/presence.ts';

export interface AgentNamespaceOptions {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  logger: Logger;
  /** `run_action`: an agent runs an intent's action (absent: refused as unavailable). */
  actionRunner?: AgentActionRunner | undefined;
  /** How long changes are gathered before the queue is pushed again (one query per burst). */
  queueDebounceMs?: number;
  /** Agents' presence (available or away); absent: `set_availability` is refused as unavailable. */
  presence?: AgentPresence | undefined;
}

/** Every connected agent: queue and conversation updates go here. */
export const AGENTS_ROOM = 'agents';
/** Agents looking at a conversation get its messages live. */
export const watchRoom = (conversationId: string) => `watch:${conversationId}`;
export const agentRoom = (agentId: string) => `agent:${agentId}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

const conversationRef = z.object({ conversationId: uuid });
/** An agent's reply, over REST and here: its text and clientId follow the visitor protocol's rules (no NUL, which Postgres cannot store). */
export const agentReplyPayload = z.object({ text: messagePayload.shape.text, clientId: messagePayload.shape.clientId.optional() });
const replyPayload = agentReplyPayload.extend({ conversationId: uuid });
const correctPayload = z.object({ messageId: uuid, intent: z.string().min(1).max(64) });
const uncorrectPayload = z.object({ messageId: uuid });
const availabilityPayload = z.object({ available: z.boolean() });

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The `/agent` namespace. Connect with `auth: { token }` (from `POST /api/agent/login`); anything
 * else (no token, a wrong or expired one, a visitor token) is refused with `connect_error`
 * `UNAUTHORIZED`. Requests carry an acknowledgement and answer `{ ok: true, … }` or
 * `{ ok: false, error: { code, message } }`; the server pushes `queue`, `conversation` and `message`.
 *
 * Every request is decided on the agent's rights as they are now (`auth.current`), not as they were
 * at the handshake; a logout, a new password, a role change or a disabled account also closes the
 * agent's sockets in every process (the scale-out adapter carries `disconnectSockets`).
 */
export function attachAgentNamespace(io: Server, options: AgentNamespaceOptions): Namespace {
  const { workspace, auth, logger } = options;
  const namespace = io.of('/agent');

  admitConnections(namespace, { logger }, async (socket) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const principal = await auth.authenticate(typeof token === 'string' ? token : null);
    if (!principal) throw new ProtocolError('UNAUTHORIZED', 'Sign in first: connect with auth.token from POST /api/agent/login.');
    socket.data = { principal };
  });

  namespace.on('connection', (socket) => {
    const connected = (socket.data as { principal: AgentPrincipal }).principal;
    void socket.join([AGENTS_ROOM, agentRoom(connected.id), sessionRoom(connected.sessionId)]);
    // The session ends at its expiry even on a connection that stays open.
    const expiry = setTimeout(() => {
      socket.emit('session_expired', { code: 'UNAUTHORIZED', message: 'The session expired; sign in again.' });
      socket.disconnect(true);
    }, Math.min(MAX_TIMER_MS, Math.max(0, connected.expiresAt.getTime() - Date.now())));
    expiry.unref();
    socket.on('disconnect', () => clearTimeout(expiry));
    // Presence: this console counts for its agent until it closes; every console of the agent hears the state.
    if (options.presence) {
      const presence = options.presence;
      void presence.connected(socket.id, connected.id).then(
        (available) => socket.emit('availability', { available }),
        (error: unknown) => logger.warn({ err: error }, 'recording an agent connection failed'),
      );
      socket.on('disconnect', () => void presence.disconnected(socket.id));
    }

    socket.emit('hello', { agent: { id: connected.id, email: connected.email, name: connected.name, role: connected.role }, expiresAt: connected.expiresAt.toISOString() });
    void workspace.queue().then(
      (queue) => socket.emit('queue', queue),
      (error: unknown) => logger.warn({ err: error }, 'initial queue failed'),
    );

    // Every request is decided on the agent's rights as they are now.
    const requests = socketRequests(socket, { logger });
    const handle = (event: string, handler: (payload: unknown, principal: AgentPrincipal) => Promise<unknown>) =>
      requests.on(event, async (payload) => {
        const principal = await auth.current(connected);
        if (!principal) {
          // Revoked, expired or disabled since the handshake: refuse, and end the connection.
          setImmediate(() => socket.disconnect(true));
          throw new ProtocolError('UNAUTHORIZED', 'The session ended; sign in again.');
        }
        return handler(payload, principal);
      });

    handle('queue', async () => ({ ok: true, ...(await workspace.queue()) }));

    handle('conversations', async (payload, principal) => ({ ok: true, ...(await workspace.list(conversationFilters(payload ?? {}, principal))) }));

    handle('transcript', async (payload, principal) => {
      const { conversationId } = parsePayload(conversationRef, payload);
      const conversation = await workspace.transcript(conversationId, principal);
      void socket.join(watchRoom(conversationId));
      return { ok: true, conversation };
    });

    handle('watch', async (payload) => {
      const { conversationId } = parsePayload(conversationRef, payload);
      await workspace.summary(conversationId);
      void socket.join(watchRoom(conversationId));
      return { ok: true };
    });

    handle('unwatch', async (payload) => {
      const { conversationId } = parsePayload(conversationRef, payload);
      void socket.leave(watchRoom(conversationId));
      return { ok: true };
    });

    for (const action of CONVERSATION_ACTIONS) {
      handle(action, async (payload, principal) => {
        const { conversationId } = parsePayload(conversationRef, payload);
        const conversation = await workspace.act(principal, conversationId, action);
        // Whoever acts on a conversation follows it.
        void socket.join(watchRoom(conversationId));
        return { ok: true, conversation };
      });
    }

    handle('reply', async (payload, principal) => {
      const input = parsePayload(replyPayload, payload);
      const { message, created } = await workspace.reply(principal, input);
      return { ok: true, message, duplicate: !created };
    });

    handle('correct', async (payload, principal) => {
      const input = parsePayload(correctPayload, payload);
      return { ok: true, label: await workspace.correct(principal, input.messageId, input.intent) };
    });

    handle('uncorrect', async (payload, principal) => {
      const input = parsePayload(uncorrectPayload, payload);
      return { ok: true, removed: await workspace.removeCorrection(principal, input.messageId) };
    });

    handle('run_action', async (payload, principal) => {
      if (!options.actionRunner) throw new ProtocolError('NOT_FOUND', 'No actions are configured in this process.');
      return { ok: true, outcome: await options.actionRunner.run(principal, payload) };
    });

    handle('review', async (payload, principal) => {
      const { conversationId } = parsePayload(conversationRef, payload);
      return { ok: true, conversation: await workspace.markReviewed(principal, conversationId) };
    });

    handle('intents', async () => ({ ok: true, intents: workspace.intents() }));

    handle('set_availability', async (payload, principal) => {
      if (!options.presence) throw new ProtocolError('NOT_FOUND', 'Presence is not tracked in this process.');
      const { available } = parsePayload(availabilityPayload, payload);
      await options.presence.set(principal.id, available);
      namespace.to(agentRoom(principal.id)).emit('availability', { available });
      return { ok: true, available };
    });
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
      // Every message of a waiting conversation changes it: one query for the burst, not one per conversation.
      for (const summary of await workspace.findSummaries(ids)) namespace.to(AGENTS_ROOM).emit('conversation', summary);
      namespace.to(AGENTS_ROOM).emit('queue', await workspace.queue());
    } catch (error) {
      logger.warn({ err: error }, 'pushing queue updates failed');
    }
  }

  // Through the adapter, so that the agent's sockets on other processes close too.
  auth.on('sessionEnded', (sessionId) => namespace.in(sessionRoom(sessionId)).disconnectSockets(true));
  auth.on('rightsChanged', (agentId) => namespace.in(agentRoom(agentId)).disconnectSockets(true));

  return namespace;
}
