import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { DatabaseUnavailableError, guarded } from './errors.ts';

/**
 * A raw query's connection failure arrives as P2010 "Raw query failed … Can't reach database server",
 * which `isConnectionFailure` does not know: without this, a message sent during an outage was
 * answered INTERNAL instead of DATABASE_UNAVAILABLE (test/gateway/database-outage.test.ts).
 */
async function raw<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'P2010' && typeof message === 'string' && /can't reach database server|connection (terminated|closed|refused)|ECONNREFUSED|ECONNRESET|shutting down|starting up/i.test(message)) {
      throw new DatabaseUnavailableError(error);
    }
    throw error;
  }
}
import type { Conversation, Message } from '../generated/prisma/client.ts';
import type { ConversationStatus, MessageRole, ReplySource, Rating } from '../generated/prisma/enums.ts';

export type { Conversation, Message, ConversationStatus, MessageRole, ReplySource, Rating };

export interface BotReplyInput {
  conversationId: string;
  replyToId: string;
  text: string;
  source: ReplySource;
  intent?: string | null;
  confidence?: number | null;
  modelVersionId?: string | null;
  latencyMs?: number | null;
  /** JSON-serialisable extras: suggestions, the retrieval source, the model's ranking. */
  details?: object;
  /** The conversation state after this reply, written in the same transaction. */
  nextState: { status: ConversationStatus; consecutiveFallbacks: number };
}

/** Postgres-backed persistence of visitors, conversations, messages and feedback. */
export class ChatStore {
  constructor(private readonly prisma: PrismaClient) {}

  async touchVisitor(visitorId: string): Promise<void> {
    await guarded(() =>
      this.prisma.visitor.upsert({
        where: { id: visitorId },
        create: { id: visitorId },
        update: { lastSeenAt: new Date() },
      }),
    );
  }

  /** The visitor's open conversation, or a new one when every earlier conversation is resolved. */
  async openConversation(visitorId: string): Promise<Conversation> {
    return guarded(async () => {
      const open = await this.prisma.conversation.findFirst({
        where: { visitorId, status: { not: 'resolved' } },
        orderBy: { createdAt: 'desc' },
      });
      return open ?? this.prisma.conversation.create({ data: { id: randomUUID(), visitorId } });
    });
  }

  async conversation(conversationId: string): Promise<Conversation | null> {
    return guarded(() => this.prisma.conversation.findUnique({ where: { id: conversationId } }));
  }

  /**
   * Stores a visitor message. The clientId is the idempotency key: a repeat returns the stored
   * message with `created: false` and writes nothing.
   */
  async appendVisitorMessage(input: { conversationId: string; clientId: string; text: string }): Promise<{ message: Message; created: boolean }> {
    return guarded(async () => {
      // One statement, one round trip (issue 8, bench:load): it was a lookup plus a four-statement
      // transaction, and under load those round trips held the pool's connections. The insert is
      // skipped on a repeated clientId, and the conversation is touched only when a row was added.
      const rows = await raw(() => this.prisma.$queryRaw<Array<Message & { created: boolean }>>`
        WITH inserted AS (
          INSERT INTO "Message" (id, "conversationId", role, "clientId", text)
          VALUES (${randomUUID()}::uuid, ${input.conversationId}::uuid, 'visitor'::"MessageRole", ${input.clientId}, ${input.text})
          ON CONFLICT ("conversationId", "clientId") DO NOTHING
          RETURNING *
        ), touched AS (
          UPDATE "Conversation" SET "updatedAt" = now()
          WHERE id = ${input.conversationId}::uuid AND EXISTS (SELECT 1 FROM inserted)
          RETURNING id
        )
        SELECT inserted.*, true AS created FROM inserted
        UNION ALL
        SELECT m.*, false AS created FROM "Message" m
        WHERE m."conversationId" = ${input.conversationId}::uuid AND m."clientId" = ${input.clientId} AND NOT EXISTS (SELECT 1 FROM inserted)`);
      const row = rows[0];
      if (row) {
        const { created, ...message } = row;
        return { message: message as Message, created };
      }
      // Two sends of the same clientId raced: the other one committed after this statement's
      // snapshot was taken, so its row is read again.
      const winner = await this.findByClientId(input.conversationId, input.clientId);
      if (!winner) throw new Error('a visitor message was neither stored nor found');
      return { message: winner, created: false };
    });
  }

  private findByClientId(conversationId: string, clientId: string): Promise<Message | null> {
    return this.prisma.message.findUnique({ where: { conversationId_clientId: { conversationId, clientId } } });
  }

