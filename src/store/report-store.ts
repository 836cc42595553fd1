import type { PrismaClient } from './prisma.ts';
import { Prisma } from './prisma.ts';
import { guarded } from './errors.ts';
import { DEFAULT_LOW_CONFIDENCE } from './workspace-store.ts';

/** How a report is broken down (GET /api/agent/reports `groupBy`). */
export const REPORT_GROUPINGS = ['day', 'week', 'intent', 'modelVersion', 'language'] as const;
export type ReportGrouping = (typeof REPORT_GROUPINGS)[number];

/** A time range, `from` included, `to` excluded. */
export interface ReportRange {
  from: Date;
  to: Date;
}

/** What the messages written in the range add up to. */
export interface MessageCounts {
  /** Visitor messages; in a group by intent or model version, those the bot answered with it. */
  visitorMessages: number;
  botReplies: number;
  agentMessages: number;
  handoffReplies: number;
  clarifications: number;
  retrievals: number;
  /** Visitors' thumbs given in the range (on the bot's and agents' messages). */
  thumbsUp: number;
  thumbsDown: number;
  /** Bot replies to visitor messages it could not answer (a clarification, a handoff without an intent) … */
  unanswered: number;
  /** … or answered with a confidence below 0.5 (retrieval scores excluded). */
  lowConfidence: number;
}

/** Seconds: how many there are, their median and 90th percentile (interpolated); null when none. */
export interface Durations {
  count: number;
  median: number | null;
  p90: number | null;
}

/** What the conversations started in the range add up to. */
export interface ConversationCounts {
  conversations: number;
  /** Conversations that never reached a person: no handoff, no agent message, never assigned or waiting. */
  contained: number;
  csatResponses: number;
  csatAverage: number | null;
  /** How many conversations were rated 1, 2, 3, 4 and 5. */
  csatDistribution: [number, number, number, number, number];
  /** From the bot's first handoff to the first agent message after it. */
  firstResponse: Durations;
  /** From the bot's first handoff to the resolution, for resolved conversations an agent wrote in. */
  resolution: Durations;
}

/** The figures of every group (keyed by the group's value; null: none) and of the whole range. */
export interface Grouped<T> {
  total: T;
  groups: Map<string | null, T>;
}

/** A request the bot could not answer or answered unsure, grouped by its text (digits as 0), not redacted. */
export interface UnansweredRequest {
  text: string;
  count: number;
  /** Of `count`: answered with a clarification or a handoff without an intent; the rest had a confidence below 0.5. */
  unanswered: number;
  lastAt: Date;
}

/** The active model's predictions on the visitor messages of the range that carry a label. */
export interface LabelledPredictions {
  /** IntentLabel rows (agents' corrections, imports) on messages the version answered. */
  labelled: number;
  /** Of those, where the bot's intent was the label (a reply without an intent predicted out of scope). */
  correct: number;
  /** Messages of reviewed conversations whose intent the reviewer left uncorrected: right by the reviewer's word. */
  confirmed: number;
}

const UTC_DATE = Prisma.sql`'YYYY-MM-DD'`;
const DAY = {
  message: Prisma.sql`(m."createdAt" AT TIME ZONE 'UTC')::date`,
  thumbs: Prisma.sql`(f."createdAt" AT TIME ZONE 'UTC')::date`,
  conversation: Prisma.sql`(c."createdAt" AT TIME ZONE 'UTC')::date`,
};
const WEEK = { conversation: Prisma.sql`date_trunc('week', c."createdAt" AT TIME ZONE 'UTC')::date` };

/** How rows are grouped in SQL for one grouping. */
interface KeySql {
  /** The group of a message row `m` (joined with its conversation `c` by `messageJoin`). Weeks are added up from days. */
  message: Prisma.Sql;
  messageJoin: Prisma.Sql;
  /** The group of a thumb `f` by itself (its day); else that of its message. */
  thumbs?: Prisma.Sql;
  /** The group of a conversation row `c` (joined with `k` by `conversationJoin`). */
  conversation: Prisma.Sql;
  conversationJoin: (from: Date) => Prisma.Sql;
  /** The group's value as text, from the grouped column `key`. */
  output: Prisma.Sql;
  /** A visitor message carries no intent or version: it counts in the group of the bot's reply to it. */
  byReply: boolean;
}

/**
 * The intents (or versions) that answered in each conversation, from the bot's replies since `from`
 * ("Message_bot_answers_idx"): a conversation counts in each of their groups.
 */
function answeredIn(column: 'intent' | 'modelVersionId') {
  const name = Prisma.raw(`"${column}"`);
  return (from: Date) => Prisma.sql`LEFT JOIN (
      SELECT DISTINCT m."conversationId" AS id, m.${name} AS key FROM "Message" m
      WHERE m.role = 'bot' AND m.${name} IS NOT NULL AND m."createdAt" >= ${from}
    ) k ON k.id = c.id`;
}

