import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { Prisma } from './prisma.ts';
import { guarded, isUniqueViolation } from './errors.ts';
import type { Message } from '../generated/prisma/client.ts';
import type { ConversationStatus } from '../generated/prisma/enums.ts';

export type { ConversationStatus };

export interface ConversationSnapshot {
  status: ConversationStatus;
  assigneeId: string | null;
}

export interface ConversationFilters {
  status?: ConversationStatus[];
  /** Conversations active in [from, to]: started before `to` and last active after `from`. */
  from?: Date;
  to?: Date;
  /** Only conversations with a bot reply whose intent confidence is below the threshold. */
  lowConfidence?: boolean;
  /** Only conversations where the bot fell back (retrieval answer or clarification). */
  fallback?: boolean;
  /** Only conversations with a thumbs-down or a CSAT score of 2 or less. */
  negativeFeedback?: boolean;
  /** Only conversations that reached a person (handoff reply, agent message or an assignee). */
  handedOver?: boolean;
  assigneeId?: string;
  /** Full-text search over every message text. */
  q?: string;
  limit?: number;
  /** Keyset pagination: the `cursor` of the last row of the previous page. */
  cursor?: string;
}

export interface ConversationSummary {
  id: string;
  status: ConversationStatus;
  assignee: { id: string; name: string } | null;
  createdAt: string;
  updatedAt: string;
  waitingSince: string | null;
  resolvedAt: string | null;
  csat: number | null;
  /** The last transcript review: the bot's intents up to `at` that no agent corrected are confirmed. */
  reviewed: { at: string; by: { id: string; name: string } | null } | null;
  messageCount: number;
  /** The lowest intent confidence among the bot's replies (retrieval scores excluded). */
  minConfidence: number | null;
  flags: { lowConfidence: boolean; fallback: boolean; negativeFeedback: boolean; handedOver: boolean };
  last: { role: string; text: string; createdAt: string } | null;
  /** Search hits: the first matching message, its text cut into plain and matching segments. */
  match?: { messageId: string; segments: Array<{ text: string; hit: boolean }> };
}

export interface ConversationPage {
  conversations: ConversationSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class ConversationNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor() {
    super('No such conversation.');
  }
}

export class MessageNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(detail = 'No such visitor message.') {
    super(detail);
  }
}

/** Thrown by an `authorize` callback to refuse a write inside the store's transaction. */
export class WriteRefusedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export const DEFAULT_LOW_CONFIDENCE = 0.5;
const MAX_PAGE = 200;
// Replaced by spaces in the texts before highlighting, so that only the server's own markers become highlights.
const HIT_START = '\u0002';
const HIT_END = '\u0003';
// One cover around the first hit: a short chat message shows whole, a long one from its hit on.
const HEADLINE_OPTIONS = `StartSel=${HIT_START}, StopSel=${HIT_END}, MaxWords=30, MinWords=12`;
// Scripts written without spaces between words: the `simple` text-search parser sees a whole
// sentence as one word there, so a search in them is a substring match instead.
const UNSEGMENTED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

type SearchPlan = { kind: 'fts'; tsquery: string } | { kind: 'substring'; pattern: string; needle: string } | null;

/**
 * Turns what an agent typed into a search: every word must occur, each as a word prefix
 * ("refund" finds "refunds"), in any language the `simple` parser splits on spaces. Only letters and
 * digits reach `to_tsquery`, so no input is a syntax error.
 */
