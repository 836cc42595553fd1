import { randomUUID } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { newVisitorState, type ChatStore, type Message, type VisitorContext } from '../store/chat-store.ts';
import type { DialogueService } from '../dialogue/service.ts';
import { ProtocolError, toErrorBody, isExpectedError, type ErrorCode } from './errors.ts';
import { checkText, csatPayload, feedbackPayload, handoffPayload, handshakeAuth, historyPayload, messagePayload, parsePayload, toHistoryEntry, toReplyEvent } from './protocol.ts';
import type { VisitorTokens } from './visitor-token.ts';

export interface ChatNamespaceOptions {
  store: ChatStore;
  dialogue: DialogueService;
  tokens: VisitorTokens;
  logger: Logger;
  maxMessageChars: number;
  messagesPerSecond: number;
  messageBurst: number;
  isShuttingDown: () => boolean;
  metrics?: Metrics;
  /** The visitor ended the chat (CSAT): agents' queues and the answer harvest hear of it. */
  onConversationResolved?(conversationId: string): void;
  /** Called after the ack of every newly stored visitor message (the agent workspace listens). */
  onVisitorMessage?(message: Message): void;
}

interface VisitorSession {
  visitorId: string;
  conversationId: string;
  /** The visitor and conversation rows are written by the first request that stores something. */
  conversationExists: boolean;
  /** The visitor's latest resolved conversation: its history stays readable. */
  previousConversationId: string | null;
  language?: string;
  /** Shown to agents; written with the first request of this connection that stores something. */
  context: VisitorContext;
  contextSaved: boolean;
}

type Ack = (response: unknown) => void;
const KNOWN_EVENTS = new Set(['message', 'history', 'feedback', 'csat', 'handoff']);
/** Enough of a user agent to name the browser and system; the rest is cut. */
const MAX_USER_AGENT_CHARS = 512;

export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;

