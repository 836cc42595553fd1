import type { Namespace, Socket } from 'socket.io';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ChatStore, Message } from '../store/chat-store.ts';
import type { DialogueService } from '../dialogue/service.ts';
import { ProtocolError, toErrorBody, isExpectedError, type ErrorCode } from './errors.ts';
import { checkText, csatPayload, feedbackPayload, handshakeAuth, historyPayload, messagePayload, parsePayload, toHistoryEntry, toReplyEvent } from './protocol.ts';
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
  language?: string;
}

type Ack = (response: unknown) => void;
const KNOWN_EVENTS = new Set(['message', 'history', 'feedback', 'csat']);

export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;

/** The visitor-facing `/chat` namespace: thin; validation here, decisions in the dialogue layer. */
export function attachChatNamespace(namespace: Namespace, options: ChatNamespaceOptions): void {
  const { store, dialogue, tokens, logger } = options;
  const windowSeconds = Math.max(1, Math.ceil(options.messageBurst / options.messagesPerSecond));
  const perVisitor = new RateLimiterMemory({ points: options.messageBurst, duration: windowSeconds });
  // Many visitors can share one address (offices, mobile carriers), so the address limit is wider.
  const perAddress = new RateLimiterMemory({ points: options.messageBurst * 20, duration: windowSeconds });

  namespace.use(async (socket, next) => {
    try {
      const auth = parsePayload(handshakeAuth, socket.handshake.auth ?? {});
      let visitorId: string;
      let token: string;
      if (auth.visitorToken !== undefined) {
        const verified = tokens.verify(auth.visitorToken);
        if (!verified) throw new ProtocolError('INVALID_TOKEN', 'The visitor token is not valid; connect without one to start anew.');
        visitorId = verified;
        token = auth.visitorToken;
      } else {
        ({ visitorId, token } = tokens.issue());
      }
      await store.touchVisitor(visitorId);
      const conversation = await store.openConversation(visitorId);
      const session: VisitorSession = { visitorId, conversationId: conversation.id, ...(auth.language ? { language: auth.language } : {}) };
      socket.data = { session, token };
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
    socket.emit('session', { visitorToken: token, conversationId: session.conversationId });
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
        ownConversation(session, input?.conversationId);
        const messages = await store.history(session.conversationId, input?.limit);
        return { ok: true, conversationId: session.conversationId, messages: messages.map(toHistoryEntry) };
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
        await store.rateAndResolve(session.conversationId, input.score);
        options.onConversationResolved?.(session.conversationId);
        return { ok: true };
      }),
    );

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') ack(errorBody('UNKNOWN_EVENT', `Unknown event "${String(event).slice(0, 64)}".`));
    });
  });

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

function errorBody(code: ErrorCode, message: string) {
  return { ok: false as const, error: { code, message } };
}
