import { randomUUID } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ConversationEvents, Message } from '../dialogue/conversation-events.ts';
import type { DialogueService } from '../dialogue/service.ts';
import { heldByAnotherCustomer, type AnswerContext, type VisitorChat, type VisitorContext } from '../dialogue/visitor-chat.ts';
import { InvalidCustomerTokenError, type CustomerTokenVerifier, type VerifiedCustomer } from '../identity/customer-token.ts';
import { isDatabaseUnavailable, ProtocolError } from '../protocol/errors.ts';
import { checkText, parsePayload } from '../protocol/payloads.ts';
import { csatPayload, feedbackPayload, handoffPayload, handshakeAuth, historyPayload, messagePayload, toHistoryEntry } from './protocol.ts';
import { admitConnections, socketRequests, type SocketRequestOptions } from './socket-requests.ts';
import { conversationRoom, deliverToVisitors, resendReply, visitorRoom } from './visitor-delivery.ts';
import type { VisitorTokens } from './visitor-token.ts';

export interface ChatNamespaceOptions {
  chat: VisitorChat;
  dialogue: DialogueService;
  /** Replies and agents' notices for visitors come from here. */
  events: ConversationEvents;
  tokens: VisitorTokens;
  /** Verifies the shop's customer tokens; null: none configured, and every customer token is refused. */
  verifyCustomerToken: CustomerTokenVerifier | null;
  logger: Logger;
  maxMessageChars: number;
  messagesPerSecond: number;
  messageBurst: number;
  isShuttingDown: () => boolean;
  metrics?: Metrics;
}

interface VisitorSession {
  visitorId: string;
  conversationId: string;
  /** The visitor and conversation rows are written by the first request that stores something. */
  conversationExists: boolean;
  /** The visitor's latest resolved conversation: its history stays readable. */
  previousConversationId: string | null;
  language?: string;
  /**
   * Shown to agents; written with the first request of this connection that stores something.
   * `context.customer`: the customer the shop's token vouched for at this handshake, null when anonymous.
   */
  context: VisitorContext & { customer: VerifiedCustomer | null };
  contextSaved: boolean;
}

/** Enough of a user agent to name the browser and system; the rest is cut. */
const MAX_USER_AGENT_CHARS = 512;

