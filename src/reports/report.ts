import { redact } from '../corpus/redact.ts';
import { OUT_OF_SCOPE } from '../nlu/types.ts';
import type { ConversationCounts, Durations, MessageCounts, ReportGrouping, ReportRange, ReportStore, UnansweredRequest } from '../store/report-store.ts';
import type { ReportRequest } from './query.ts';

export type { ReportGrouping, Durations };

/** What a report says of a group of conversations and messages, or of the whole range. */
export interface ReportFigures {
  /** Conversations started in the range (in a group by intent or model version: those it answered in). */
  conversations: number;
  /** Visitor messages written in the range (by intent or model version: those the bot answered with it). */
  visitorMessages: number;
  botReplies: number;
  agentMessages: number;
  /** Conversations that never reached a person, and their share of `conversations`. */
  contained: number;
  containment: number | null;
  /** The bot's handoffs, clarifications and retrieval answers, and their shares of `botReplies`. */
  handoffReplies: number;
  handoffRate: number | null;
  clarifications: number;
  clarificationRate: number | null;
  retrievals: number;
  retrievalRate: number | null;
  /** Visitors' thumbs given in the range, on the bot's and agents' messages. */
  thumbsUp: number;
  thumbsDown: number;
  /** Visitor messages the bot could not answer (a clarification, a handoff without an intent), and those it answered with a confidence below 0.5. */
  unanswered: number;
  lowConfidence: number;
  /** End-of-chat scores (1–5) of the conversations: how many, their mean, and how many of each score. */
  csat: { responses: number; average: number | null; distribution: [number, number, number, number, number] };
  /** Seconds from the bot's handoff to an agent's first message, and to the resolution. */
  firstResponseSeconds: Durations;
  resolutionSeconds: Durations;
}

export interface ReportGroup extends ReportFigures {
  /** The group's value: a UTC date (a week's Monday), an intent, a model version's id, a language; null: none. */
  key: string | null;
  /** For people: the model version's name, "(no intent)", "(unknown)", … */
  label: string;
}

/** A request the bot could not answer or answered unsure, redacted; texts that differ only in digits count as one. */
export interface TopRequest {
  text: string;
  count: number;
  /** Answered with a clarification or handed over without an intent. */
  unanswered: number;
  /** Answered with a confidence below 0.5. */
  lowConfidence: number;
  lastAt: string;
}

export interface ModelAccuracy {
  /** The version serving visitors now; null before the first model. */
  version: { id: string; name: string } | null;
  /** Labelled visitor messages of the range that this version answered: agents' corrections and imported labels… */
  labelled: number;
  /** … of which the bot's intent was the label's (a fallback predicts out of scope) … */
  correct: number;
  /** … and messages of reviewed conversations whose intent the reviewer confirmed by leaving it. */
  confirmed: number;
  /** (correct + confirmed) / (labelled + confirmed); null without any. */
  accuracy: number | null;
}

export interface Report {
  from: string;
  to: string;
  groupBy: ReportGrouping;
  generatedAt: string;
  total: ReportFigures;
  groups: ReportGroup[];
  model: ModelAccuracy;
  /** Requests of the range the bot could not answer, or answered unsure; `top` groups the newest `considered` of them. */
  requests: { unanswered: number; lowConfidence: number; considered: number; top: TopRequest[] };
}

const DAY_MS = 86_400_000;
/** Candidates read from the database for the top requests (redaction may merge some), among the newest requests. */
const REQUEST_CANDIDATES = 200;
const REQUEST_SAMPLE = 10_000;
const TOP_REQUESTS = 20;

/**
 * The desk's report over a time range: how much the bot contained, how often it fell back or handed
 * over, what visitors thought, how fast agents answered, how right the active model is on labelled
 * traffic, and what visitors asked that the bot could not answer. Every figure is aggregated by
 * Postgres (src/store/report-store.ts); texts leave here redacted.
 */
export class DeskReports {
  constructor(
    private readonly store: ReportStore,
    private readonly options: { now?: () => Date } = {},
  ) {}

  async report(request: Pick<ReportRequest, 'range' | 'groupBy'>): Promise<Report> {
    const { range, groupBy } = request;
    const [messages, conversations, requests, model] = await Promise.all([
      this.store.messageCounts(range, groupBy),
      this.store.conversationCounts(range, groupBy),
      this.store.unansweredRequests(range, { limit: REQUEST_CANDIDATES, sample: REQUEST_SAMPLE }),
      this.accuracy(range),
    ]);
    const keys = groupKeys(groupBy, range, [...messages.groups.keys(), ...conversations.groups.keys()]);
    const names = groupBy === 'modelVersion' ? await this.store.versionNames(keys.filter((key): key is string => key !== null)) : new Map<string, string>();
    const groups = keys.map((key) => ({
      key,
      label: groupLabel(groupBy, key, names),
      ...figures(messages.groups.get(key), conversations.groups.get(key)),
    }));
    if (groupBy !== 'day' && groupBy !== 'week') groups.sort((a, b) => Number(a.key === null) - Number(b.key === null) || b.conversations - a.conversations || b.visitorMessages - a.visitorMessages || a.label.localeCompare(b.label));
    const total = figures(messages.total, conversations.total);
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      groupBy,
      generatedAt: (this.options.now?.() ?? new Date()).toISOString(),
      total,
      groups,
      model,
      requests: {
        unanswered: total.unanswered,
        lowConfidence: total.lowConfidence,
        considered: Math.min(total.unanswered + total.lowConfidence, REQUEST_SAMPLE),
        top: topRequests(requests),
      },
    };
  }

  private async accuracy(range: ReportRange): Promise<ModelAccuracy> {
    const version = await this.store.activeVersion();
    const predictions = version ? await this.store.labelledPredictions(range, version.id, OUT_OF_SCOPE) : { labelled: 0, correct: 0, confirmed: 0 };
    const checked = predictions.labelled + predictions.confirmed;
    return { version, ...predictions, accuracy: checked === 0 ? null : round((predictions.correct + predictions.confirmed) / checked, 4) };
  }
}