const byDate = Prisma.sql`to_char(key, ${UTC_DATE})`;
const asIs = Prisma.sql`key`;
const none = () => Prisma.empty;

const KEYS: Record<ReportGrouping, KeySql> = {
  day: { message: DAY.message, messageJoin: Prisma.empty, thumbs: DAY.thumbs, conversation: DAY.conversation, conversationJoin: none, output: byDate, byReply: false },
  week: { message: DAY.message, messageJoin: Prisma.empty, thumbs: DAY.thumbs, conversation: WEEK.conversation, conversationJoin: none, output: byDate, byReply: false },
  language: {
    message: Prisma.sql`c.language`,
    messageJoin: Prisma.sql`JOIN "Conversation" c ON c.id = m."conversationId"`,
    conversation: Prisma.sql`c.language`,
    conversationJoin: none,
    output: asIs,
    byReply: false,
  },
  intent: { message: Prisma.sql`m.intent`, messageJoin: Prisma.empty, conversation: Prisma.sql`k.key`, conversationJoin: answeredIn('intent'), output: asIs, byReply: true },
  modelVersion: {
    message: Prisma.sql`m."modelVersionId"`,
    messageJoin: Prisma.empty,
    conversation: Prisma.sql`k.key`,
    conversationJoin: answeredIn('modelVersionId'),
    output: Prisma.sql`key::text`,
    byReply: true,
  },
};

/** Of a bot reply `m` or `r`: it could not answer (a clarification, a handoff without an intent) … */
const UNANSWERED = { m: Prisma.sql`(m.source = 'clarify' OR (m.source = 'handoff' AND m.intent IS NULL))`, r: Prisma.sql`(r.source = 'clarify' OR (r.source = 'handoff' AND r.intent IS NULL))` };
/** … or answered unsure: below the confidence that flags a conversation in the transcript list (retrieval scores excluded). */
const LOW = Prisma.raw(String(DEFAULT_LOW_CONFIDENCE));
const UNSURE = { m: Prisma.sql`(m.source <> 'retrieval' AND m.confidence < ${LOW})` };
// Word for word the predicate of "Message_unanswered_idx" (migration 20261201100000_reports_indexes),
// so that the planner reads that index.
const UNANSWERED_OR_UNSURE = Prisma.sql`r.role = 'bot' AND (r.source = 'clarify' OR (r.source = 'handoff' AND r.intent IS NULL) OR (r.source <> 'retrieval' AND r.confidence < ${LOW}))`;

/** When each conversation that started since `from` first got a handoff reply and an agent's message ("Message_escalation_idx"). */
function escalation(range: ReportRange): Prisma.Sql {
  return Prisma.sql`escalation AS (
    SELECT m."conversationId" AS id,
      min(m."createdAt") FILTER (WHERE m.source = 'handoff') AS "handoffAt",
      min(m."createdAt") FILTER (WHERE m.source = 'agent') AS "agentAt"
    FROM "Message" m
    WHERE m.source IN ('handoff', 'agent') AND m."createdAt" >= ${range.from}
    GROUP BY m."conversationId"
  )`;
}

/** Of a conversation `c` with its `escalation` `e`: it reached a person (handoff, agent message, assignee, waiting now) … */
const HANDED_OVER = Prisma.sql`(c."assigneeId" IS NOT NULL OR c.status IN ('waiting_for_agent', 'agent') OR e.id IS NOT NULL)`;
/** … seconds from the first handoff to an agent's first message after it … */
const FIRST_RESPONSE = Prisma.sql`CASE WHEN e."agentAt" >= e."handoffAt" THEN extract(epoch FROM e."agentAt" - e."handoffAt")::float8 END`;
/** … and to its resolution, once resolved with an agent's message. */
const RESOLUTION = Prisma.sql`CASE WHEN c.status = 'resolved' AND e."agentAt" IS NOT NULL AND c."resolvedAt" >= e."handoffAt"
  THEN extract(epoch FROM c."resolvedAt" - e."handoffAt")::float8 END`;
/** Aggregates of rows (csat, handedOver) … */
const COUNTS = Prisma.sql`count(*)::int AS conversations, count(*) FILTER (WHERE NOT "handedOver")::int AS contained,
  count(*) FILTER (WHERE csat = 1)::int AS csat1, count(*) FILTER (WHERE csat = 2)::int AS csat2, count(*) FILTER (WHERE csat = 3)::int AS csat3,
  count(*) FILTER (WHERE csat = 4)::int AS csat4, count(*) FILTER (WHERE csat = 5)::int AS csat5`;
/** … and of rows ("firstResponse", resolution): the medians and 90th percentiles, interpolated. */
const TIMES = Prisma.sql`count("firstResponse")::int AS "firstResponses",
  percentile_cont(0.5) WITHIN GROUP (ORDER BY "firstResponse") AS "firstResponseMedian",
  percentile_cont(0.9) WITHIN GROUP (ORDER BY "firstResponse") AS "firstResponseP90",
  count(resolution)::int AS resolutions,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution) AS "resolutionMedian",
  percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution) AS "resolutionP90"`;