export function searchPlan(q: string | undefined): SearchPlan {
  const trimmed = (q ?? '').normalize('NFKC').trim().slice(0, 200);
  if (trimmed === '') return null;
  if (UNSEGMENTED.test(trimmed)) {
    const needle = trimmed.toLowerCase();
    return { kind: 'substring', pattern: `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, needle };
  }
  const words = (trimmed.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 12);
  if (words.length === 0) return null;
  return { kind: 'fts', tsquery: words.map((word) => `${word}:*`).join(' & ') };
}

/** Queue, transcripts, search, state changes, agent messages and corrections, in Postgres. */
export class WorkspaceStore {
  constructor(
    private readonly prisma: PrismaClient,
    /** Bot answers less confident than this are flagged `lowConfidence`. */
    readonly lowConfidence = DEFAULT_LOW_CONFIDENCE,
  ) {}

  async snapshot(conversationId: string): Promise<ConversationSnapshot | null> {
    return guarded(() => this.prisma.conversation.findUnique({ where: { id: conversationId }, select: { status: true, assigneeId: true } }));
  }

  /**
   * Writes a state change only if the conversation is still in `expected` (optimistic
   * concurrency: two agents taking over at once, the bot handing over meanwhile). False = it moved.
   */
  async applyTransition(
    conversationId: string,
    expected: ConversationSnapshot,
    next: { status: ConversationStatus; assigneeId: string | null; waitingSince: 'now' | 'keep' | 'clear'; resolvedAt: 'now' | 'keep' | 'clear' },
  ): Promise<boolean> {
    const now = new Date();
    const stamp = (mode: 'now' | 'keep' | 'clear') => (mode === 'now' ? now : mode === 'clear' ? null : undefined);
    const waitingSince = stamp(next.waitingSince);
    const resolvedAt = stamp(next.resolvedAt);
    const result = await guarded(() =>
      this.prisma.conversation.updateMany({
        where: { id: conversationId, status: expected.status, assigneeId: expected.assigneeId },
        data: {
          status: next.status,
          assigneeId: next.assigneeId,
          updatedAt: now,
          ...(waitingSince !== undefined ? { waitingSince } : {}),
          ...(resolvedAt !== undefined ? { resolvedAt } : {}),
        },
      }),
    );
    return result.count === 1;
  }

  /**
   * Stores an agent's message. `authorize` sees the conversation locked (SELECT … FOR UPDATE), so
   * nobody can take it over or hand it back between the check and the write. The reply is linked
   * to the newest visitor message that had no reply yet. `clientId` makes a resend idempotent.
   */
  async appendAgentMessage(
    input: { conversationId: string; agentId: string; text: string; clientId?: string | undefined },
    authorize: (current: ConversationSnapshot) => void,
  ): Promise<{ message: Message; created: boolean }> {
    const clientId = input.clientId === undefined ? null : `agent:${input.clientId}`;
    try {
      return await guarded(() =>
        this.prisma.$transaction(async (tx) => {
          const [current] = await tx.$queryRaw<ConversationSnapshot[]>`
            SELECT status::text AS status, "assigneeId" FROM "Conversation" WHERE id = ${input.conversationId}::uuid FOR UPDATE`;
          if (!current) throw new ConversationNotFoundError();
          if (clientId !== null) {
            const existing = await tx.message.findUnique({ where: { conversationId_clientId: { conversationId: input.conversationId, clientId } } });
            if (existing) return { message: existing, created: false };
          }
          authorize(current);
          const [unanswered] = await tx.$queryRaw<Array<{ id: string }>>`
            SELECT m.id FROM "Message" m
            WHERE m."conversationId" = ${input.conversationId}::uuid AND m.role = 'visitor'
              AND NOT EXISTS (SELECT 1 FROM "Message" r WHERE r."replyToId" = m.id)
            ORDER BY m.seq DESC LIMIT 1`;
          const message = await tx.message.create({
            data: {
              id: randomUUID(),
              conversationId: input.conversationId,
              role: 'agent',
              source: 'agent',
              text: input.text,
              agentId: input.agentId,
              clientId,
              replyToId: unanswered?.id ?? null,
            },
          });
          await tx.conversation.update({ where: { id: input.conversationId }, data: { updatedAt: message.createdAt } });
          return { message, created: true };
        }),
      );
    } catch (error) {
      if (clientId !== null && isUniqueViolation(error)) {
        const winner = await guarded(() => this.prisma.message.findUnique({ where: { conversationId_clientId: { conversationId: input.conversationId, clientId } } }));
        if (winner) return { message: winner, created: false };
      }
      throw error;
    }
  }

  /** Waiting conversations, longest wait first, and conversations agents hold now. */
  async queue(limit = MAX_PAGE): Promise<{ waiting: ConversationSummary[]; active: ConversationSummary[] }> {
    return guarded(async () => {
      const waiting = await this.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "Conversation" WHERE status = 'waiting_for_agent'
        ORDER BY COALESCE("waitingSince", "updatedAt") ASC, id ASC LIMIT ${limit}`;
      const active = await this.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "Conversation" WHERE status = 'agent' ORDER BY "updatedAt" DESC, id DESC LIMIT ${limit}`;
      const summaries = await this.summaries([...waiting, ...active].map((row) => row.id));
      const byId = new Map(summaries.map((summary) => [summary.id, summary]));
      const pick = (rows: Array<{ id: string }>) => rows.map((row) => byId.get(row.id)).filter((summary): summary is ConversationSummary => summary !== undefined);
      return { waiting: pick(waiting), active: pick(active) };
    });
  }

  async summary(conversationId: string): Promise<ConversationSummary | null> {
    return (await this.summariesOf([conversationId]))[0] ?? null;
  }

  /** The summaries of these conversations in this order, in one query; those that do not exist are left out. */
  async summariesOf(conversationIds: readonly string[]): Promise<ConversationSummary[]> {
    return guarded(() => this.summaries([...conversationIds]));
  }

  /** Transcript review: filtered, searched, newest activity first, keyset-paginated. */
  async listConversations(filters: ConversationFilters = {}): Promise<ConversationPage> {
    const limit = Math.min(Math.max(1, Math.trunc(filters.limit ?? 50)), MAX_PAGE);
    const plan = searchPlan(filters.q);
    const conditions: Prisma.Sql[] = [];
    if (filters.status && filters.status.length > 0) {
      conditions.push(Prisma.sql`c.status IN (${Prisma.join(filters.status.map((status) => Prisma.sql`${status}::"ConversationStatus"`))})`);
    }
    if (filters.from) conditions.push(Prisma.sql`c."updatedAt" >= ${filters.from}`);
    if (filters.to) conditions.push(Prisma.sql`c."createdAt" <= ${filters.to}`);
    if (filters.assigneeId) conditions.push(Prisma.sql`c."assigneeId" = ${filters.assigneeId}::uuid`);
    if (filters.lowConfidence) {
      conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "Message" m WHERE m."conversationId" = c.id AND m.role = 'bot'
        AND m.source IS DISTINCT FROM 'retrieval' AND m.confidence < ${this.lowConfidence})`);
    }
    if (filters.fallback) {
      conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "Message" m WHERE m."conversationId" = c.id AND m.source IN ('retrieval', 'clarify'))`);
    }
    if (filters.negativeFeedback) {
      conditions.push(Prisma.sql`(c.csat <= 2 OR EXISTS (SELECT 1 FROM "Message" m JOIN "Feedback" f ON f."messageId" = m.id
        WHERE m."conversationId" = c.id AND f.rating = 'down'))`);
    }
    if (filters.handedOver) {
      conditions.push(Prisma.sql`(c."assigneeId" IS NOT NULL OR c.status IN ('waiting_for_agent', 'agent') OR EXISTS (SELECT 1 FROM "Message" m
        WHERE m."conversationId" = c.id AND (m.source = 'handoff' OR m.role = 'agent')))`);
    }
    if (plan?.kind === 'fts') {
      conditions.push(Prisma.sql`c.id IN (SELECT m."conversationId" FROM "Message" m
        WHERE to_tsvector('simple'::regconfig, m."text") @@ to_tsquery('simple'::regconfig, ${plan.tsquery}))`);
    } else if (plan?.kind === 'substring') {
      conditions.push(Prisma.sql`c.id IN (SELECT m."conversationId" FROM "Message" m WHERE m."text" ILIKE ${plan.pattern})`);
    }
    const cursor = decodeCursor(filters.cursor);
    if (cursor) conditions.push(Prisma.sql`(c."updatedAt", c.id) < (${cursor.updatedAt}, ${cursor.id}::uuid)`);
    const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;

    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: string; updatedAt: Date }>>`
        SELECT c.id, c."updatedAt" FROM "Conversation" c ${where}
        ORDER BY c."updatedAt" DESC, c.id DESC LIMIT ${limit + 1}`;
      const page = rows.slice(0, limit);
      const summaries = await this.summaries(page.map((row) => row.id));
      if (plan) await this.attachMatches(summaries, plan);
      const last = page.at(-1);
      return { conversations: summaries, nextCursor: rows.length > limit && last ? encodeCursor(last.updatedAt, last.id) : null };
    });
  }

  /** One conversation with every message, its feedback, correction, model version and author. */
  async transcript(conversationId: string, limit = 2000) {
    return guarded(() =>
      this.prisma.conversation.findUnique({
        where: { id: conversationId },
        include: {
          assignee: { select: { id: true, name: true, email: true } },
          reviewedBy: { select: { id: true, name: true } },
          visitor: { select: { name: true, email: true } },
          messages: {
            orderBy: { seq: 'asc' },
            take: limit,
            include: {
              feedback: { select: { rating: true, updatedAt: true } },
              label: { select: { intent: true, origin: true, updatedAt: true, agent: { select: { id: true, name: true } } } },
              modelVersion: { select: { id: true, name: true } },
              agent: { select: { id: true, name: true } },
            },
          },
        },
      }),
    );
  }

  async message(messageId: string): Promise<Message | null> {
    return guarded(() => this.prisma.message.findUnique({ where: { id: messageId } }));
  }

  /** Records (or replaces) the true intent of a visitor message. */
  async setLabel(input: { messageId: string; intent: string; agentId: string | null; origin?: string }) {
    return guarded(async () => {
      const message = await this.prisma.message.findUnique({ where: { id: input.messageId }, select: { role: true } });
      if (!message || message.role !== 'visitor') throw new MessageNotFoundError();
      const origin = input.origin ?? 'agent';
      return this.prisma.intentLabel.upsert({
        where: { messageId: input.messageId },
        create: { id: randomUUID(), messageId: input.messageId, intent: input.intent, agentId: input.agentId, origin },
        update: { intent: input.intent, agentId: input.agentId, origin },
      });
    });
  }

  async removeLabel(messageId: string): Promise<boolean> {
    return guarded(async () => (await this.prisma.intentLabel.deleteMany({ where: { messageId } })).count > 0);
  }

  /**
   * Marks a conversation's transcript reviewed by an agent, now (the database clock, which also
   * stamps the messages, so "answered before the review" compares like with like). Reviewing again
   * moves the mark to now. False when there is no such conversation.
   */
  async markReviewed(conversationId: string, agentId: string): Promise<boolean> {
    return guarded(async () => {
      const count = await this.prisma.$executeRaw`
        UPDATE "Conversation" SET "reviewedAt" = now(), "reviewedById" = ${agentId}::uuid WHERE id = ${conversationId}::uuid`;
      return count === 1;
    });
  }

  /** The newest corrections, for the console's review of what agents taught the bot. */
  async recentLabels(limit = 100) {
    return guarded(() =>
      this.prisma.intentLabel.findMany({
        orderBy: { updatedAt: 'desc' },
        take: Math.min(Math.max(1, limit), 1000),
        include: { message: { select: { id: true, text: true, conversationId: true } }, agent: { select: { id: true, name: true } } },
      }),
    );
  }

  private async summaries(ids: string[]): Promise<ConversationSummary[]> {
    if (ids.length === 0) return [];
    const rows = await this.prisma.$queryRaw<SummaryRow[]>`
      SELECT c.id, c.status::text AS status, c."assigneeId", a.name AS "assigneeName", c."createdAt", c."updatedAt",
             c."waitingSince", c."resolvedAt", c.csat, c."reviewedAt", c."reviewedById", r.name AS "reviewerName", s."messageCount", s."minConfidence", s.fallback, s."handedOver", s.negative,
             l.role::text AS "lastRole", l."text" AS "lastText", l."createdAt" AS "lastAt"
      FROM "Conversation" c
      LEFT JOIN "Agent" a ON a.id = c."assigneeId"
      LEFT JOIN "Agent" r ON r.id = c."reviewedById"
      LEFT JOIN LATERAL (
        SELECT count(*)::int AS "messageCount",
               min(m.confidence) FILTER (WHERE m.role = 'bot' AND m.source IS DISTINCT FROM 'retrieval') AS "minConfidence",
               COALESCE(bool_or(m.source IN ('retrieval', 'clarify')), false) AS fallback,
               COALESCE(bool_or(m.source = 'handoff' OR m.role = 'agent'), false) AS "handedOver",
               COALESCE(bool_or(f.rating = 'down'), false) AS negative
        FROM "Message" m LEFT JOIN "Feedback" f ON f."messageId" = m.id
        WHERE m."conversationId" = c.id
      ) s ON true
      LEFT JOIN LATERAL (
        SELECT m.role, m."text", m."createdAt" FROM "Message" m WHERE m."conversationId" = c.id ORDER BY m.seq DESC LIMIT 1
      ) l ON true
      WHERE c.id IN (${Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`))})`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id)).filter((row): row is SummaryRow => row !== undefined).map((row) => this.toSummary(row));
  }

  private toSummary(row: SummaryRow): ConversationSummary {
    const minConfidence = row.minConfidence === null ? null : Number(row.minConfidence);
    return {
      id: row.id,
      status: row.status,
      assignee: row.assigneeId ? { id: row.assigneeId, name: row.assigneeName ?? '' } : null,
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
      waitingSince: row.waitingSince ? iso(row.waitingSince) : null,
      resolvedAt: row.resolvedAt ? iso(row.resolvedAt) : null,
      csat: row.csat,
      reviewed: row.reviewedAt ? { at: iso(row.reviewedAt), by: row.reviewedById ? { id: row.reviewedById, name: row.reviewerName ?? '' } : null } : null,
      messageCount: Number(row.messageCount ?? 0),
      minConfidence,
      flags: {
        lowConfidence: minConfidence !== null && minConfidence < this.lowConfidence,
        fallback: Boolean(row.fallback),
        negativeFeedback: Boolean(row.negative) || (row.csat !== null && row.csat <= 2),
        handedOver: Boolean(row.handedOver) || row.assigneeId !== null || row.status === 'waiting_for_agent' || row.status === 'agent',
      },
      last: row.lastText !== null && row.lastRole !== null && row.lastAt ? { role: row.lastRole, text: row.lastText.slice(0, 280), createdAt: iso(row.lastAt) } : null,
    };
  }

  private async attachMatches(summaries: ConversationSummary[], plan: NonNullable<SearchPlan>): Promise<void> {
    if (summaries.length === 0) return;
    const ids = Prisma.join(summaries.map((summary) => Prisma.sql`${summary.id}::uuid`));
    const byConversation = new Map<string, ConversationSummary['match']>();
    if (plan.kind === 'fts') {
      const rows = await this.prisma.$queryRaw<Array<{ conversationId: string; id: string; headline: string }>>`
        SELECT DISTINCT ON (m."conversationId") m."conversationId", m.id,
               ts_headline('simple'::regconfig, translate(m."text", ${HIT_START + HIT_END}, '  '), to_tsquery('simple'::regconfig, ${plan.tsquery}), ${HEADLINE_OPTIONS}) AS headline
        FROM "Message" m
        WHERE m."conversationId" IN (${ids})
          AND to_tsvector('simple'::regconfig, m."text") @@ to_tsquery('simple'::regconfig, ${plan.tsquery})
        ORDER BY m."conversationId", m.seq`;
      for (const row of rows) byConversation.set(row.conversationId, { messageId: row.id, segments: headlineSegments(row.headline) });
    } else {
      const rows = await this.prisma.$queryRaw<Array<{ conversationId: string; id: string; text: string }>>`
        SELECT DISTINCT ON (m."conversationId") m."conversationId", m.id, m."text"
        FROM "Message" m WHERE m."conversationId" IN (${ids}) AND m."text" ILIKE ${plan.pattern}
        ORDER BY m."conversationId", m.seq`;
      for (const row of rows) byConversation.set(row.conversationId, { messageId: row.id, segments: substringSegments(row.text, plan.needle) });
    }
    for (const summary of summaries) {
      const match = byConversation.get(summary.id);
      if (match) summary.match = match;
    }
  }
}