function figures(messages: MessageCounts | undefined, conversations: ConversationCounts | undefined): ReportFigures {
  const m = messages ?? { visitorMessages: 0, botReplies: 0, agentMessages: 0, handoffReplies: 0, clarifications: 0, retrievals: 0, thumbsUp: 0, thumbsDown: 0, unanswered: 0, lowConfidence: 0 };
  const c = conversations ?? { conversations: 0, contained: 0, csatResponses: 0, csatAverage: null, csatDistribution: [0, 0, 0, 0, 0] as ConversationCounts['csatDistribution'], firstResponse: none(), resolution: none() };
  return {
    conversations: c.conversations,
    visitorMessages: m.visitorMessages,
    botReplies: m.botReplies,
    agentMessages: m.agentMessages,
    contained: c.contained,
    containment: share(c.contained, c.conversations),
    handoffReplies: m.handoffReplies,
    handoffRate: share(m.handoffReplies, m.botReplies),
    clarifications: m.clarifications,
    clarificationRate: share(m.clarifications, m.botReplies),
    retrievals: m.retrievals,
    retrievalRate: share(m.retrievals, m.botReplies),
    thumbsUp: m.thumbsUp,
    thumbsDown: m.thumbsDown,
    unanswered: m.unanswered,
    lowConfidence: m.lowConfidence,
    csat: { responses: c.csatResponses, average: c.csatAverage === null ? null : round(c.csatAverage, 2), distribution: c.csatDistribution },
    firstResponseSeconds: seconds(c.firstResponse),
    resolutionSeconds: seconds(c.resolution),
  };
}

function none(): Durations {
  return { count: 0, median: null, p90: null };
}

function seconds(durations: Durations): Durations {
  return { count: durations.count, median: durations.median === null ? null : round(durations.median, 1), p90: durations.p90 === null ? null : round(durations.p90, 1) };
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : round(part / whole, 4);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Every day (or week, from its Monday) of the range in order, empty ones included; else the groups found. */
function groupKeys(groupBy: ReportGrouping, range: ReportRange, found: Array<string | null>): Array<string | null> {
  if (groupBy !== 'day' && groupBy !== 'week') return [...new Set(found)];
  const start = new Date(Date.UTC(range.from.getUTCFullYear(), range.from.getUTCMonth(), range.from.getUTCDate()));
  // date_trunc('week') starts weeks on Monday.
  if (groupBy === 'week') start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  const step = groupBy === 'week' ? 7 * DAY_MS : DAY_MS;
  const keys: string[] = [];
  for (let at = start.getTime(); at < range.to.getTime(); at += step) keys.push(new Date(at).toISOString().slice(0, 10));
  return keys;
}

function groupLabel(groupBy: ReportGrouping, key: string | null, versionNames: Map<string, string>): string {
  if (key !== null) return groupBy === 'modelVersion' ? (versionNames.get(key) ?? key) : key;
  return { day: '', week: '', intent: '(no intent)', modelVersion: '(no model)', language: '(unknown)' }[groupBy];
}

/**
 * Redacts the candidate texts (digits were made 0 for grouping, and show as #), merges those that
 * redaction or case made equal, and keeps the most frequent.
 */
function topRequests(candidates: UnansweredRequest[]): TopRequest[] {
  const merged = new Map<string, TopRequest & { variants: Map<string, number> }>();
  for (const candidate of candidates) {
    const text = redact(candidate.text).replace(/\d/g, '#').replace(/\s+/g, ' ').trim();
    const key = text.toLowerCase().replace(/[\s\p{P}]+$/u, '');
    const entry = merged.get(key) ?? { text, count: 0, unanswered: 0, lowConfidence: 0, lastAt: candidate.lastAt.toISOString(), variants: new Map<string, number>() };
    entry.count += candidate.count;
    entry.unanswered += candidate.unanswered;
    entry.lowConfidence += candidate.count - candidate.unanswered;
    if (candidate.lastAt.toISOString() > entry.lastAt) entry.lastAt = candidate.lastAt.toISOString();
    entry.variants.set(text, (entry.variants.get(text) ?? 0) + candidate.count);
    merged.set(key, entry);
  }
  return [...merged.values()]
    .sort((a, b) => b.count - a.count || b.lastAt.localeCompare(a.lastAt))
    .slice(0, TOP_REQUESTS)
    .map(({ variants, ...request }) => ({ ...request, text: [...variants].sort((a, b) => b[1] - a[1])[0]?.[0] ?? request.text }));
}
