import { parseFormState } from '../dialogue/policy.ts';
import type { Entity } from '../entities/index.ts';
import type { Message } from '../generated/prisma/client.ts';
import type { WorkspaceStore } from '../store/workspace-store.ts';
import { conversationCustomer } from '../store/chat-store.ts';
import type { VerifiedCustomer } from '../identity/customer-token.ts';
import { richField, type RichNode } from '../protocol/rich-text.ts';

/** A message as agents see it: everything the bot knew when it answered. */
export interface MessageView {
  messageId: string;
  conversationId: string;
  role: 'visitor' | 'bot' | 'agent';
  text: string;
  /** The bot's or agent's text in the Markdown subset, when it has formatting (src/protocol/rich-text.ts); never a visitor's. */
  rich?: RichNode[];
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
    /** The action the bot ran for this reply: what it asked, what came back or why nothing did, how long it took. */
    action?: {
      name: string;
      slots?: Record<string, unknown>;
      confirmed?: boolean;
      ok: boolean;
      response?: string;
      template?: string;
      reason?: string;
      attempts: number;
      latencyMs: number;
    };
  };
  /** What was found in a visitor message: numbers, amounts, dates, contacts, the catalogue's types. */
  entities?: Entity[];
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
    ...richField(message),
    createdAt: message.createdAt.toISOString(),
    replyTo: message.replyToId,
    ...(message.source ? { source: message.source } : {}),
    ...(message.intent ? { intent: message.intent } : {}),
    ...(message.confidence !== null ? { confidence: message.confidence } : {}),
    ...(message.modelVersionId ? { modelVersion: { id: message.modelVersionId, name: withIncludes.modelVersion?.name ?? names.modelVersion ?? null } } : {}),
    ...(message.latencyMs !== null ? { latencyMs: Math.round(message.latencyMs * 10) / 10 } : {}),
    ...(message.agentId ? { agent: { id: message.agentId, name: withIncludes.agent?.name ?? names.agent ?? null } } : {}),
    ...(details ? { details } : {}),
    ...(Array.isArray(message.entities) && message.entities.length > 0 ? { entities: message.entities as unknown as Entity[] } : {}),
    ...(withIncludes.feedback ? { feedback: { rating: withIncludes.feedback.rating, at: withIncludes.feedback.updatedAt.toISOString() } } : {}),
    ...(withIncludes.label
      ? { label: { intent: withIncludes.label.intent, origin: withIncludes.label.origin, at: withIncludes.label.updatedAt.toISOString(), agent: withIncludes.label.agent ?? null } }
      : {}),
  };
}

/** `lowConfidence`: the confidence below which a bot answer is flagged, as in the conversation summaries. */
export function toTranscriptView(conversation: TranscriptRow, lowConfidence: number) {
  return {
    id: conversation.id,
    status: conversation.status,
    assignee: conversation.assignee,
    createdAt: conversation.createdAt.toISOString(),
    updatedAt: conversation.updatedAt.toISOString(),
    waitingSince: conversation.waitingSince?.toISOString() ?? null,
    resolvedAt: conversation.resolvedAt?.toISOString() ?? null,
    csat: conversation.csat,
    lowConfidence,
    // The same shape as in summaries: the bot's intents up to `at` that no agent corrected are confirmed.
    reviewed: conversation.reviewedAt ? { at: conversation.reviewedAt.toISOString(), by: conversation.reviewedBy } : null,
    visitor: toVisitorView(conversation),
    /** The form the bot is filling (slots so far, what it asks or asks to confirm); null when none is open. */
    form: parseFormState(conversation.form) ?? null,
    messages: conversation.messages.map((message) => toMessageView(message)),
  };
}

/** Who the agent talks to, as far as the widget and the host page told (null where unknown). */
export interface VisitorView {
  name: string | null;
  email: string | null;
  /** The language the visitor's client sent, else the one the bot last answered in. */
  language: string | null;
  /** The page (origin and path) the visitor was on at the latest connection that wrote. */
  page: string | null;
  /** Browser and system in short ("Chrome 131 on Windows"); `userAgent` is the whole header. */
  browser: string | null;
  userAgent: string | null;
  /** The signed-in customer, verified by the shop's token (unlike `name` and `email`, which the page only says). */
  customer: VerifiedCustomer | null;
  /** The address the visitor left when nobody was available: agents' replies are e-mailed there too. */
  followupEmail: string | null;
}

function toVisitorView(conversation: TranscriptRow): VisitorView {
  const answeredIn = conversation.messages.findLast((message) => typeof (message.details as { language?: unknown } | null)?.language === 'string');
  return {
    name: conversation.visitor.name,
    email: conversation.visitor.email,
    language: conversation.language ?? ((answeredIn?.details as { language?: string } | undefined)?.language ?? null),
    page: conversation.page,
    browser: conversation.userAgent ? describeBrowser(conversation.userAgent) : null,
    userAgent: conversation.userAgent,
    customer: conversationCustomer(conversation),
    followupEmail: conversation.followupEmail,
  };
}

// First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
const BROWSERS: Array<[name: string, pattern: RegExp]> = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ['Opera', /\b(?:OPR|Opera)\/(\d+)/],
  ['Samsung Internet', /\bSamsungBrowser\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Headless Chrome', /\bHeadlessChrome\/(\d+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//],
];
const SYSTEMS: Array<[name: string, pattern: RegExp]> = [
  ['Windows', /\bWindows\b/],
  ['iOS', /\b(?:iPhone|iPad|iPod)\b/],
  ['Android', /\bAndroid\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['macOS', /\bMac OS X\b/],
  ['Linux', /\bLinux\b/],
];

/** "Chrome 131 on Windows" from a user agent header; an unknown one is shown cut to 60 characters. */
export function describeBrowser(userAgent: string): string {
  const browser = BROWSERS.map(([name, pattern]) => [name, pattern.exec(userAgent)?.[1]] as const).find(([, version]) => version !== undefined);
  const system = SYSTEMS.find(([, pattern]) => pattern.test(userAgent))?.[0];
  if (!browser) return userAgent.length > 60 ? `${userAgent.slice(0, 59)}…` : userAgent;
  return `${browser[0]} ${browser[1]}${system ? ` on ${system}` : ''}`;
}

export type TranscriptView = ReturnType<typeof toTranscriptView>;

function pickDetails(value: unknown): MessageView['details'] | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const details: NonNullable<MessageView['details']> = {};
  if (Array.isArray(raw.suggestions) && raw.suggestions.length > 0) details.suggestions = raw.suggestions as NonNullable<MessageView['details']>['suggestions'];
  if (raw.retrieval && typeof raw.retrieval === 'object') details.retrieval = raw.retrieval as NonNullable<MessageView['details']>['retrieval'];
  if (Array.isArray(raw.ranking) && raw.ranking.length > 0) details.ranking = raw.ranking as NonNullable<MessageView['details']>['ranking'];
  if (raw.action && typeof raw.action === 'object') details.action = raw.action as NonNullable<MessageView['details']>['action'];
  return Object.keys(details).length > 0 ? details : undefined;
}