/** A conversation's row `r` in "ReportConversation": as HANDED_OVER, FIRST_RESPONSE and RESOLUTION say of `c` and `e`. */
const SUMMARY = {
  /** Both moments known: the only rows with a first-response or resolution time ("ReportConversation_escalated_idx"). */
  escalated: Prisma.sql`r."handoffAt" IS NOT NULL AND r."agentAt" IS NOT NULL`,
  handedOver: Prisma.sql`(r.assigned OR r.status IN ('waiting_for_agent', 'agent') OR r."handoffAt" IS NOT NULL OR r."agentAt" IS NOT NULL)`,
  firstResponse: Prisma.sql`CASE WHEN r."agentAt" >= r."handoffAt" THEN extract(epoch FROM r."agentAt" - r."handoffAt")::float8 END`,
  resolution: Prisma.sql`CASE WHEN r.status = 'resolved' AND r."agentAt" IS NOT NULL AND r."resolvedAt" >= r."handoffAt"
    THEN extract(epoch FROM r."resolvedAt" - r."handoffAt")::float8 END`,
};
/** A conversation's group from its row `r` (by intent or version: `k`, one row per intent or version that answered in it, else NULL). */
const SUMMARY_KEY: Record<ReportGrouping, Prisma.Sql> = {
  day: Prisma.sql`(r."createdAt" AT TIME ZONE 'UTC')::date`,
  week: Prisma.sql`date_trunc('week', r."createdAt" AT TIME ZONE 'UTC')::date`,
  language: Prisma.sql`r.language`,
  intent: Prisma.sql`k.key`,
  modelVersion: Prisma.sql`k.key`,
};
const SUMMARY_ANSWERED: Partial<Record<ReportGrouping, Prisma.Sql>> = {
  intent: Prisma.sql`CROSS JOIN LATERAL unnest(CASE WHEN r.intents = '{}' THEN '{NULL}'::text[] ELSE r.intents END) k(key)`,
  modelVersion: Prisma.sql`CROSS JOIN LATERAL unnest(CASE WHEN r."modelVersionIds" = '{}' THEN '{NULL}'::uuid[] ELSE r."modelVersionIds" END) k(key)`,
};
/** A row of "ReportConversationDay" `d` of its kind ('language' for days, weeks and languages), grouped. */
const CONVERSATION_ROLLUP_KEY: Record<ReportGrouping, Prisma.Sql> = {
  day: Prisma.sql`d.day`,
  week: Prisma.sql`date_trunc('week', d.day::timestamp)::date`,
  language: Prisma.sql`d.key`,
  intent: Prisma.sql`d.key`,
  modelVersion: Prisma.sql`d.key::uuid`,
};
/** A row of "ReportMessageDay" `d`, grouped (weeks are added up from days). */
const ROLLUP_KEY: Record<ReportGrouping, Prisma.Sql> = {
  day: Prisma.sql`d.day`,
  week: Prisma.sql`d.day`,
  language: Prisma.sql`d.language`,
  intent: Prisma.sql`d.intent`,
  modelVersion: Prisma.sql`d."modelVersionId"`,
};

interface ThumbRow {
  key: string | null;
  up: number;
  down: number;
}

interface MessageRow {
  key: string | null;
  visitors: number;
  bot: number;
  /** The bot's replies to visitor messages (not a handoff the visitor asked for without one). */
  answers: number;
  agents: number;
  handoffs: number;
  clarifications: number;
  retrievals: number;
  unanswered: number;
  unsure: number;
}

interface CountRow {
  key: string | null;
  conversations: number;
  contained: number;
  csat1: number;
  csat2: number;
  csat3: number;
  csat4: number;
  csat5: number;
}

interface TimeRow {
  key: string | null;
  /** 1: the row of every conversation (GROUPING SETS' empty set). */
  total: number;
  firstResponses: number;
  firstResponseMedian: number | null;
  firstResponseP90: number | null;
  resolutions: number;
  resolutionMedian: number | null;
  resolutionP90: number | null;
}

export interface ReportStoreOptions {
  /**
   * Read the rollups of migration 20261201300000_report_rollups (default): whole UTC days of message
   * and conversation counts from "ReportMessageDay" and "ReportConversationDay", partial days and
   * agents' times from the raw tables and "ReportConversation". false: every figure from the raw
   * tables (tests compare the two; after an erasure only the rollups keep its counts).
   */
  rollups?: boolean;
}