/** The visitor-facing `/chat` namespace: thin; validation here, decisions in the dialogue layer. */
export function attachChatNamespace(namespace: Namespace, options: ChatNamespaceOptions): void {
  const { chat, dialogue, events, tokens, logger } = options;
  // A visitor who may resend is told so: a message that failed was not stored.
  const requestOptions: SocketRequestOptions = { logger, metrics: options.metrics, retry: 'retry with the same clientId' };
  const windowSeconds = Math.max(1, Math.ceil(options.messageBurst / options.messagesPerSecond));
  const perVisitor = new RateLimiterMemory({ points: options.messageBurst, duration: windowSeconds });
  // Many visitors can share one address (offices, mobile carriers), so the address limit is wider.
  const perAddress = new RateLimiterMemory({ points: options.messageBurst * 20, duration: windowSeconds });
  // Connections per address and minute: as many as the address may send messages in a window.
  const handshakesPerAddress = new RateLimiterMemory({ points: options.messageBurst * 20, duration: 60 });

  deliverToVisitors(namespace, events);

  admitConnections(namespace, requestOptions, async (socket) => {
    await handshakesPerAddress.consume(socket.handshake.address || 'unknown').catch(() => {
      throw new ProtocolError('RATE_LIMITED', 'Too many connections from this address; retry in a minute.');
    });
    const auth = parsePayload(handshakeAuth, socket.handshake.auth ?? {});
    const customer = auth.customerToken === undefined ? null : await verifyCustomer(auth.customerToken);
    const claims = auth.visitorToken === undefined ? null : tokens.verify(auth.visitorToken);
    if (auth.visitorToken !== undefined && !claims) throw invalidToken();
    let visitorId = claims?.visitorId ?? randomUUID();
    // A new visitor has no rows yet, so a connection without a token reads and writes nothing.
    let visitor = await chat.visitor(visitorId, claims !== null);
    if (claims && claims.generation !== visitor.tokenGeneration) throw invalidToken(); // revoked
    if (heldByAnotherCustomer(visitor, customer?.id ?? null)) {
      visitorId = randomUUID();
      visitor = await chat.visitor(visitorId, false);
    }
    const userAgent = socket.handshake.headers['user-agent']?.slice(0, MAX_USER_AGENT_CHARS);
    const session: VisitorSession = {
      visitorId,
      conversationId: visitor.conversationId,
      conversationExists: visitor.conversationExists,
      previousConversationId: visitor.previousConversationId,
      ...(auth.language ? { language: auth.language } : {}),
      context: { name: auth.name, email: auth.email, language: auth.language, page: auth.page, userAgent, customer },
      contextSaved: false,
    };
    // A fresh token at every connection: only a token left unused for the whole TTL expires.
    socket.data = { session, token: tokens.issue(visitorId, visitor.tokenGeneration).token };
  });

  namespace.on('connection', (socket) => {
    const { session, token } = socket.data as { session: VisitorSession; token: string };
    void socket.join([conversationRoom(session.conversationId), visitorRoom(session.visitorId)]);
    socket.emit('session', {
      visitorToken: token,
      conversationId: session.conversationId,
      ...(session.previousConversationId ? { previousConversationId: session.previousConversationId } : {}),
    });
    options.metrics?.connectedVisitors.inc();
    socket.once('disconnect', () => options.metrics?.connectedVisitors.dec());
    void answerPending(session);
    const requests = socketRequests(socket, requestOptions);

    requests.on('message', async (payload) => {
      refuseWhileShuttingDown();
      const input = parsePayload(messagePayload, payload);
      const text = checkText(input.text, options.maxMessageChars);
      ownConversation(session, input.conversationId);
      await consumeRateLimit(socket, session);
      await ensureConversation(session);
      const { message, created, context } = await chat.receive({ conversationId: session.conversationId, clientId: input.clientId, text });
      // The ack goes out first (the message is committed); the reply follows as its own event.
      setImmediate(() => void answer(socket, message, created, context));
      return { ok: true, messageId: message.id, conversationId: message.conversationId, duplicate: !created };
    });

    requests.on('history', async (payload) => {
      const input = parsePayload(historyPayload, payload);
      const conversationId = readableConversation(session, input?.conversationId);
      const messages = await chat.history(conversationId, input?.limit);
      return { ok: true, conversationId, messages: messages.map(toHistoryEntry) };
    });

    requests.on('feedback', async (payload) => {
      const input = parsePayload(feedbackPayload, payload);
      const message = await chat.message(input.messageId).catch((error: unknown) => {
        // A malformed id is simply not a message of this conversation.
        if (isDatabaseUnavailable(error)) throw error;
        return null;
      });
      if (!message || message.conversationId !== session.conversationId || message.role === 'visitor') {
        throw new ProtocolError('UNKNOWN_MESSAGE', 'No such bot or agent message in this conversation.');
      }
      await chat.setFeedback(message.id, input.rating);
      return { ok: true };
    });

    requests.on('csat', async (payload) => {
      const input = parsePayload(csatPayload, payload);
      ownConversation(session, input.conversationId);
      await consumeRateLimit(socket, session);
      await ensureConversation(session);
      // Agents' queues and the answer harvest hear of it; the visitor gets no notice of their own rating.
      await chat.rateAndResolve(session.conversationId, input.score);
      options.metrics?.csatScores.observe(input.score);
      return { ok: true };
    });

    // Asking for a person is a protocol event, not a phrase to classify; the payload is optional.
    requests.on('handoff', async (payload) => {
      refuseWhileShuttingDown();
      const input = parsePayload(handoffPayload, payload);
      ownConversation(session, input?.conversationId);
      await consumeRateLimit(socket, session);
      await ensureConversation(session);
      // The handoff reply reaches the room through the dialogue's `replied` event, before this ack;
      // agents' queues hear of it from the dialogue service, as of any handover.
      const { status } = await dialogue.handOver(session.conversationId, session.language);
      return { ok: true, status };
    });
  });

  /** Creates the conversation, or refreshes the visitor's context, once per connection. */
  async function ensureConversation(session: VisitorSession): Promise<void> {
    if (session.contextSaved) return;
    await chat.open(session.visitorId, session.conversationId, session.context);
    session.conversationExists = true;
    session.contextSaved = true;
  }

  /** The customer the token names; a token that cannot be verified refuses the handshake. */
  async function verifyCustomer(token: string): Promise<VerifiedCustomer> {
    const refusal = (reason: string) =>
      new ProtocolError('INVALID_CUSTOMER_TOKEN', `The customer token was refused: ${reason}. Connect without it to chat anonymously.`);
    if (!options.verifyCustomerToken) throw refusal('this server verifies no customer tokens (CUSTOMER_TOKEN_* is not configured)');
    try {
      return await options.verifyCustomerToken(token);
    } catch (error) {
      if (!(error instanceof InvalidCustomerTokenError)) throw error;
      logger.info({ err: error }, 'customer token refused');
      throw refusal(error.message);
    }
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

  /** A new reply reaches the whole room through the `replied` event; a resend is answered again to its sender. */
  async function answer(socket: Socket, message: Message, created: boolean, context: AnswerContext | null): Promise<void> {
    try {
      const reply = await dialogue.answer(message, (socket.data as { session: VisitorSession }).session.language, context);
      if (reply && !created) resendReply(socket, reply);
    } catch (error) {
      logger.error({ err: error, conversationId: message.conversationId, messageId: message.id }, 'reply failed; it is retried on reconnect or resend');
    }
  }

  /** Answers messages that were acknowledged but never answered (a crash or outage in between). */
  async function answerPending(session: VisitorSession): Promise<void> {
    if (!session.conversationExists) return;
    try {
      // Each reply reaches the room through the `replied` event.
      for (const message of await chat.unanswered(session.conversationId)) await dialogue.answer(message, session.language);
    } catch (error) {
      logger.warn({ err: error, conversationId: session.conversationId }, 'answering pending messages failed');
    }
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