  /** The bot's or an agent's reply to a visitor message, if one was stored. */
  async replyTo(messageId: string): Promise<Message | null> {
    // Not `findFirst({ orderBy: { seq: 'asc' } })`: with ORDER BY seq LIMIT 1 the planner walks the
    // whole "Message_seq_key" index filtering on replyToId (EXPLAIN: 7,600 rows read for one reply,
    // linear in the table; found under bench:load). A message has one or two replies: fetch them by
    // the replyToId index and take the earliest here.
    return guarded(async () => {
      const replies = await this.prisma.message.findMany({ where: { replyToId: messageId } });
      return replies.reduce<Message | null>((first, reply) => (first === null || reply.seq < first.seq ? reply : first), null);
    });
  }

  /**
   * Visitor messages the bot has not answered yet (oldest first): those without a reply, unless an
   * agent spoke after them (an agent's reply answers everything the visitor said before it) or the bot
   * answered a later visitor message (the bot skipped this one on purpose, e.g. while an agent had it).
   *
   * Fixed under the kill -9 test (issue 8): this used to cut off at the last bot or agent message of
   * any kind, but the reply to message N is often stored after message N+1 was acknowledged; a crash
   * then left N+1 acknowledged and never answered, because N's later reply hid it.
   */
  async unansweredVisitorMessages(conversationId: string): Promise<Message[]> {
    return guarded(() =>
      raw(() => this.prisma.$queryRaw<Message[]>`
        SELECT m.* FROM "Message" m
        WHERE m."conversationId" = ${conversationId}::uuid AND m.role = 'visitor'
          AND NOT EXISTS (SELECT 1 FROM "Message" r WHERE r."replyToId" = m.id)
          AND NOT EXISTS (SELECT 1 FROM "Message" a WHERE a."conversationId" = m."conversationId" AND a.role = 'agent' AND a.seq > m.seq)
          AND NOT EXISTS (
            SELECT 1 FROM "Message" b JOIN "Message" v ON v.id = b."replyToId"
            WHERE b."conversationId" = m."conversationId" AND b.role = 'bot' AND v.seq > m.seq)
        ORDER BY m.seq ASC`),
    );
  }

  /**
   * Stores a bot reply and the conversation's next state, unless an agent took the conversation
   * over while the reply was being composed: then nothing is written and null is returned.
   */
  async appendBotReply(input: BotReplyInput): Promise<Message | null> {
    const handedOver = input.nextState.status === 'waiting_for_agent';
    const details = input.details === undefined ? null : JSON.stringify(input.details);
    // One statement, one round trip (issue 8, bench:load; it was a four-statement transaction): the
    // reply is inserted only if the conditional state update matched, atomically.
    return guarded(async () => {
      const rows = await raw(() => this.prisma.$queryRaw<Message[]>`
        WITH updated AS (
          UPDATE "Conversation" SET
            status = ${input.nextState.status}::"ConversationStatus",
            "consecutiveFallbacks" = ${input.nextState.consecutiveFallbacks}::int,
            "waitingSince" = CASE WHEN ${handedOver}::boolean THEN now() ELSE "waitingSince" END,
            "updatedAt" = now()
          WHERE id = ${input.conversationId}::uuid AND status IN ('bot', 'resolved')
          RETURNING id
        )
        INSERT INTO "Message" (id, "conversationId", role, text, "replyToId", source, intent, confidence, "modelVersionId", "latencyMs", details)
        SELECT ${randomUUID()}::uuid, updated.id, 'bot'::"MessageRole", ${input.text}, ${input.replyToId}::uuid, ${input.source}::"ReplySource",
               ${input.intent ?? null}, ${input.confidence ?? null}::double precision, ${input.modelVersionId ?? null}::uuid,
               ${input.latencyMs ?? null}::double precision, ${details}::jsonb
        FROM updated
        RETURNING *`);
      return rows[0] ?? null;
    });
  }

  async history(conversationId: string, limit = 500): Promise<Message[]> {
    return guarded(async () => {
      const newestFirst = await this.prisma.message.findMany({ where: { conversationId }, orderBy: { seq: 'desc' }, take: limit });
      return newestFirst.reverse();
    });
  }

  async message(messageId: string): Promise<Message | null> {
    return guarded(() => this.prisma.message.findUnique({ where: { id: messageId } }));
  }

  /** Stores the visitor's satisfaction score (the last one wins) and resolves the conversation. */
  async rateAndResolve(conversationId: string, score: number): Promise<void> {
    await guarded(() =>
      this.prisma.conversation.update({ where: { id: conversationId }, data: { csat: score, status: 'resolved', resolvedAt: new Date() } }),
    );
  }

  async setFeedback(messageId: string, rating: Rating): Promise<void> {
    await guarded(() =>
      this.prisma.feedback.upsert({
        where: { messageId },
        create: { id: randomUUID(), messageId, rating },
        update: { rating },
      }),
    );
  }
}
