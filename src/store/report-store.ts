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

/** The report's queries: aggregates over a time range, computed by Postgres (indexes: migration 20261201100000_reports_indexes). */
export class ReportStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Messages written in the range, by author and by the bot's source, and visitors' thumbs given in
   * it. The groups' counts add up to the total.
   */
  async messageCounts(range: ReportRange, grouping: ReportGrouping): Promise<Grouped<MessageCounts>> {
    const key = KEYS[grouping];
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
      guarded(() => this.prisma.$queryRaw<Array<{ key: string | null; up: number; down: number }>>`
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

  /**
   * Conversations started in the range: containment, CSAT, agents' first-response and resolution
   * times. Counts are hashed over every conversation; medians are sorted over those that reached a
   * person only. A conversation in several intents' or versions' groups is counted again for the
   * total; else the groups' counts add up to it.
   */
  async conversationCounts(range: ReportRange, grouping: ReportGrouping): Promise<Grouped<ConversationCounts>> {
    const key = KEYS[grouping];
    if (!key.byReply) {
      const [counts, times] = await Promise.all([this.countRows(range, key.conversation, key.output), this.timeRows(range, key.conversation, key.output, true)]);
      return groupedConversations(counts, times, sumCounts(counts));
    }
    const every = Prisma.sql`NULL::text`;
    const [groups, [total], totalTimes] = await Promise.all([this.answeredInRows(range, key), this.countRows(range, every, every), this.timeRows(range, every, every, false)]);
    return groupedConversations(groups, [...groups.map((row) => ({ ...row, total: 0 })), ...totalTimes.map((row) => ({ ...row, total: 1 }))], total ?? sumCounts([]));
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

/** Every group's counts added up (the total, where each conversation is in one group). */
function sumCounts(rows: CountRow[]): CountRow {
  const total: CountRow = { key: null, conversations: 0, contained: 0, csat1: 0, csat2: 0, csat3: 0, csat4: 0, csat5: 0 };
  for (const row of rows) for (const field of ['conversations', 'contained', 'csat1', 'csat2', 'csat3', 'csat4', 'csat5'] as const) total[field] += row[field];
  return total;
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
