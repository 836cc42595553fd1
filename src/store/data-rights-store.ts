import type { PrismaClient } from './prisma.ts';
import { Prisma } from './prisma.ts';
import { guarded } from './errors.ts';
import { auditInsert, type AuditDetails, type AuditEntry } from './audit-store.ts';
import { conversationOfSource, REUSE_CHANNEL } from './knowledge-store.ts';
import { eraseFromDiscoveryRuns } from './discovery-store.ts';

/** Postgres NOTIFY channel: a visitor was erased (payload: the visitor id); every server closes their sockets. */
export const VISITOR_ERASED_CHANNEL = 'frontdesk_visitor_erased';

/** How a visitor is looked up: an e-mail anywhere we keep one, the shop's customer id, one of their conversations, or the visitor id. */
export type FinderKind = 'email' | 'customerId' | 'conversationId' | 'visitorId';

export interface VisitorFinder {
  kind: FinderKind;
  value: string;
}

/**
 * Where a finder matched: the visitor id or a conversation of theirs; the shop's verified customer
 * id; the e-mail the host page gave the widget (`visitor_email`), a verified customer token's
 * (`customer_email`), one the visitor typed (`message_email`, an entity of a visitor message) or
 * gave a form (`form_email`, an open form's slot).
 */
export type MatchedBy = 'visitor' | 'conversation' | 'customer_id' | 'visitor_email' | 'customer_email' | 'message_email' | 'form_email';

/** A visitor row as found and exported: the name and e-mail the host page gave the widget. */
export interface VisitorFields {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  erasedAt: string | null;
  name: string | null;
  email: string | null;
}

export interface VisitorMatch extends VisitorFields {
  /** The verified customers of the visitor's conversations (identity claims). */
  customers: Array<{ id: string; email: string | null; name: string | null }>;
  conversations: number;
  messages: number;
  matchedBy: MatchedBy[];
}

export interface ErasureCounts {
  visitors: number;
  conversations: number;
  messages: number;
  feedback: number;
  labels: number;
  harvestedAnswers: number;
  evaluationExamples: number;
}

/** Everything stored about one visitor (`frontdesk visitors export`, `GET /api/agent/visitors/export`). */
export interface VisitorExport extends VisitorFields {
  conversations: Array<{
    id: string;
    status: string;
    createdAt: string;
    updatedAt: string;
    resolvedAt: string | null;
    erasedAt: string | null;
    csat: number | null;
    language: string | null;
    page: string | null;
    userAgent: string | null;
    /** The identity claims of the shop's customer token, as verified; null: anonymous. */
    customer: { id: string; email: string | null; name: string | null } | null;
    /** The open form: an action's slots being collected. */
    form: Prisma.JsonValue;
    messages: Array<{
      id: string;
      role: string;
      text: string;
      createdAt: string;
      replyTo: string | null;
      source: string | null;
      intent: string | null;
      confidence: number | null;
      entities: Prisma.JsonValue;
      details: Prisma.JsonValue;
      agent: { name: string } | null;
      feedback: { rating: string; at: string } | null;
      label: { intent: string; origin: string; at: string } | null;
    }>;
  }>;
  /** Agents' answers harvested from these conversations (redacted), with the question they answered. */
  harvestedAnswers: Array<{ id: string; conversationId: string | null; question: string | null; text: string; status: string | null; harvestedAt: string; removedAt: string | null }>;
  /** Their labelled messages copied (redacted) into the promotion gate's frozen evaluation set. */
  evaluationExamples: Array<{ id: string; messageId: string | null; text: string; intent: string; createdAt: string }>;
}

/** Most visitors one finder returns (an e-mail typed by many). */
const MAX_MATCHES = 100;

const iso = (value: Date) => value.toISOString();
const isoOrNull = (value: Date | null) => (value ? value.toISOString() : null);

/** The conversation an agent answer was harvested from, as SQL over "KnowledgeChunk".source (agentAnswerSource). */
const HARVESTED_FROM = Prisma.sql`substring(source from '^conversation:([0-9a-f-]{36})#')`;

type Tx = Prisma.TransactionClient;

