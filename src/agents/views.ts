import type { Message } from '../generated/prisma/client.ts';
import type { WorkspaceStore } from '../store/workspace-store.ts';

/** A message as agents see it: everything the bot knew when it answered. */
export interface MessageView {
  messageId: string;
  conversationId: string;
  role: 'visitor' | 'bot' | 'agent';
  text: string;
  createdAt: string;
  replyTo: string | null;
  source?: string;
  intent?: string;
  confidence?: number;
  modelVersion?: { id: string; name: string | null };
  latencyMs?: number;
  agent?: { id: string; name: string | null };
  /** Clarification buttons, the retrieval hit, the model's top intents. */
  details?: {
    suggestions?: Array<{ intent: string; label: string }>;
    retrieval?: { source: string; kind: string; score: number; title?: string | null };
    ranking?: Array<{ intent: string; confidence: number }>;
  };
  /** The visitor's thumbs on a bot or agent message. */
  feedback?: { rating: 'up' | 'down'; at: string };
  /** An agent's correction of a visitor message's intent ("oos": out of scope). */
  label?: { intent: string; origin: string; at: string; agent: { id: string; name: string } | null };
}

type TranscriptRow = NonNullable<Awaited<ReturnType<WorkspaceStore['transcript']>>>;
type TranscriptMessage = TranscriptRow['messages'][number];

export function toMessageView(message: Message | TranscriptMessage, names: { modelVersion?: string | null; agent?: string | null } = {}): MessageView {
  const withIncludes = message as Partial<TranscriptMessage>;
  const details = pickDetails(message.details);
  return {
    messageId: message.id,
    conversationId: message.conversationId,
    role: message.role,
    text: message.text,
    createdAt: message.createdAt.toISOString(),
    replyTo: message.replyToId,
    ...(message.source ? { source: message.source } : {}),
    ...(message.intent ? { intent: message.intent } : {}),
    ...(message.confidence !== null ? { confidence: message.confidence } : {}),
    ...(message.modelVersionId ? { modelVersion: { id: message.modelVersionId, name: withIncludes.modelVersion?.name ?? names.modelVersion ?? null } } : {}),
    ...(message.latencyMs !== null ? { latencyMs: Math.round(message.latencyMs * 10) / 10 } : {}),
    ...(message.agentId ? { agent: { id: message.agentId, name: withIncludes.agent?.name ?? names.agent ?? null } } : {}),
    ...(details ? { details } : {}),
    ...(withIncludes.feedback ? { feedback: { rating: withIncludes.feedback.rating, at: withIncludes.feedback.updatedAt.toISOString() } } : {}),
    ...(withIncludes.label
      ? { label: { intent: withIncludes.label.intent, origin: withIncludes.label.origin, at: withIncludes.label.updatedAt.toISOString(), agent: withIncludes.label.agent ?? null } }
      : {}),
  };
}

export function toTranscriptView(conversation: TranscriptRow) {
  return {
    id: conversation.id,
    status: conversation.status,
    assignee: conversation.assignee,
    createdAt: conversation.createdAt.toISOString(),
    updatedAt: conversation.updatedAt.toISOString(),
    waitingSince: conversation.waitingSince?.toISOString() ?? null,
    resolvedAt: conversation.resolvedAt?.toISOString() ?? null,
    csat: conversation.csat,
    // The same shape as in summaries: the bot's intents up to `at` that no agent corrected are confirmed.
    reviewed: conversation.reviewedAt ? { at: conversation.reviewedAt.toISOString(), by: conversation.reviewedBy } : null,
    messages: conversation.messages.map((message) => toMessageView(message)),
  };
}

export type TranscriptView = ReturnType<typeof toTranscriptView>;

function pickDetails(value: unknown): MessageView['details'] | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const details: NonNullable<MessageView['details']> = {};
  if (Array.isArray(raw.suggestions) && raw.suggestions.length > 0) details.suggestions = raw.suggestions as NonNullable<MessageView['details']>['suggestions'];
  if (raw.retrieval && typeof raw.retrieval === 'object') details.retrieval = raw.retrieval as NonNullable<MessageView['details']>['retrieval'];
  if (Array.isArray(raw.ranking) && raw.ranking.length > 0) details.ranking = raw.ranking as NonNullable<MessageView['details']>['ranking'];
  return Object.keys(details).length > 0 ? details : undefined;
}
