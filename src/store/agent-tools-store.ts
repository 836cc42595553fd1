import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded, isUniqueViolation as isPrismaUniqueViolation } from './errors.ts';

export interface CannedReplyRow {
  id: string;
  shortcut: string;
  text: string;
  ownerId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NoteRow {
  id: string;
  conversationId: string;
  agentId: string;
  agentName: string;
  text: string;
  createdAt: Date;
}

/** What a canned reply's variables are filled from: the conversation's visitor, customer, form and entities. */
export interface CannedContextRow {
  visitorName: string | null;
  visitorEmail: string | null;
  customerName: string | null;
  customerEmail: string | null;
  customerId: string | null;
  language: string | null;
  form: unknown;
  /** The visitor messages' entities, oldest first. */
  entities: unknown[];
}

export class ShortcutExistsError extends Error {
  readonly code = 'SHORTCUT_EXISTS';
  constructor(shortcut: string) {
    super(`A canned reply /${shortcut} exists already.`);
  }
}

/** Canned replies and internal notes, in Postgres ("CannedReply", "ConversationNote"). */
export class AgentToolsStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** The shared canned replies and the agent's own, by shortcut. */
  cannedReplies(agentId: string): Promise<CannedReplyRow[]> {
    return guarded(() =>
      this.prisma.$queryRaw<CannedReplyRow[]>`
        SELECT id::text, shortcut, text, "ownerId"::text AS "ownerId", "createdAt", "updatedAt" FROM "CannedReply"
        WHERE "ownerId" IS NULL OR "ownerId" = ${agentId}::uuid ORDER BY lower(shortcut), "ownerId" NULLS LAST`,
    );
  }

  async cannedReply(id: string): Promise<CannedReplyRow | null> {
    const rows = await guarded(() =>
      this.prisma.$queryRaw<CannedReplyRow[]>`
        SELECT id::text, shortcut, text, "ownerId"::text AS "ownerId", "createdAt", "updatedAt" FROM "CannedReply" WHERE id = ${id}::uuid`,
    );
    return rows[0] ?? null;
  }

  async createCannedReply(input: { shortcut: string; text: string; ownerId: string | null }): Promise<CannedReplyRow> {
    try {
      const rows = await guarded(() =>
        this.prisma.$queryRaw<CannedReplyRow[]>`
          INSERT INTO "CannedReply" (id, shortcut, text, "ownerId") VALUES (${randomUUID()}::uuid, ${input.shortcut}, ${input.text}, ${input.ownerId}::uuid)
          RETURNING id::text, shortcut, text, "ownerId"::text AS "ownerId", "createdAt", "updatedAt"`,
      );
      return rows[0]!;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ShortcutExistsError(input.shortcut);
      throw error;
    }
  }

  async updateCannedReply(id: string, changes: { shortcut?: string | undefined; text?: string | undefined }): Promise<CannedReplyRow | null> {
    try {
      const rows = await guarded(() =>
        this.prisma.$queryRaw<CannedReplyRow[]>`
          UPDATE "CannedReply" SET shortcut = COALESCE(${changes.shortcut ?? null}, shortcut), text = COALESCE(${changes.text ?? null}, text), "updatedAt" = now()
          WHERE id = ${id}::uuid RETURNING id::text, shortcut, text, "ownerId"::text AS "ownerId", "createdAt", "updatedAt"`,
      );
      return rows[0] ?? null;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ShortcutExistsError(changes.shortcut ?? '');
      throw error;
    }
  }

  async deleteCannedReply(id: string): Promise<boolean> {
    return (await guarded(() => this.prisma.$executeRaw`DELETE FROM "CannedReply" WHERE id = ${id}::uuid`)) > 0;
  }

  /** The conversation's notes, oldest first; null when there is no such conversation (or it was erased). */
  async notes(conversationId: string): Promise<NoteRow[] | null> {
    return guarded(async () => {
      if (!(await this.conversationExists(conversationId))) return null;
      return this.prisma.$queryRaw<NoteRow[]>`
        SELECT n.id::text, n."conversationId"::text AS "conversationId", n."agentId"::text AS "agentId", a.name AS "agentName", n.text, n."createdAt"
        FROM "ConversationNote" n JOIN "Agent" a ON a.id = n."agentId"
        WHERE n."conversationId" = ${conversationId}::uuid ORDER BY n."createdAt", n.id`;
    });
  }

  /** Adds a note; null when there is no such conversation (or it was erased). */
  async addNote(input: { conversationId: string; agentId: string; text: string }): Promise<NoteRow | null> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        // Locked, so that an erasure running now either sees this note or refuses it (erasedAt).
        const [conversation] = await tx.$queryRaw<Array<{ erasedAt: Date | null }>>`
          SELECT "erasedAt" FROM "Conversation" WHERE id = ${input.conversationId}::uuid FOR UPDATE`;
        if (!conversation || conversation.erasedAt) return null;
        const rows = await tx.$queryRaw<NoteRow[]>`
          INSERT INTO "ConversationNote" (id, "conversationId", "agentId", text) VALUES (${randomUUID()}::uuid, ${input.conversationId}::uuid, ${input.agentId}::uuid, ${input.text})
          RETURNING id::text, "conversationId"::text AS "conversationId", "agentId"::text AS "agentId", '' AS "agentName", text, "createdAt"`;
        return rows[0] ?? null;
      }),
    );
  }

  async cannedContext(conversationId: string): Promise<CannedContextRow | null> {
    return guarded(async () => {
      const rows = await this.prisma.$queryRaw<CannedContextRow[]>`
        SELECT v.name AS "visitorName", v.email AS "visitorEmail", c."customerName", c."customerEmail", c."customerId", c.language, c.form,
          COALESCE((SELECT jsonb_agg(m.entities ORDER BY m.seq) FROM "Message" m
                    WHERE m."conversationId" = c.id AND m.role = 'visitor' AND jsonb_typeof(m.entities) = 'array'), '[]'::jsonb) AS entities
        FROM "Conversation" c JOIN "Visitor" v ON v.id = c."visitorId"
        WHERE c.id = ${conversationId}::uuid AND c."erasedAt" IS NULL`;
      return rows[0] ?? null;
    });
  }

  private async conversationExists(conversationId: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM "Conversation" WHERE id = ${conversationId}::uuid AND "erasedAt" IS NULL`;
    return rows.length > 0;
  }
}

/** A unique violation from Prisma's own queries (P2002) or from a raw query (SQLSTATE 23505, however wrapped). */
function isUniqueViolation(error: unknown): boolean {
  if (isPrismaUniqueViolation(error)) return true;
  const text = JSON.stringify(error, Object.getOwnPropertyNames(error ?? {})) ?? '';
  return /23505|UniqueConstraintViolation|duplicate key value/.test(text);
}