/**
 * Data rights in Postgres: finding a visitor, exporting everything stored about them, erasing it,
 * and erasing the content of expired conversations (RETENTION_DAYS).
 *
 * An erasure removes the messages with their feedback, labels, frozen evaluation copies and
 * entities; empties the agent answers harvested from them (kept as removed rows so that every
 * server's index drops them through the reuse channel's NOTIFY); and leaves the conversation and
 * visitor rows without anything personal, so that aggregate numbers (conversations, statuses, CSAT
 * scores, timestamps) stay. One transaction, which also writes its audit event.
 */
export class DataRightsStore {
  constructor(private readonly prisma: PrismaClient) {}

  async findVisitors(finder: VisitorFinder): Promise<VisitorMatch[]> {
    return guarded(async () => {
      const hits = await this.prisma.$queryRaw<Array<{ visitorId: string; matchedBy: MatchedBy[] }>>`
        SELECT "visitorId", array_agg(DISTINCT how ORDER BY how) AS "matchedBy"
        FROM (${hitsOf(finder)}) hits
        GROUP BY "visitorId" LIMIT ${MAX_MATCHES}`;
      if (hits.length === 0) return [];
      const how = new Map(hits.map((hit) => [hit.visitorId, hit.matchedBy]));
      const rows = await this.prisma.$queryRaw<Array<{ id: string; createdAt: Date; lastSeenAt: Date; erasedAt: Date | null; name: string | null; email: string | null; conversations: number; messages: number; customers: VisitorMatch['customers'] }>>`
        SELECT v.id, v."createdAt", v."lastSeenAt", v."erasedAt", v.name, v.email,
          (SELECT count(*)::int FROM "Conversation" c WHERE c."visitorId" = v.id) AS conversations,
          (SELECT count(*)::int FROM "Message" m JOIN "Conversation" c ON c.id = m."conversationId" WHERE c."visitorId" = v.id) AS messages,
          COALESCE((SELECT jsonb_agg(DISTINCT jsonb_build_object('id', c."customerId", 'email', c."customerEmail", 'name', c."customerName"))
            FROM "Conversation" c WHERE c."visitorId" = v.id AND c."customerId" IS NOT NULL), '[]'::jsonb) AS customers
        FROM "Visitor" v WHERE v.id = ANY(${[...how.keys()]}::uuid[])
        ORDER BY v."lastSeenAt" DESC`;
      return rows.map((row) => ({
        ...visitorFields(row),
        customers: row.customers,
        conversations: row.conversations,
        messages: row.messages,
        matchedBy: how.get(row.id) ?? [],
      }));
    });
  }