/** The report's queries: aggregates over a time range, computed by Postgres (indexes: migration 20261201100000_reports_indexes). */
export class ReportStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: ReportStoreOptions = {},
  ) {}

  /**
   * Messages written in the range, by author and by the bot's source, and visitors' thumbs given in
   * it. The groups' counts add up to the total.
   */
  async messageCounts(range: ReportRange, grouping: ReportGrouping): Promise<Grouped<MessageCounts>> {
    const key = KEYS[grouping];
    // The whole UTC days of the range from the rollup, the partial days at either end from the raw tables.
    const days = this.options.rollups === false ? null : wholeDays(range);
    const parts = days
      ? [this.rollupMessageRows(days, grouping), ...edgesOf(range, days).map((edge) => this.rawMessageRows(edge, key))]
      : [this.rawMessageRows(range, key)];
    const results = await Promise.all(parts);
    const rows = results.flatMap((result) => result.rows);
    const thumbs = results.flatMap((result) => result.thumbs);
    const weekly = grouping === 'week' ? weekOf : (day: string | null) => day;
    const groups = new Map<string | null, MessageCounts>();
    const total = emptyMessageCounts();
    const at = (key: string | null) => {
      const group = groups.get(weekly(key)) ?? emptyMessageCounts();
      groups.set(weekly(key), group);
      return group;
    };
    for (const row of rows) {
      for (const counts of [at(row.key), total]) {
        // A visitor message carries no intent or version: in such a group it counts as the bot's answer to it.
        counts.visitorMessages += key.byReply && counts !== total ? row.answers : row.visitors;
        counts.botReplies += row.bot;
        counts.agentMessages += row.agents;
        counts.handoffReplies += row.handoffs;
        counts.clarifications += row.clarifications;
        counts.retrievals += row.retrievals;
        counts.unanswered += row.unanswered;
        counts.lowConfidence += row.unsure;
      }
    }
    for (const row of thumbs) {
      for (const counts of [at(row.key), total]) {
        counts.thumbsUp += row.up;
        counts.thumbsDown += row.down;
      }
    }
    // Visitor messages alone make no group of an intent or version: they belong to their replies' groups.
    if (key.byReply) for (const [group, counts] of groups) if (Object.values(counts).every((value) => value === 0)) groups.delete(group);
    return { total, groups };
  }

  /** The counts of the messages written in the range and of the thumbs given in it, from the raw tables, per group. */
  private async rawMessageRows(range: ReportRange, key: KeySql): Promise<{ rows: MessageRow[]; thumbs: ThumbRow[] }> {
    const [rows, thumbs] = await Promise.all([
      // One row per group, its counts as FILTERed aggregates: hashing the group alone is about twice as
      // fast as grouping by author and source too.
      guarded(() => this.prisma.$queryRaw<MessageRow[]>`
        SELECT ${key.output} AS key,
          count(*) FILTER (WHERE m.role = 'visitor')::int AS visitors,
          count(*) FILTER (WHERE m.role = 'bot')::int AS bot,
          count(*) FILTER (WHERE m.role = 'bot' AND m."replyToId" IS NOT NULL)::int AS answers,
          count(*) FILTER (WHERE m.role = 'agent')::int AS agents,
          count(*) FILTER (WHERE m.source = 'handoff')::int AS handoffs,
          count(*) FILTER (WHERE m.source = 'clarify')::int AS clarifications,
          count(*) FILTER (WHERE m.source = 'retrieval')::int AS retrievals,
          count(*) FILTER (WHERE m.role = 'bot' AND m."replyToId" IS NOT NULL AND ${UNANSWERED.m})::int AS unanswered,
          count(*) FILTER (WHERE m.role = 'bot' AND m."replyToId" IS NOT NULL AND NOT ${UNANSWERED.m} AND ${UNSURE.m})::int AS unsure
        FROM (
          SELECT ${key.message} AS key, m.role, m.source, m.intent, m.confidence, m."replyToId"
          FROM "Message" m ${key.messageJoin}
          WHERE m."createdAt" >= ${range.from} AND m."createdAt" < ${range.to}
        ) m
        GROUP BY key`),
      // Thumbs given in the range; by day, the day given (minutes after the message, as a rule);
      // else each rated message is looked up by id for its group (OFFSET 0: rather than scanning
      // every message for a hash join).
      guarded(() => this.prisma.$queryRaw<ThumbRow[]>`
        SELECT ${key.output} AS key, count(*) FILTER (WHERE rating = 'up')::int AS up, count(*) FILTER (WHERE rating = 'down')::int AS down
        FROM (
          SELECT ${key.thumbs ?? key.message} AS key, f.rating
          FROM "Feedback" f
          ${key.thumbs ? Prisma.empty : Prisma.sql`CROSS JOIN LATERAL (SELECT m.intent, m."modelVersionId", m."conversationId" FROM "Message" m WHERE m.id = f."messageId" OFFSET 0) m`}
          ${key.thumbs ? Prisma.empty : key.messageJoin}
          WHERE f."createdAt" >= ${range.from} AND f."createdAt" < ${range.to}
        ) s
        GROUP BY key`),
    ]);
    return { rows, thumbs };
  }

  /** The same from "ReportMessageDay", for whole UTC days (rows the triggers took back down to nothing left out). */
  private async rollupMessageRows(days: { from: string; to: string }, grouping: ReportGrouping): Promise<{ rows: MessageRow[]; thumbs: ThumbRow[] }> {
    const key = KEYS[grouping];
    const summed = await guarded(() => this.prisma.$queryRaw<Array<MessageRow & ThumbRow>>`
      SELECT ${key.output} AS key, sum(visitors)::int AS visitors, sum(bot)::int AS bot, sum(answers)::int AS answers, sum(agents)::int AS agents,
        sum(handoffs)::int AS handoffs, sum(clarifications)::int AS clarifications, sum(retrievals)::int AS retrievals,
        sum(unanswered)::int AS unanswered, sum(unsure)::int AS unsure, sum("thumbsUp")::int AS up, sum("thumbsDown")::int AS down
      FROM (
        SELECT ${ROLLUP_KEY[grouping]} AS key, d.* FROM "ReportMessageDay" d
        WHERE d.day >= ${days.from}::date AND d.day < ${days.to}::date
      ) d
      GROUP BY key`);
    const counted = (row: MessageRow) => row.visitors + row.bot + row.agents !== 0;
    return {
      rows: summed.filter(counted).map(({ up: _up, down: _down, ...row }) => row),
      thumbs: summed.filter((row) => row.up !== 0 || row.down !== 0).map((row) => ({ key: row.key, up: row.up, down: row.down })),
    };
  }

  /**
   * Conversations started in the range: containment, CSAT, agents' first-response and resolution
   * times. Counts are hashed over every conversation; medians are sorted over those that reached a
   * person only. A conversation in several intents' or versions' groups is counted again for the
   * total; else the groups' counts add up to it.
   */
  async conversationCounts(range: ReportRange, grouping: ReportGrouping): Promise<Grouped<ConversationCounts>> {
    if (this.options.rollups !== false) return this.summaryConversationCounts(range, grouping);
    const key = KEYS[grouping];
    if (!key.byReply) {
      const [counts, times] = await Promise.all([this.countRows(range, key.conversation, key.output), this.timeRows(range, key.conversation, key.output, true)]);
      return groupedConversations(counts, times, sumCounts(counts));
    }
    const every = Prisma.sql`NULL::text`;
    const [groups, [total], totalTimes] = await Promise.all([this.answeredInRows(range, key), this.countRows(range, every, every), this.timeRows(range, every, every, false)]);
    return groupedConversations(groups, [...groups.map((row) => ({ ...row, total: 0 })), ...totalTimes.map((row) => ({ ...row, total: 1 }))], total ?? sumCounts([]));
  }

  /**
   * The same from the rollups: counts of whole UTC days from "ReportConversationDay", of the partial
   * days at either end from "ReportConversation" (a row per conversation, kept by triggers, with its
   * handoff, first agent message and the intents and versions that answered in it); first-response
   * and resolution times from the rows of the conversations an agent wrote in after a handoff
   * ("ReportConversation_escalated_idx"), which the percentiles sort. By intent or version, a
   * conversation counts in each intent's (or version's) group, and once in the total.
   */
  private async summaryConversationCounts(range: ReportRange, grouping: ReportGrouping): Promise<Grouped<ConversationCounts>> {
    const key = KEYS[grouping];
    const answered = SUMMARY_ANSWERED[grouping];
    const every = Prisma.sql`NULL::text`;
    type Grouping = 'groups' | 'total' | 'both';
    const totalSql = (grouped: Grouping) => (grouped === 'both' ? Prisma.sql`GROUPING(key)` : grouped === 'total' ? Prisma.sql`1` : Prisma.sql`0`);
    const groupSql = (grouped: Grouping) => (grouped === 'both' ? Prisma.sql`GROUP BY GROUPING SETS ((key), ())` : Prisma.sql`GROUP BY key`);
    const counts = (part: ReportRange, keySql: Prisma.Sql, join: Prisma.Sql, output: Prisma.Sql, grouped: Grouping) => guarded(() => this.prisma.$queryRaw<Array<CountRow & { total: number }>>`
      SELECT ${output} AS key, ${totalSql(grouped)}::int AS total, ${COUNTS}
      FROM (
        SELECT ${keySql} AS key, r.csat, ${SUMMARY.handedOver} AS "handedOver"
        FROM "ReportConversation" r ${join}
        WHERE r."createdAt" >= ${part.from} AND r."createdAt" < ${part.to}
      ) conversation
      ${groupSql(grouped)}`);
    const rolledUp = (days: { from: string; to: string }, kind: string, keySql: Prisma.Sql, output: Prisma.Sql, grouped: Grouping) => guarded(() => this.prisma.$queryRaw<Array<CountRow & { total: number }>>`
      SELECT ${output} AS key, ${totalSql(grouped)}::int AS total, sum(conversations)::int AS conversations, sum(contained)::int AS contained,
        sum(csat1)::int AS csat1, sum(csat2)::int AS csat2, sum(csat3)::int AS csat3, sum(csat4)::int AS csat4, sum(csat5)::int AS csat5
      FROM (
        SELECT ${keySql} AS key, d.conversations, d.contained, d.csat1, d.csat2, d.csat3, d.csat4, d.csat5 FROM "ReportConversationDay" d
        WHERE d.kind = ${kind} AND d.day >= ${days.from}::date AND d.day < ${days.to}::date
      ) d
      ${groupSql(grouped)}`);
    const times = (keySql: Prisma.Sql, join: Prisma.Sql, output: Prisma.Sql, grouped: Grouping) => guarded(() => this.prisma.$queryRaw<TimeRow[]>`
      SELECT ${output} AS key, ${totalSql(grouped)}::int AS total, ${TIMES}
      FROM (
        SELECT ${keySql} AS key, ${SUMMARY.firstResponse} AS "firstResponse", ${SUMMARY.resolution} AS resolution
        FROM "ReportConversation" r ${join}
        WHERE r."createdAt" >= ${range.from} AND r."createdAt" < ${range.to} AND ${SUMMARY.escalated}
      ) escalated
      ${groupSql(grouped)}`);

    const days = wholeDays(range);
    const parts = days ? edgesOf(range, days) : [range];
    const countQueries: Array<Promise<Array<CountRow & { total: number }>>> = [];
    const kind = answered ? grouping : 'language';
    if (days) {
      countQueries.push(rolledUp(days, kind, CONVERSATION_ROLLUP_KEY[grouping], key.output, answered ? 'groups' : 'both'));
      if (answered) countQueries.push(rolledUp(days, 'language', every, every, 'total'));
    }
    for (const part of parts) {
      countQueries.push(counts(part, SUMMARY_KEY[grouping], answered ?? Prisma.empty, key.output, answered ? 'groups' : 'both'));
      if (answered) countQueries.push(counts(part, every, Prisma.empty, every, 'total'));
    }
    const timeQueries = answered
      ? [times(SUMMARY_KEY[grouping], answered, key.output, 'groups'), times(every, Prisma.empty, every, 'total')]
      : [times(SUMMARY_KEY[grouping], Prisma.empty, key.output, 'both')];
    const [countParts, timeParts] = await Promise.all([Promise.all(countQueries), Promise.all(timeQueries)]);
    // Each part's groups (a group of no conversations left out: a row the triggers took back to nothing) and totals, added up.
    const groups = new Map<string | null, CountRow>();
    const total = sumCounts([]);
    for (const row of countParts.flat()) {
      if (row.total === 1) {
        addCounts(total, row);
        continue;
      }
      if (row.conversations === 0) continue;
      const group = groups.get(row.key) ?? { ...sumCounts([]), key: row.key };
      groups.set(row.key, addCounts(group, row));
    }
    return groupedConversations([...groups.values()], timeParts.flat(), total);
  }

  /** Conversations, those that never reached a person, and their CSAT scores, per group. */
  private countRows(range: ReportRange, keySql: Prisma.Sql, output: Prisma.Sql): Promise<CountRow[]> {
    return guarded(() => this.prisma.$queryRaw<CountRow[]>`
      WITH ${escalation(range)}
      SELECT ${output} AS key, ${COUNTS}
      FROM (
        SELECT ${keySql} AS key, c.csat, ${HANDED_OVER} AS "handedOver"
        FROM "Conversation" c LEFT JOIN escalation e ON e.id = c.id
        WHERE c."createdAt" >= ${range.from} AND c."createdAt" < ${range.to}
      ) conversation
      GROUP BY key`);
  }

  /**
   * First-response and resolution times of the conversations that reached a person, per group and,
   * with `withTotal`, of them all (a row with `total` 1).
   */
  private timeRows(range: ReportRange, keySql: Prisma.Sql, output: Prisma.Sql, withTotal: boolean): Promise<TimeRow[]> {
    return guarded(() => this.prisma.$queryRaw<TimeRow[]>`
      WITH ${escalation(range)}
      SELECT ${output} AS key, ${withTotal ? Prisma.sql`GROUPING(key)` : Prisma.sql`0`}::int AS total, ${TIMES}
      FROM (
        SELECT ${keySql} AS key, ${FIRST_RESPONSE} AS "firstResponse", ${RESOLUTION} AS resolution
        FROM escalation e JOIN "Conversation" c ON c.id = e.id
        WHERE c."createdAt" >= ${range.from} AND c."createdAt" < ${range.to}
      ) escalated
      ${withTotal ? Prisma.sql`GROUP BY GROUPING SETS ((key), ())` : Prisma.sql`GROUP BY key`}`);
  }

  /**
   * Both, per intent (or version) that answered in the conversation, in one statement: which
   * intents answered in which conversations is a hash of every such pair, made once, in 32 MB of
   * work_mem (in the default 4 MB it spills to disk and takes twice as long).
   */
  private answeredInRows(range: ReportRange, key: KeySql): Promise<Array<CountRow & Omit<TimeRow, 'total'>>> {
    const query = Prisma.sql`
      WITH ${escalation(range)}, conversation AS MATERIALIZED (
        SELECT ${key.conversation} AS key, c.csat, ${HANDED_OVER} AS "handedOver", ${FIRST_RESPONSE} AS "firstResponse", ${RESOLUTION} AS resolution
        FROM "Conversation" c LEFT JOIN escalation e ON e.id = c.id
        ${key.conversationJoin(range.from)}
        WHERE c."createdAt" >= ${range.from} AND c."createdAt" < ${range.to}
      ), counts AS (
        SELECT key, ${COUNTS} FROM conversation GROUP BY key
      ), times AS (
        SELECT key, ${TIMES} FROM conversation WHERE "firstResponse" IS NOT NULL OR resolution IS NOT NULL GROUP BY key
      )
      SELECT ${key.output} AS key, conversations, contained, csat1, csat2, csat3, csat4, csat5,
        COALESCE("firstResponses", 0) AS "firstResponses", "firstResponseMedian", "firstResponseP90", COALESCE(resolutions, 0) AS resolutions, "resolutionMedian", "resolutionP90"
      FROM (
        SELECT counts.*, times."firstResponses", times."firstResponseMedian", times."firstResponseP90", times.resolutions, times."resolutionMedian", times."resolutionP90"
        FROM counts LEFT JOIN times ON times.key IS NOT DISTINCT FROM counts.key
      ) grouped`;
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SET LOCAL work_mem = '32MB'`;
        return tx.$queryRaw<Array<CountRow & Omit<TimeRow, 'total'>>>(query);
      }, { timeout: 60_000 }),
    );
  }

  /**
   * The visitor messages of the range that the bot could not answer or answered unsure: the texts
   * of the newest `sample` of them ("Message_unanswered_idx") grouped by their trimmed text with every digit as 0
   * (order numbers and the like fall together, and the redaction patterns still see the shape of a
   * phone or card number), most frequent first.
   */
  async unansweredRequests(range: ReportRange, options: { limit: number; sample: number }): Promise<UnansweredRequest[]> {
    return guarded(() => this.prisma.$queryRaw<UnansweredRequest[]>`
      SELECT left(translate(btrim(v."text"), '123456789', '000000000'), 200) AS "text",
        count(*)::int AS count, count(*) FILTER (WHERE r.unanswered)::int AS unanswered, max(v."createdAt") AS "lastAt"
      FROM (
        SELECT r."replyToId", ${UNANSWERED.r} AS unanswered
        FROM "Message" r
        WHERE ${UNANSWERED_OR_UNSURE} AND r."replyToId" IS NOT NULL AND r."createdAt" >= ${range.from} AND r."createdAt" < ${range.to}
        ORDER BY r."createdAt" DESC
        LIMIT ${options.sample}
      ) r
      -- A lookup by id for each, not a scan of every message for a hash join.
      CROSS JOIN LATERAL (SELECT v."text", v."createdAt" FROM "Message" v WHERE v.id = r."replyToId" OFFSET 0) v
      GROUP BY 1
      ORDER BY count DESC, "lastAt" DESC
      LIMIT ${options.limit}`);
  }


  /** The version serving visitors now. */
  async activeVersion(): Promise<{ id: string; name: string } | null> {
    return guarded(() => this.prisma.modelVersion.findFirst({ where: { status: 'active' }, orderBy: { promotedAt: { sort: 'desc', nulls: 'last' } }, select: { id: true, name: true } }));
  }

  async versionNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const versions = await guarded(() => this.prisma.modelVersion.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }));
    return new Map(versions.map((version) => [version.id, version.name]));
  }

  /**
   * How a model version did on the labelled visitor messages of the range it answered (the bot's
   * first reply to each): its intent against the label, a reply without an intent (a fallback) as a
   * prediction of `outOfScope`.
   */
  async labelledPredictions(range: ReportRange, versionId: string, outOfScope: string): Promise<LabelledPredictions> {
    // Labels and reviews are few beside messages: each is followed to its message and reply by
    // index (OFFSET 0 keeps the planner from scanning every message for a hash join instead).
    return guarded(async () => {
      // A label is written after its message: only labels written since `from` are read.
      const [[explicit], [confirmed]] = await Promise.all([
        this.prisma.$queryRaw<Array<{ labelled: number; correct: number }>>`
        SELECT count(*)::int AS labelled, count(*) FILTER (WHERE intent = predicted)::int AS correct FROM (
          SELECT DISTINCT ON (l.id) l.intent, COALESCE(r.intent, ${outOfScope}) AS predicted, r."modelVersionId"
          FROM "IntentLabel" l
          CROSS JOIN LATERAL (SELECT v.id FROM "Message" v WHERE v.id = l."messageId" AND v."createdAt" >= ${range.from} AND v."createdAt" < ${range.to} OFFSET 0) v
          CROSS JOIN LATERAL (SELECT r.intent, r."modelVersionId", r.seq FROM "Message" r WHERE r."replyToId" = v.id AND r.role = 'bot' OFFSET 0) r
          WHERE l."createdAt" >= ${range.from}
          ORDER BY l.id, r.seq
        ) answered
        WHERE "modelVersionId" = ${versionId}::uuid`,
        // As the training set reads them (training-store.ts): the bot's intent, left uncorrected by a
        // review after it (so a review of the range's messages is no older than the range).
        this.prisma.$queryRaw<Array<{ confirmed: number }>>`
        SELECT count(*)::int AS confirmed FROM (
          SELECT DISTINCT ON (v.id) r."modelVersionId"
          FROM "Conversation" c
          CROSS JOIN LATERAL (
            SELECT v.id FROM "Message" v
            WHERE v."conversationId" = c.id AND v.role = 'visitor' AND v."createdAt" >= ${range.from} AND v."createdAt" < ${range.to}
              AND NOT EXISTS (SELECT 1 FROM "IntentLabel" l WHERE l."messageId" = v.id)
            OFFSET 0
          ) v
          CROSS JOIN LATERAL (
            SELECT r."modelVersionId", r.seq FROM "Message" r
            WHERE r."replyToId" = v.id AND r.role = 'bot' AND r.intent IS NOT NULL AND r."createdAt" <= c."reviewedAt"
            OFFSET 0
          ) r
          WHERE c."reviewedAt" >= ${range.from}
          ORDER BY v.id, r.seq
        ) reviewed
        WHERE "modelVersionId" = ${versionId}::uuid`,
      ]);
      return { labelled: explicit?.labelled ?? 0, correct: explicit?.correct ?? 0, confirmed: confirmed?.confirmed ?? 0 };
    });
  }

}

function emptyMessageCounts(): MessageCounts {
  return { visitorMessages: 0, botReplies: 0, agentMessages: 0, handoffReplies: 0, clarifications: 0, retrievals: 0, thumbsUp: 0, thumbsDown: 0, unanswered: 0, lowConfidence: 0 };
}

/** The Monday (UTC) of the week of a date written YYYY-MM-DD, as date_trunc('week') has it. */
export function weekOf(day: string | null): string | null {
  if (day === null) return null;
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
}

/** The whole UTC days of a range (YYYY-MM-DD, `to` excluded); null when it covers none. */
export function wholeDays(range: ReportRange): { from: string; to: string } | null {
  const first = Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS;
  const last = Math.floor(range.to.getTime() / DAY_MS) * DAY_MS;
  if (first >= last) return null;
  return { from: new Date(first).toISOString().slice(0, 10), to: new Date(last).toISOString().slice(0, 10) };
}

/** The partial days of a range around its whole days. */
function edgesOf(range: ReportRange, days: { from: string; to: string }): ReportRange[] {
  const first = new Date(`${days.from}T00:00:00Z`);
  const last = new Date(`${days.to}T00:00:00Z`);
  return [
    ...(range.from < first ? [{ from: range.from, to: first }] : []),
    ...(last < range.to ? [{ from: last, to: range.to }] : []),
  ];
}

const DAY_MS = 86_400_000;

/** Every group's counts added up (the total, where each conversation is in one group). */
function sumCounts(rows: CountRow[]): CountRow {
  const total: CountRow = { key: null, conversations: 0, contained: 0, csat1: 0, csat2: 0, csat3: 0, csat4: 0, csat5: 0 };
  for (const row of rows) for (const field of ['conversations', 'contained', 'csat1', 'csat2', 'csat3', 'csat4', 'csat5'] as const) total[field] += row[field];
  return total;
}

function addCounts(into: CountRow, row: CountRow): CountRow {
  for (const field of ['conversations', 'contained', 'csat1', 'csat2', 'csat3', 'csat4', 'csat5'] as const) into[field] += row[field];
  return into;
}

function groupedConversations(counts: CountRow[], times: TimeRow[], total: CountRow): Grouped<ConversationCounts> {
  const timesOf = new Map(times.filter((row) => row.total !== 1).map((row) => [row.key, row]));
  const groups = new Map(counts.map((row) => [row.key, toConversationCounts(row, timesOf.get(row.key))]));
  return { total: toConversationCounts(total, times.find((row) => row.total === 1)), groups };
}

function toConversationCounts(counts: CountRow, times: TimeRow | undefined): ConversationCounts {
  const distribution: ConversationCounts['csatDistribution'] = [counts.csat1, counts.csat2, counts.csat3, counts.csat4, counts.csat5];
  const responses = distribution.reduce((sum, n) => sum + n, 0);
  const durations = (count: number | undefined, median: number | null | undefined, p90: number | null | undefined): Durations => ({ count: count ?? 0, median: median ?? null, p90: p90 ?? null });
  return {
    conversations: counts.conversations,
    contained: counts.contained,
    csatResponses: responses,
    csatAverage: responses === 0 ? null : distribution.reduce((sum, n, index) => sum + n * (index + 1), 0) / responses,
    csatDistribution: distribution,
    firstResponse: durations(times?.firstResponses, times?.firstResponseMedian, times?.firstResponseP90),
    resolution: durations(times?.resolutions, times?.resolutionMedian, times?.resolutionP90),
  };
}
