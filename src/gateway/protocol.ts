import { z } from 'zod';
import type { Message } from '../store/chat-store.ts';
import { ProtocolError } from './errors.ts';

/** What the visitor's client sends, validated before anything else happens. */
// Postgres text cannot hold U+0000: a NUL in a clientId or text failed the insert with INTERNAL
// (found by test/faults/fuzz.test.ts); it is an invalid payload.
const noNul = (value: string) => !value.includes('\u0000');
// Postgres stores a lone surrogate as U+FFFD, so `a\uDC00` and `a\uDC01` were one idempotency key and
// the second message was dropped as a duplicate. In a `u` regex a lone surrogate is the only match of
// \p{Surrogate} (String.prototype.isWellFormed, which TypeScript's ES2023 lib does not declare).
const wellFormed = (value: string) => !/\p{Surrogate}/u.test(value);
const MAX_CLIENT_ID_LENGTH = 128;

export const messagePayload = z.object({
  clientId: z.string().min(1).max(MAX_CLIENT_ID_LENGTH).refine(noNul, 'must not contain NUL characters').refine(wellFormed, 'must be well-formed Unicode (no lone surrogates)'),
  text: z.string().refine(noNul, 'must not contain NUL characters'),
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
const pageUrl = z.string().max(2048).refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}, 'must be an http(s) URL without query, fragment or credentials');

export const handshakeAuth = z.object({
  visitorToken: z.string().max(512).optional(),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/).optional(),
  // Shown to agents only: an invalid one is dropped, so that a misconfigured page still gets a chat.
  name: visitorName.optional().catch(undefined),
  email: z.email().max(254).optional().catch(undefined),
  page: pageUrl.optional().catch(undefined),
});

export function parsePayload<T extends z.ZodType>(schema: T, payload: unknown): z.infer<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new ProtocolError('INVALID_PAYLOAD', `Invalid payload${where}: ${issue?.message ?? 'unexpected shape'}`);
  }
  return parsed.data;
}

/** Trims the text and enforces the size limits; Unicode code points are counted, not UTF-16 units. */
export function checkText(text: string, maxChars: number): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ProtocolError('TEXT_EMPTY', 'The message text is empty.');
  if (trimmed.length > maxChars * 2 || [...trimmed].length > maxChars) {
    throw new ProtocolError('TEXT_TOO_LONG', `The message text is longer than ${maxChars} characters.`);
  }
  return trimmed;
}

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
  text: string;
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