  /** Everything stored about these visitors, oldest first. */
  async exportVisitors(visitorIds: readonly string[]): Promise<VisitorExport[]> {
    return guarded(async () => {
      const visitors = await this.prisma.visitor.findMany({
        where: { id: { in: [...visitorIds] } },
        orderBy: { createdAt: 'asc' },
        include: {
          conversations: {
            orderBy: { createdAt: 'asc' },
            include: {
              messages: { orderBy: { seq: 'asc' }, include: { feedback: true, label: true, agent: { select: { name: true } } } },
              // What agents wrote about the visitor, and the files sent (their bytes stay at their signed links).
              notes: { orderBy: { createdAt: 'asc' }, include: { agent: { select: { name: true } } } },
              attachments: { orderBy: { createdAt: 'asc' } },
            },
          },
        },
      });
      const answers = await this.prisma.$queryRaw<Array<{ id: string; source: string; question: string | null; text: string; reuseStatus: string | null; createdAt: Date; deletedAt: Date | null }>>`
        SELECT k.id, k.source, k.question, k.text, k."reuseStatus"::text AS "reuseStatus", k."createdAt", k."deletedAt"
        FROM "KnowledgeChunk" k
        WHERE k.kind = 'agent_answer' AND ${HARVESTED_FROM} IN (
          SELECT c.id::text FROM "Conversation" c WHERE c."visitorId" = ANY(${[...visitorIds]}::uuid[]))
        ORDER BY k."createdAt", k.label`;
      const examples = await this.prisma.$queryRaw<Array<{ id: string; messageId: string; text: string; intent: string; createdAt: Date; visitorId: string }>>`
        SELECT e.id, e."messageId", e.text, e.intent, e."createdAt", c."visitorId"
        FROM "EvaluationExample" e JOIN "Message" m ON m.id = e."messageId" JOIN "Conversation" c ON c.id = m."conversationId"
        WHERE c."visitorId" = ANY(${[...visitorIds]}::uuid[])
        ORDER BY e."createdAt", e.id`;
      return visitors.map((visitor) => {
        const conversationIds = new Set(visitor.conversations.map((conversation) => conversation.id));
        return {
          ...visitorFields(visitor),
          conversations: visitor.conversations.map((conversation) => ({
            id: conversation.id,
            status: conversation.status,
            createdAt: iso(conversation.createdAt),
            updatedAt: iso(conversation.updatedAt),
            resolvedAt: isoOrNull(conversation.resolvedAt),
            erasedAt: isoOrNull(conversation.erasedAt),
            csat: conversation.csat,
            language: conversation.language,
            page: conversation.page,
            userAgent: conversation.userAgent,
            customer: conversation.customerId === null ? null : { id: conversation.customerId, email: conversation.customerEmail, name: conversation.customerName },
            form: conversation.form,
            // The address left for the offline follow-up (src/availability); it is also in the visitor's message.
            followupEmail: conversation.followupEmail,
            messages: conversation.messages.map((message) => ({
              id: message.id,
              role: message.role,
              text: message.text,
              createdAt: iso(message.createdAt),
              replyTo: message.replyToId,
              source: message.source,
              intent: message.intent,
              confidence: message.confidence,
              entities: message.entities,
              details: withoutOtherConversations(message.details),
              agent: message.agent,
              feedback: message.feedback ? { rating: message.feedback.rating, at: iso(message.feedback.updatedAt) } : null,
              label: message.label ? { intent: message.label.intent, origin: message.label.origin, at: iso(message.label.updatedAt) } : null,
            })),
            notes: conversation.notes.map((note) => ({ id: note.id, text: note.text, agent: note.agent, createdAt: iso(note.createdAt) })),
            attachments: conversation.attachments.map((file) => ({ id: file.id, role: file.role, fileName: file.fileName, contentType: file.contentType, size: file.size, createdAt: iso(file.createdAt) })),
          })),
          harvestedAnswers: answers
            .filter((answer) => conversationIds.has(conversationOfSource(answer.source) ?? ''))
            .map((answer) => ({ id: answer.id, conversationId: conversationOfSource(answer.source), question: answer.question, text: answer.text, status: answer.reuseStatus, harvestedAt: iso(answer.createdAt), removedAt: isoOrNull(answer.deletedAt) })),
          evaluationExamples: examples
            .filter((example) => example.visitorId === visitor.id)
            .map((example) => ({ id: example.id, messageId: example.messageId, text: example.text, intent: example.intent, createdAt: iso(example.createdAt) })),
        };
      });
    });
  }

