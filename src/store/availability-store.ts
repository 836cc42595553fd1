import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { sqlPool, type PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';
import { batched, messageColumns, prepared, toMessage, type BatchedStatement, type MessageRow } from './chat-store.ts';
import type { Message } from '../generated/prisma/client.ts';

/** The offline follow-up of a conversation (src/availability). */
export interface FollowupState {
  /** The bot asked for an e-mail address during the current wait for an agent. */
  asked: boolean;
  email: string | null;
}

/**
 * Agents' presence (one row per open console connection, shared by every process on the database)
 * and the conversations' offline follow-up: the e-mail address, the queue position, the bot's
 * notes while a conversation waits for an agent.
 */
export class AvailabilityStore {
  /** The pool under `prisma`, for the statements every message of a waiting conversation runs (`prepared`). */
  private readonly sql: pg.Pool;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: { onBatch?: (statement: BatchedStatement, size: number) => void } = {},
  ) {
    this.sql = sqlPool(prisma);
  }

  /**
   * Records an open console connection. It starts as the agent's other live connections are
   * (available when any is), else available: opening the console is coming to work.
   */
  async connect(socketId: string, agentId: string, staleBefore: Date): Promise<boolean> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ available: boolean }>>`
        INSERT INTO "AgentPresence" ("socketId", "agentId", available, "lastSeenAt")
        SELECT ${socketId}, ${agentId}::uuid, COALESCE(
          (SELECT bool_or(available) FROM "AgentPresence" WHERE "agentId" = ${agentId}::uuid AND "lastSeenAt" >= ${staleBefore}), true), now()
        ON CONFLICT ("socketId") DO UPDATE SET "lastSeenAt" = now()
        RETURNING available`;
      return rows[0]?.available ?? true;
    });
  }

  /** The agent's every connection says available, or away. */
  async setAvailable(agentId: string, available: boolean): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`UPDATE "AgentPresence" SET available = ${available}, "lastSeenAt" = now() WHERE "agentId" = ${agentId}::uuid`);
  }

  /** The process's open connections are alive (a heartbeat). */
  async touch(socketIds: readonly string[]): Promise<void> {
    if (socketIds.length === 0) return;
    await guarded(() => this.prisma.$executeRaw`UPDATE "AgentPresence" SET "lastSeenAt" = now() WHERE "socketId" = ANY(${[...socketIds]}::text[])`);
  }

  async disconnect(socketId: string): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`DELETE FROM "AgentPresence" WHERE "socketId" = ${socketId}`);
  }

  /** Rows of connections not seen since `staleBefore` (their process died) are removed. */
  async removeStale(staleBefore: Date): Promise<number> {
    return guarded(() => this.prisma.$executeRaw`DELETE FROM "AgentPresence" WHERE "lastSeenAt" < ${staleBefore}`);
  }

  /** Agents with a live connection that says available (enabled accounts only). */
  async availableAgents(staleBefore: Date): Promise<number> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ count: number }>>`
        SELECT count(DISTINCT p."agentId")::int AS count FROM "AgentPresence" p JOIN "Agent" a ON a.id = p."agentId"
        WHERE p.available AND p."lastSeenAt" >= ${staleBefore} AND a."disabledAt" IS NULL`;
      return rows[0]?.count ?? 0;
    });
  }

  /** Whether the agent is available (any live connection says so). */
  async agentAvailable(agentId: string, staleBefore: Date): Promise<boolean> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ available: boolean | null }>>`
        SELECT bool_or(available) AS available FROM "AgentPresence" WHERE "agentId" = ${agentId}::uuid AND "lastSeenAt" >= ${staleBefore}`;
      return rows[0]?.available ?? false;
    });
  }

  /**
   * The follow-up, the queue position (1: next; null when it does not wait) and the language the
   * visitor's client sent. Every message of a waiting conversation reads it, so concurrent reads
   * share one named statement (issue 22, bench:load --forms).
   */
  readonly waiting = batched(async (conversationIds: string[]): Promise<Array<{ followup: FollowupState; position: number | null; language: string | null }>> => {
    const rows = await prepared<{ ord: string; asked: boolean | null; email: string | null; position: number | null; language: string | null }>(this.sql, 'waiting_state', `
      SELECT i.ord, (c."followupAskedAt" IS NOT NULL AND c."waitingSince" IS NOT NULL AND c."followupAskedAt" >= c."waitingSince") AS asked,
        c."followupEmail" AS email, c.language,
        CASE WHEN c.status = 'waiting_for_agent' THEN (
          SELECT count(*)::int FROM "Conversation" o
          WHERE o.status = 'waiting_for_agent' AND o."erasedAt" IS NULL AND (o."waitingSince", o.id) <= (c."waitingSince", c.id)
        ) END AS position
      FROM unnest($1::uuid[]) WITH ORDINALITY AS i(conv, ord)
      LEFT JOIN "Conversation" c ON c.id = i.conv
      ORDER BY i.ord`, [conversationIds]);
    return rows.map((row) => ({ followup: { asked: row.asked ?? false, email: row.email }, position: row.position, language: row.language }));
  }, (size) => this.options.onBatch?.('waiting', size));

  /** Notes that the bot asked for an e-mail address in the current wait. */
  async markAsked(conversationId: string): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`UPDATE "Conversation" SET "followupAskedAt" = now() WHERE id = ${conversationId}::uuid AND "erasedAt" IS NULL`);
  }

  /**
   * A bot message while the conversation waits for an agent (an acknowledgement, the e-mail
   * question or its answer), with the follow-up change; null when it no longer waits (an agent
   * took it meanwhile), and then nothing is written. Concurrent calls share one named statement and
   * one commit (issue 22, bench:load --forms); one batch holds at most one message per conversation,
   * as the dialogue service writes a conversation's messages one at a time.
   */
  readonly appendWaitingReply = batched(async (inputs: Array<{ conversationId: string; replyToId: string | null; text: string; details?: object; followup?: { ask: true } | { email: string } | undefined }>): Promise<Array<Message | null>> => {
    const ids = inputs.map(() => randomUUID());
    const rows = await prepared<MessageRow>(this.sql, 'append_waiting_replies', `
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::jsonb[], $6::boolean[], $7::text[])
          WITH ORDINALITY AS t(id, conv, text, "replyToId", details, ask, email, ord)
      ), locked AS (
        -- In id order, as ChatStore.appendBotReply says why.
        SELECT id FROM "Conversation" WHERE id = ANY ($2::uuid[]) ORDER BY id FOR NO KEY UPDATE
      ), updated AS (
        UPDATE "Conversation" c SET "updatedAt" = now(),
          "followupAskedAt" = CASE WHEN i.ask THEN now() ELSE c."followupAskedAt" END,
          "followupEmail" = COALESCE(i.email, c."followupEmail")
        FROM input i JOIN locked l ON l.id = i.conv
        -- num_nulls rather than IS NULL, as in ChatStore.appendBotReply.
        WHERE c.id = i.conv AND c.status = 'waiting_for_agent' AND num_nulls(c."erasedAt") = 1
        RETURNING c.id
      )
      INSERT INTO "Message" (id, "conversationId", role, text, "replyToId", source, details)
      SELECT i.id, i.conv, 'bot'::"MessageRole", i.text, i."replyToId", 'handoff'::"ReplySource", i.details
      FROM input i JOIN updated u ON u.id = i.conv
      ORDER BY i.ord
      RETURNING ${messageColumns('"Message"')}`, [
      ids,
      inputs.map((input) => input.conversationId),
      inputs.map((input) => input.text),
      inputs.map((input) => input.replyToId),
      inputs.map((input) => (input.details === undefined ? null : JSON.stringify(input.details))),
      inputs.map((input) => input.followup !== undefined && 'ask' in input.followup),
      inputs.map((input) => (input.followup !== undefined && 'email' in input.followup ? input.followup.email : null)),
    ]);
    const byId = new Map(rows.map((row) => [row.id, toMessage(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }, (size) => this.options.onBatch?.('append_waiting_reply', size));

  /** Conversations waiting since before `since` whose visitor was not asked for an e-mail address in this wait. */
  async longWaiting(since: Date, limit = 50): Promise<string[]> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT id::text AS id FROM "Conversation"
        WHERE status = 'waiting_for_agent' AND "erasedAt" IS NULL AND "waitingSince" < ${since}
          AND ("followupAskedAt" IS NULL OR "followupAskedAt" < "waitingSince")
        ORDER BY "waitingSince" LIMIT ${limit}`;
      return rows.map((row) => row.id);
    });
  }

  /** The address an agent's reply in the conversation is e-mailed to, and the conversation's language. */
  async followupAddress(conversationId: string): Promise<{ email: string; language: string | null } | null> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ email: string | null; language: string | null }>>`
        SELECT "followupEmail" AS email, language FROM "Conversation" WHERE id = ${conversationId}::uuid AND "erasedAt" IS NULL`;
      const row = rows[0];
      return row?.email ? { email: row.email, language: row.language } : null;
    });
  }
}