interface SummaryRow {
  id: string;
  status: ConversationStatus;
  assigneeId: string | null;
  assigneeName: string | null;
  createdAt: Date;
  updatedAt: Date;
  waitingSince: Date | null;
  resolvedAt: Date | null;
  csat: number | null;
  reviewedAt: Date | null;
  reviewedById: string | null;
  reviewerName: string | null;
  messageCount: number | bigint | null;
  minConfidence: number | null;
  fallback: boolean | null;
  handedOver: boolean | null;
  negative: boolean | null;
  lastRole: string | null;
  lastText: string | null;
  lastAt: Date | null;
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** Splits a ts_headline result into plain and matching segments (no HTML ever leaves the store). */
export function headlineSegments(headline: string): Array<{ text: string; hit: boolean }> {
  const segments: Array<{ text: string; hit: boolean }> = [];
  let hit = false;
  let current = '';
  for (const char of headline) {
    if (char === HIT_START || char === HIT_END) {
      if (current) segments.push({ text: current, hit });
      current = '';
      hit = char === HIT_START;
    } else current += char;
  }
  if (current) segments.push({ text: current, hit });
  return segments;
}

function substringSegments(text: string, needle: string): Array<{ text: string; hit: boolean }> {
  const at = text.toLowerCase().indexOf(needle);
  if (at < 0) return [{ text: text.slice(0, 160), hit: false }];
  const start = Math.max(0, at - 60);
  const end = Math.min(text.length, at + needle.length + 60);
  return [
    { text: (start > 0 ? '…' : '') + text.slice(start, at), hit: false },
    { text: text.slice(at, at + needle.length), hit: true },
    { text: text.slice(at + needle.length, end) + (end < text.length ? '…' : ''), hit: false },
  ].filter((segment) => segment.text.length > 0);
}

function encodeCursor(updatedAt: Date, id: string): string {
  return Buffer.from(`${updatedAt.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { updatedAt: Date; id: string } | null {
  if (!cursor) return null;
  const [stamp, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const updatedAt = new Date(stamp ?? '');
  if (!id || Number.isNaN(updatedAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  return { updatedAt, id };
}
