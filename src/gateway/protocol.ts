import { z } from 'zod';
import type { Message } from '../dialogue/conversation-events.ts';
import type { ErrorBody, ErrorCode } from '../protocol/errors.ts';
import { richField, type RichNode } from '../protocol/rich-text.ts';

/** What the visitor's client sends, validated (with parsePayload, src/protocol) before anything else happens. */
// Postgres stores a lone surrogate as U+FFFD, so `a\uDC00` and `a\uDC01` were one idempotency key and
// the second message was dropped as a duplicate. In a `u` regex a lone surrogate is the only match of
// \p{Surrogate} (String.prototype.isWellFormed, which TypeScript's ES2023 lib does not declare).
const wellFormed = (value: string) => !/\p{Surrogate}/u.test(value);
const MAX_CLIENT_ID_LENGTH = 128;

export const messagePayload = z.object({
  clientId: z.string().min(1).max(MAX_CLIENT_ID_LENGTH).refine(wellFormed, 'must be well-formed Unicode (no lone surrogates)'),
  text: z.string(),
  conversationId: z.string().optional(),
});

export const historyPayload = z
  .object({ conversationId: z.string().optional(), limit: z.number().int().min(1).max(500).optional() })
  .optional();

export const feedbackPayload = z.object({
  messageId: z.string().min(1).max(64),
  rating: z.enum(['up', 'down']),
});

/** The end-of-chat satisfaction score; rating a chat also ends it. */
export const csatPayload = z.object({
  score: z.number().int().min(1).max(5),
  conversationId: z.string().optional(),
});

/** The visitor asks for a person (the widget's "Talk to a person"); the payload is optional. */
export const handoffPayload = z.object({ conversationId: z.string().optional() }).optional();

// What the host page may tell about its visitor, shown to agents: plain one-line text only.
const noControlCharacters = (value: string) => !/\p{Cc}/u.test(value);
const visitorName = z.string().trim().min(1).max(120).refine(noControlCharacters, 'must be one line of text').refine(wellFormed, 'must be well-formed Unicode');
// The origin and path of an http(s) page; a query or fragment (tokens, personal data) is refused.
// Control characters are refused too: the URL parser would drop or encode them, and a NUL would
// refuse the whole handshake (parsePayload) instead of dropping the page.
const pageUrl = z.string().max(2048).refine(noControlCharacters, 'must be one line of text').refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}, 'must be an http(s) URL without query, fragment or credentials');

export const handshakeAuth = z.object({
  visitorToken: z.string().max(512).optional(),
  // A JWT the shop signed for its signed-in customer (src/identity); an invalid one refuses the handshake.
  customerToken: z.string().min(1).max(8192).optional(),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/).optional(),
  // Shown to agents only: an invalid one is dropped, so that a misconfigured page still gets a chat.
  name: visitorName.optional().catch(undefined),
  email: z.email().max(254).optional().catch(undefined),
  page: pageUrl.optional().catch(undefined),
});

/**
 * The largest Socket.IO frame a client may send (`maxHttpBufferSize`), which every connection can
 * use before it has proven anything: the largest legal message plus room for the envelope. JSON
 * writes a control character or a lone surrogate as `\uXXXX`, so a character takes at most 6 bytes.
 * A text a little over the limit still fits and is answered TEXT_TOO_LONG; a bigger frame closes the
 * connection.
 */
export function maxFrameBytes(maxMessageChars: number): number {
  const worstBytesPerChar = 6;
  const envelope = MAX_CLIENT_ID_LENGTH * worstBytesPerChar + 1024; // clientId, event name, ack id, conversationId, keys
  return maxMessageChars * worstBytesPerChar + envelope;
}

export interface ReplyEvent {
  messageId: string;
  replyTo: string | null;
  conversationId: string;
  /** The Markdown source as written: for plain clients, notifications and e-mail. */
  text: string;
  /** The text's formatting (src/protocol/rich-text.ts), when it has any: what the widget draws. */
  rich?: RichNode[];
  source: string;
  /** The display name of the agent who wrote an agent reply. */
  agent?: { name: string };
  intent?: string;
  confidence?: number;
  suggestions?: Array<{ intent: string; label: string }>;
  retrieval?: VisitorRetrieval;
  createdAt: string;
}