/** The visitor-facing `/chat` namespace: thin; validation here, decisions in the dialogue layer. */
export function attachChatNamespace(namespace: Namespace, options: ChatNamespaceOptions): void {
  const { store, dialogue, tokens, logger } = options;
  const windowSeconds = Math.max(1, Math.ceil(options.messageBurst / options.messagesPerSecond));
  const perVisitor = new RateLimiterMemory({ points: options.messageBurst, duration: windowSeconds });
  // Many visitors can share one address (offices, mobile carriers), so the address limit is wider.
  const perAddress = new RateLimiterMemory({ points: options.messageBurst * 20, duration: windowSeconds });
  // Connections per address and minute: as many as the address may send messages in a window.
  const handshakesPerAddress = new RateLimiterMemory({ points: options.messageBurst * 20, duration: 60 });

  namespace.use(async (socket, next) => {
    try {
      await handshakesPerAddress.consume(socket.handshake.address || 'unknown').catch(() => {
        throw new ProtocolError('RATE_LIMITED', 'Too many connections from this address; retry in a minute.');
      });
      const auth = parsePayload(handshakeAuth, socket.handshake.auth ?? {});
      const claims = auth.visitorToken === undefined ? null : tokens.verify(auth.visitorToken);
      if (auth.visitorToken !== undefined && !claims) throw invalidToken();
      const visitorId = claims?.visitorId ?? randomUUID();
      // A new visitor has no rows yet, so a connection without a token reads and writes nothing.
      const visitor = claims ? await store.visitorState(visitorId) : newVisitorState(visitorId);
      if (claims && claims.generation !== visitor.tokenGeneration) throw invalidToken(); // revoked
      const userAgent = socket.handshake.headers['user-agent']?.slice(0, MAX_USER_AGENT_CHARS);
      const session: VisitorSession = {
        visitorId,
        conversationId: visitor.conversationId,
        conversationExists: visitor.conversationExists,
        previousConversationId: visitor.previousConversationId,
        ...(auth.language ? { language: auth.language } : {}),
        context: { name: auth.name, email: auth.email, language: auth.language, page: auth.page, userAgent },
        contextSaved: false,
      };
      // A fresh token at every connection: only a token left unused for the whole TTL expires.
      socket.data = { session, token: tokens.issue(visitorId, visitor.tokenGeneration).token };
      next();
    } catch (error) {
      const body = toErrorBody(error);
      if (!isExpectedError(error)) logger.error({ err: error }, 'visitor handshake failed');
      next(Object.assign(new Error(body.error.code), { data: body.error }));
    }
  });

  namespace.on('connection', (socket) => {
    const { session, token } = socket.data as { session: VisitorSession; token: string };
    void socket.join(conversationRoom(session.conversationId));
    socket.emit('session', {
      visitorToken: token,
      conversationId: session.conversationId,
      ...(session.previousConversationId ? { previousConversationId: session.previousConversationId } : {}),
    });
    options.metrics?.connectedVisitors.inc();
    socket.once('disconnect', () => options.metrics?.connectedVisitors.dec());
    void answerPending(session);

    socket.on('message', (payload: unknown, ack: unknown) =>
      respond(socket, 'message', ack, async () => {
        refuseWhileShuttingDown();
        const input = parsePayload(messagePayload, payload);
        const text = checkText(input.text, options.maxMessageChars);
        ownConversation(session, input.conversationId);
        await consumeRateLimit(socket, session);
        await ensureConversation(session);
        const { message, created } = await store.appendVisitorMessage({ conversationId: session.conversationId, clientId: input.clientId, text });
        // The ack goes out first (the message is committed); the reply follows as its own event.
        setImmediate(() => {
          void deliverReply(socket, message, created);
          if (created) options.onVisitorMessage?.(message);
        });
        return { ok: true, messageId: message.id, conversationId: message.conversationId, duplicate: !created };
      }),
    );

    socket.on('history', (...args: unknown[]) =>
      // The payload is optional: `emit('history', ack)` is as valid as `emit('history', {}, ack)`.
      respond(socket, 'history', args.at(-1), async () => {
        const input = parsePayload(historyPayload, args.length > 1 ? args[0] : undefined);
        const conversationId = readableConversation(session, input?.conversationId);
        const messages = await store.history(conversationId, input?.limit);
        return { ok: true, conversationId, messages: messages.map(toHistoryEntry) };
      }),
    );

    socket.on('feedback', (payload: unknown, ack: unknown) =>
      respond(socket, 'feedback', ack, async () => {
        const input = parsePayload(feedbackPayload, payload);
        const message = await store.message(input.messageId).catch((error: unknown) => {
          // A malformed id is simply not a message of this conversation.
          if ((error as { code?: string }).code === 'DATABASE_UNAVAILABLE') throw error;
          return null;
        });
        if (!message || message.conversationId !== session.conversationId || message.role === 'visitor') {
          throw new ProtocolError('UNKNOWN_MESSAGE', 'No such bot or agent message in this conversation.');
        }
        await store.setFeedback(message.id, input.rating);
        return { ok: true };
      }),
    );

    socket.on('csat', (payload: unknown, ack: unknown) =>
      respond(socket, 'csat', ack, async () => {
        const input = parsePayload(csatPayload, payload);
        ownConversation(session, input.conversationId);
        await consumeRateLimit(socket, session);
        await ensureConversation(session);
        await store.rateAndResolve(session.conversationId, input.score);
        options.onConversationResolved?.(session.conversationId);
        return { ok: true };
      }),
    );

    socket.on('handoff', (...args: unknown[]) =>
      // Asking for a person is a protocol event, not a phrase to classify; the payload is optional.
      respond(socket, 'handoff', args.at(-1), async () => {
        refuseWhileShuttingDown();
        const input = parsePayload(handoffPayload, args.length > 1 ? args[0] : undefined);
        ownConversation(session, input?.conversationId);
        await consumeRateLimit(socket, session);
        await ensureConversation(session);
        const { status, reply } = await dialogue.handOver(session.conversationId, session.language);
        // Agents' queues hear of it from the dialogue service, as of any handover.
        if (reply) namespace.to(conversationRoom(session.conversationId)).emit('reply', toReplyEvent(reply));
        return { ok: true, status };
      }),
    );

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') ack(errorBody('UNKNOWN_EVENT', `Unknown event "${String(event).slice(0, 64)}".`));
    });
  });

  /** Creates the conversation, or refreshes the visitor's context, once per connection. */
  async function ensureConversation(session: VisitorSession): Promise<void> {
    if (session.contextSaved) return;
    await store.createConversation(session.visitorId, session.conversationId, session.context);
    session.conversationExists = true;
    session.contextSaved = true;
  }

  function refuseWhileShuttingDown(): void {
    if (options.isShuttingDown()) throw new ProtocolError('SHUTTING_DOWN', 'The server is restarting; retry with the same clientId.');
  }

  async function consumeRateLimit(socket: Socket, session: VisitorSession): Promise<void> {
    try {
      await perVisitor.consume(session.visitorId);
      await perAddress.consume(socket.handshake.address || 'unknown');
    } catch {
      throw new ProtocolError('RATE_LIMITED', 'Too many messages; slow down and retry with the same clientId.');
    }
  }

  async function deliverReply(socket: Socket, message: Message, created: boolean): Promise<void> {
    try {
      const reply = await dialogue.answer(message, (socket.data as { session: VisitorSession }).session.language);
      if (!reply) return;
      const event = toReplyEvent(reply);
      // A resent message's reply goes only to the sender; the rest of the room has it already.
      if (created) namespace.to(conversationRoom(message.conversationId)).emit('reply', event);
      else socket.emit('reply', event);
    } catch (error) {
      logger.error({ err: error, conversationId: message.conversationId, messageId: message.id }, 'reply failed; it is retried on reconnect or resend');
    }
  }

  /** Answers messages that were acknowledged but never answered (a crash or outage in between). */
  async function answerPending(session: VisitorSession): Promise<void> {
    if (!session.conversationExists) return;
    try {
      for (const message of await store.unansweredVisitorMessages(session.conversationId)) {
        const reply = await dialogue.answer(message, session.language);
        if (reply) namespace.to(conversationRoom(session.conversationId)).emit('reply', toReplyEvent(reply));
      }
    } catch (error) {
      logger.warn({ err: error, conversationId: session.conversationId }, 'answering pending messages failed');
    }
  }

  async function respond(socket: Socket, event: string, ack: unknown, handler: () => Promise<unknown>): Promise<void> {
    let response: unknown;
    try {
      response = await handler();
      options.metrics?.requests.inc({ event, outcome: 'ok' });
    } catch (error) {
      if (!isExpectedError(error)) logger.error({ err: error, socket: socket.id }, 'chat request failed');
      const body = toErrorBody(error);
      options.metrics?.requests.inc({ event, outcome: body.error.code });
      response = body;
    }
    if (typeof ack === 'function') (ack as Ack)(response);
    else socket.emit('protocol_error', errorBody('INVALID_PAYLOAD', 'Every request needs an acknowledgement callback.'));
  }
}

function ownConversation(session: VisitorSession, conversationId: string | undefined): void {
  if (conversationId !== undefined && conversationId !== session.conversationId) {
    throw new ProtocolError('UNKNOWN_CONVERSATION', 'No such conversation for this visitor.');
  }
}

/** What `history` may read: the current conversation, or the visitor's own previous (resolved) one. */
function readableConversation(session: VisitorSession, requested: string | undefined): string {
  if (requested !== undefined && requested === session.previousConversationId) return requested;
  ownConversation(session, requested);
  return session.conversationId;
}

function invalidToken(): ProtocolError {
  return new ProtocolError('INVALID_TOKEN', 'The visitor token is not valid, expired or revoked; connect without one to start anew.');
}

function errorBody(code: ErrorCode, message: string) {
  return { ok: false as const, error: { code, message } };
}