  /**
   * Erases these visitors: all their conversations' content (see the class), their name and e-mail;
   * their visitor tokens stop working (the token generation goes up, as ChatStore.revokeVisitorTokens
   * does, in the same transaction) and every server closes their sockets (NOTIFY on
   * VISITOR_ERASED_CHANNEL). The audit event gets the counts added to its details.
   */
  async eraseVisitors(visitorIds: readonly string[], audit: AuditEntry): Promise<ErasureCounts & { conversationIds: string[] }> {
    const ids = [...new Set(visitorIds.map((id) => id.toLowerCase()))].sort();
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        // Locked first: a connection of theirs creating a conversation meanwhile waits, then finds the visitor erased.
        const visitors = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Visitor" WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
        const conversations = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT id FROM "Conversation" WHERE "visitorId" = ANY(${ids}::uuid[]) ORDER BY id`;
        const conversationIds = conversations.map((row) => row.id);
        const counts = await eraseConversationContent(tx, conversationIds);
        await tx.$executeRaw`
          UPDATE "Visitor" SET name = NULL, email = NULL, "erasedAt" = now(), "tokenGeneration" = "tokenGeneration" + 1
          WHERE id = ANY(${ids}::uuid[])`;
        const result = { visitors: visitors.length, conversations: conversationIds.length, ...counts };
        await tx.$executeRaw(auditInsert(withCounts(audit, result)));
        await tx.$executeRaw`SELECT pg_notify(${VISITOR_ERASED_CHANNEL}, id) FROM unnest(${visitors.map((row) => row.id)}::text[]) AS id`;
        return { ...result, conversationIds };
      }, { timeout: 60_000, maxWait: 10_000 }),
    );
  }

  /**
   * Retention: erases the content of up to `limit` conversations inactive for `days` (oldest first) in
   * one short transaction, skipping conversations being written to right now; the name and e-mail of
   * a visitor none of whose conversations is left go too. Visitors keep their tokens (they may still
   * chat; a new conversation starts). Returns what it erased; an empty batch writes nothing.
   */
  async eraseExpiredBatch(days: number, limit: number, audit: AuditEntry): Promise<ErasureCounts & { conversationIds: string[] }> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const expired = await tx.$queryRaw<Array<{ id: string; visitorId: string }>>`
          SELECT id, "visitorId" FROM "Conversation"
          WHERE "erasedAt" IS NULL AND "updatedAt" < now() - make_interval(days => ${days}::int)
          ORDER BY "updatedAt" LIMIT ${limit}
          FOR UPDATE SKIP LOCKED`;
        const conversationIds = expired.map((row) => row.id);
        if (conversationIds.length === 0) return { visitors: 0, conversations: 0, messages: 0, feedback: 0, labels: 0, harvestedAnswers: 0, evaluationExamples: 0, conversationIds };
        const counts = await eraseConversationContent(tx, conversationIds);
        const visitors = await tx.$executeRaw`
          UPDATE "Visitor" v SET name = NULL, email = NULL
          WHERE v.id = ANY(${[...new Set(expired.map((row) => row.visitorId))]}::uuid[]) AND (v.name IS NOT NULL OR v.email IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM "Conversation" c WHERE c."visitorId" = v.id AND c."erasedAt" IS NULL)`;
        const result = { visitors, conversations: conversationIds.length, ...counts };
        await tx.$executeRaw(auditInsert(withCounts({ ...audit, details: { ...audit.details, conversationIds } }, result)));
        return { ...result, conversationIds };
      }, { timeout: 60_000, maxWait: 10_000 }),
    );
  }
}

function visitorFields(row: { id: string; createdAt: Date; lastSeenAt: Date; erasedAt: Date | null; name: string | null; email: string | null }): VisitorFields {
  return { id: row.id, createdAt: iso(row.createdAt), lastSeenAt: iso(row.lastSeenAt), erasedAt: isoOrNull(row.erasedAt), name: row.name, email: row.email };
}

/** The erased counts join the audit event's details (numbers and ids only). */
function withCounts(audit: AuditEntry, counts: ErasureCounts): AuditEntry {
  const { visitors, conversations, messages, feedback, labels, harvestedAnswers, evaluationExamples } = counts;
  const details: AuditDetails = { ...audit.details, erased: { visitors, conversations, messages, feedback, labels, harvestedAnswers, evaluationExamples } };
  return { ...audit, details };
}

/** Which visitors a finder names, and how: rows of ("visitorId", how). */
function hitsOf(finder: VisitorFinder): Prisma.Sql {
  const value = finder.value.trim();
  switch (finder.kind) {
    case 'visitorId':
      return Prisma.sql`SELECT id AS "visitorId", 'visitor' AS how FROM "Visitor" WHERE id = ${value}::uuid`;
    case 'conversationId':
      return Prisma.sql`SELECT "visitorId", 'conversation' AS how FROM "Conversation" WHERE id = ${value}::uuid`;
    case 'customerId':
      return Prisma.sql`SELECT "visitorId", 'customer_id' AS how FROM "Conversation" WHERE "customerId" = ${value}`;
    case 'email': {
      const email = value.toLowerCase();
      // The expressions match the indexes of migration 20261201200000_data_rights; a message's
      // entities and a form's slots are read where they are (an admin's rare search).
      return Prisma.sql`
        SELECT id AS "visitorId", 'visitor_email' AS how FROM "Visitor" WHERE lower(email) = ${email}
        UNION ALL
        SELECT "visitorId", 'customer_email' FROM "Conversation" WHERE lower("customerEmail") = ${email}
        UNION ALL
        SELECT "visitorId", 'form_email' FROM "Conversation"
        WHERE form IS NOT NULL AND jsonb_typeof(form -> 'slots') = 'object' AND lower(form -> 'slots' ->> 'email') = ${email}
        UNION ALL
        SELECT c."visitorId", 'message_email' FROM "Message" m JOIN "Conversation" c ON c.id = m."conversationId"
        WHERE m.role = 'visitor' AND m.entities IS NOT NULL AND m.entities <> '[]'::jsonb AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(m.entities) = 'array' THEN m.entities ELSE '[]'::jsonb END) entity
          WHERE entity ->> 'type' = 'email' AND lower(entity ->> 'value') = ${email})`;
    }
  }
}

/**
 * Removes the content of these conversations and keeps their rows, anonymous. The rows are locked
 * first (FOR UPDATE, in id order), so that a message being stored in one of them right now is
 * committed first, and erased with the rest; afterwards nothing is stored in an erased conversation
 * (ChatStore checks `erasedAt` under a lock that waits for this one).
 */
async function eraseConversationContent(tx: Tx, conversationIds: string[]): Promise<Omit<ErasureCounts, 'visitors' | 'conversations'>> {
  const ids = conversationIds.map((id) => id.toLowerCase()).sort();
  if (ids.length === 0) return { messages: 0, feedback: 0, labels: 0, harvestedAnswers: 0, evaluationExamples: 0 };
  await tx.$queryRaw`SELECT id FROM "Conversation" WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  // Before any of their rows is deleted: an admin's discovery decision may hold a run's row while it
  // labels these messages, and must not wait for this erasure's deletes while the erasure waits for it.
  await eraseFromDiscoveryRuns(tx, ids);
  const ofMessages = (table: 'Feedback' | 'IntentLabel' | 'EvaluationExample') =>
    tx.$executeRaw`DELETE FROM ${Prisma.raw(`"${table}"`)} WHERE "messageId" IN (SELECT id FROM "Message" WHERE "conversationId" = ANY(${ids}::uuid[]))`;
  const feedback = await ofMessages('Feedback');
  const labels = await ofMessages('IntentLabel');
  const evaluationExamples = await ofMessages('EvaluationExample');
  // Harvested answers stay as removed, empty rows: every server's index drops them on the reuse channel.
  const answers = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE "KnowledgeChunk" SET "deletedAt" = COALESCE("deletedAt", now()), question = NULL, text = '', title = NULL,
      "contentHash" = 'erased:' || id::text, encoder = NULL, embedding = NULL, "titleEmbedding" = NULL, "reuseStatus" = 'rejected'
    WHERE kind = 'agent_answer' AND ${HARVESTED_FROM} = ANY(${ids}::text[])
    RETURNING id::text AS id`;
  if (answers.length > 0) await tx.$executeRaw`SELECT pg_notify(${REUSE_CHANNEL}, id) FROM unnest(${answers.map((row) => row.id)}::text[]) AS id`;
  const messages = await tx.$executeRaw`DELETE FROM "Message" WHERE "conversationId" = ANY(${ids}::uuid[])`;
  // Agents' notes and the files sent (issue 20): the Postgres blob store's bytes go in this transaction.
  await tx.$executeRaw`DELETE FROM "ConversationNote" WHERE "conversationId" = ANY(${ids}::uuid[])`;
  await tx.$executeRaw`
    DELETE FROM "AttachmentBlob" WHERE key IN (SELECT "blobKey" FROM "Attachment" WHERE "conversationId" = ANY(${ids}::uuid[]))`;
  await tx.$executeRaw`DELETE FROM "Attachment" WHERE "conversationId" = ANY(${ids}::uuid[])`;
  await tx.$executeRaw`
    UPDATE "Conversation" SET "erasedAt" = now(), status = 'resolved', "resolvedAt" = COALESCE("resolvedAt", now()), "waitingSince" = NULL,
      "consecutiveFallbacks" = 0, page = NULL, "userAgent" = NULL, "customerId" = NULL, "customerEmail" = NULL, "customerName" = NULL, form = NULL, "followupEmail" = NULL
    WHERE id = ANY(${ids}::uuid[])`;
  return { messages, feedback, labels, harvestedAnswers: answers.length, evaluationExamples };
}

/** A bot reply retrieved from another conversation's agent answer names that conversation in its source: not this visitor's data. */
function withoutOtherConversations(details: Prisma.JsonValue): Prisma.JsonValue {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return details;
  const retrieval = details.retrieval;
  if (!retrieval || typeof retrieval !== 'object' || Array.isArray(retrieval) || retrieval.kind !== 'agent_answer') return details;
  const { source: _source, ...rest } = retrieval;
  return { ...details, retrieval: rest };
}