/**
 * What a visitor learns about a retrieval answer: its kind, score and, for a knowledge document, the
 * public title. Never the stored source (another conversation's id, a file path).
 */
export interface VisitorRetrieval {
  kind: string;
  score: number;
  title?: string;
}

/** Stored with the reply for agents' audit (src/agents/views.ts); only part of it reaches the visitor. */
interface StoredRetrieval {
  source: string;
  kind: string;
  score: number;
  title?: string | null;
}

type StoredDetails = { suggestions?: ReplyEvent['suggestions']; retrieval?: StoredRetrieval } | null;

function toVisitorRetrieval(stored: StoredRetrieval): VisitorRetrieval {
  return { kind: stored.kind, score: stored.score, ...(stored.kind === 'document' && stored.title ? { title: stored.title } : {}) };
}

/** `agentName`: the author's display name, for an agent's reply. */
export function toReplyEvent(message: Message, agentName?: string | null): ReplyEvent {
  const details = message.details as StoredDetails;
  return {
    messageId: message.id,
    replyTo: message.replyToId,
    conversationId: message.conversationId,
    text: message.text,
    ...richField(message),
    source: message.source ?? (message.role === 'agent' ? 'agent' : 'intent'),
    ...(agentName ? { agent: { name: agentName } } : {}),
    ...(message.intent ? { intent: message.intent } : {}),
    ...(message.confidence !== null ? { confidence: message.confidence } : {}),
    ...(details?.suggestions?.length ? { suggestions: details.suggestions } : {}),
    ...(details?.retrieval ? { retrieval: toVisitorRetrieval(details.retrieval) } : {}),
    createdAt: message.createdAt.toISOString(),
  };
}

export interface HistoryEntry {
  messageId: string;
  role: string;
  text: string;
  /** As in ReplyEvent; never on a visitor's message. */
  rich?: RichNode[];
  createdAt: string;
  source?: string;
  intent?: string;
  confidence?: number;
  suggestions?: ReplyEvent['suggestions'];
  agent?: { name: string };
}

export function toHistoryEntry(message: Message & { agent?: { name: string } | null }): HistoryEntry {
  const details = message.details as StoredDetails;
  return {
    messageId: message.id,
    role: message.role,
    text: message.text,
    ...richField(message),
    createdAt: message.createdAt.toISOString(),
    ...(message.source ? { source: message.source } : {}),
    ...(message.agent ? { agent: { name: message.agent.name } } : {}),
    ...(message.intent ? { intent: message.intent } : {}),
    ...(message.confidence !== null ? { confidence: message.confidence } : {}),
    ...(details?.suggestions?.length ? { suggestions: details.suggestions } : {}),
  };
}

/**
 * What agents did to the conversation, told to the visitor (`status` event): an agent joined
 * (`agent` names them), it waits for an agent again, it is back with the bot, or it was resolved.
 */
export interface StatusEvent {
  conversationId: string;
  status: 'bot' | 'waiting_for_agent' | 'agent' | 'resolved';
  agent?: { name: string };
}

/** Sent to the visitor at every connection: the renewed token and the conversation it continues. */
export interface SessionEvent {
  visitorToken: string;
  conversationId: string;
  /** The visitor's latest resolved conversation, still readable through `history`. */
  previousConversationId?: string;
}

/** The acknowledgement of a visitor's event: `{ ok: true, …T }`, or the error. */
export type Ack<T extends object = object> = ({ ok: true } & T) | ErrorBody;
export type MessageAck = Ack<{ messageId: string; conversationId: string; duplicate: boolean }>;
export type HistoryAck = Ack<{ conversationId: string; messages: HistoryEntry[] }>;
export type HandoffAck = Ack<{ status: StatusEvent['status'] }>;

/**
 * The refusals of a visitor's message that are temporary: the client sends it again, with the same
 * clientId; any other error code is final for that message. The widget gets this list inside
 * /widget.js (src/gateway/static.ts).
 */
export const RETRYABLE_ERROR_CODES = ['RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'SHUTTING_DOWN', 'INTERNAL'] as const satisfies readonly ErrorCode[];
export type RetryableErrorCode = (typeof RETRYABLE_ERROR_CODES)[number];
