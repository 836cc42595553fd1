import { z } from 'zod';
import type { Message } from '../store/chat-store.ts';
import { ProtocolError } from './errors.ts';

/** What the visitor's client sends, validated before anything else happens. */
// Postgres text cannot hold U+0000: a NUL in a clientId or text failed the insert with INTERNAL
// (found by test/faults/fuzz.test.ts); it is an invalid payload.
const noNul = (value: string) => !value.includes('\u0000');

export const messagePayload = z.object({
  clientId: z.string().min(1).max(128).refine(noNul, 'must not contain NUL characters'),
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

export const handshakeAuth = z.object({
  visitorToken: z.string().max(512).optional(),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/).optional(),
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

export interface ReplyEvent {
  messageId: string;
  replyTo: string | null;
  conversationId: string;
  text: string;
  source: string;
  intent?: string;
  confidence?: number;
  suggestions?: Array<{ intent: string; label: string }>;
  retrieval?: { source: string; kind: string; score: number; title?: string | null };
  createdAt: string;
}

type StoredDetails = { suggestions?: ReplyEvent['suggestions']; retrieval?: ReplyEvent['retrieval'] } | null;

export function toReplyEvent(message: Message): ReplyEvent {
  const details = message.details as StoredDetails;
  return {
    messageId: message.id,
    replyTo: message.replyToId,
    conversationId: message.conversationId,
    text: message.text,
    source: message.source ?? (message.role === 'agent' ? 'agent' : 'intent'),
    ...(message.intent ? { intent: message.intent } : {}),
    ...(message.confidence !== null ? { confidence: message.confidence } : {}),
    ...(details?.suggestions?.length ? { suggestions: details.suggestions } : {}),
    ...(details?.retrieval ? { retrieval: details.retrieval } : {}),
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
}

export function toHistoryEntry(message: Message): HistoryEntry {
  const details = message.details as StoredDetails;
  return {
    messageId: message.id,
    role: message.role,
    text: message.text,
    createdAt: message.createdAt.toISOString(),
    ...(message.source ? { source: message.source } : {}),
    ...(message.intent ? { intent: message.intent } : {}),
    ...(message.confidence !== null ? { confidence: message.confidence } : {}),
    ...(details?.suggestions?.length ? { suggestions: details.suggestions } : {}),
  };
}
