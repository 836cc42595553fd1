import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';
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
  constructor(private readonly prisma: PrismaClient) {}

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

  /** The follow-up, the queue position (1: next; null when it does not wait) and the language the visitor's client sent. */
  async waiting(conversationId: string): Promise<{ followup: FollowupState; position: number | null; language: string | null }> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ asked: boolean; email: string | null; position: number | null; language: string | null }>>`
        SELECT (c."followupAskedAt" IS NOT NULL AND c."waitingSince" IS NOT NULL AND c."followupAskedAt" >= c."waitingSince") AS asked,
          c."followupEmail" AS email, c.language,
          CASE WHEN c.status = 'waiting_for_agent' THEN (
            SELECT count(*)::int FROM "Conversation" o
            WHERE o.status = 'waiting_for_agent' AND o."erasedAt" IS NULL AND (o."waitingSince", o.id) <= (c."waitingSince", c.id)
          ) END AS position
        FROM "Conversation" c WHERE c.id = ${conversationId}::uuid`;
      const row = rows[0];
      return { followup: { asked: row?.asked ?? false, email: row?.email ?? null }, position: row?.position ?? null, language: row?.language ?? null };
    });
  }

  /** Notes that the bot asked for an e-mail address in the current wait. */
  async markAsked(conversationId: string): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`UPDATE "Conversation" SET "followupAskedAt" = now() WHERE id = ${conversationId}::uuid AND "erasedAt" IS NULL`);
  }

  /**
   * A bot message while the conversation waits for an agent (an acknowledgement, the e-mail
   * question or its answer), with the follow-up change; null when it no longer waits (an agent
   * took it meanwhile), and then nothing is written.
   */
  async appendWaitingReply(input: { conversationId: string; replyToId: string | null; text: string; details?: object; followup?: { ask: true } | { email: string } | undefined }): Promise<Message | null> {
    const id = randomUUID();
    const ask = input.followup !== undefined && 'ask' in input.followup;
    const email = input.followup !== undefined && 'email' in input.followup ? input.followup.email : null;
    const details = input.details === undefined ? null : JSON.stringify(input.details);
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<Message[]>`
        WITH updated AS (
          UPDATE "Conversation" SET "updatedAt" = now(),
            "followupAskedAt" = CASE WHEN ${ask} THEN now() ELSE "followupAskedAt" END,
            "followupEmail" = COALESCE(${email}::text, "followupEmail")
          WHERE id = ${input.conversationId}::uuid AND status = 'waiting_for_agent' AND "erasedAt" IS NULL
          RETURNING id
        )
        INSERT INTO "Message" (id, "conversationId", role, text, "replyToId", source, details)
        SELECT ${id}::uuid, u.id, 'bot'::"MessageRole", ${input.text}, ${input.replyToId}::uuid, 'handoff'::"ReplySource", ${details}::jsonb
        FROM updated u
        RETURNING *`;
      return rows[0] ?? null;
    });
  }

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
