import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { Prisma } from './prisma.ts';
import { guarded } from './errors.ts';

/**
 * Who acted: an agent or admin (by id, named by their sign-in e-mail), a CLI command (named by the
 * operating-system user who ran it), or the server itself (named by its job: retention, retraining).
 */
export type AuditActor = { kind: 'agent'; id: string; name: string } | { kind: 'cli'; name: string } | { kind: 'system'; name: string };

/** Every action the audit log records; `GET /api/agent/audit?action=` filters by one. */
export const AUDIT_ACTIONS = [
  'agent.sign_in',
  'agent.sign_out',
  'agent.sign_in_failed',
  'agent.create',
  'agent.update',
  'conversation.take_over',
  'conversation.release',
  'conversation.hand_back',
  'conversation.resolve',
  'conversation.request_agent',
  'conversation.reply',
  'conversation.review',
  'conversation.note',
  'conversation.attachment',
  'canned_reply.create',
  'canned_reply.change',
  'canned_reply.delete',
  'label.set',
  'label.remove',
  'answer.approve',
  'answer.reject',
  'catalogue.edit',
  'action.run',
  'training_examples.read',
  'training_examples.export',
  'visitor.export',
  'visitor.erase',
  'retention.erase',
  'model.promote',
  'model.rollback',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Details are ids, counts, names of intents and the like: never a visitor's text (an erasure must leave none behind). */
export type AuditDetails = Record<string, Prisma.InputJsonValue | null>;

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  target?: { kind: string; id: string } | null;
  details?: AuditDetails;
}

export interface AuditEventView {
  id: string;
  /** The event's place in the log (a decimal string); `before` of the next page. */
  seq: string;
  at: string;
  actor: { kind: AuditActor['kind']; id: string | null; name: string };
  action: string;
  target: { kind: string; id: string } | null;
  details: Prisma.JsonValue;
}

export interface AuditFilter {
  action?: AuditAction | undefined;
  actorId?: string | undefined;
  targetId?: string | undefined;
  /** Keyset pagination: events older than this `seq`. */
  before?: string | undefined;
  limit?: number | undefined;
}

/** The statement that appends one event, for a caller's own transaction (`tx.$executeRaw(auditInsert(entry))`). */
export function auditInsert(entry: AuditEntry): Prisma.Sql {
  const { actor, target } = entry;
  const details = entry.details === undefined ? null : JSON.stringify(entry.details);
  return Prisma.sql`
    INSERT INTO "AuditEvent" (id, "actorKind", "actorId", "actorName", action, "targetKind", "targetId", details)
    VALUES (${randomUUID()}::uuid, ${actor.kind}, ${actor.kind === 'agent' ? actor.id : null}::uuid, ${actor.name}, ${entry.action},
      ${target?.kind ?? null}, ${target?.id ?? null}, ${details}::jsonb)`;
}

const MAX_PAGE = 500;

/** The audit log in Postgres: appended to, read by admins, never changed (the database refuses it). */
export class AuditStore {
  constructor(private readonly prisma: PrismaClient) {}

  async record(entry: AuditEntry): Promise<void> {
    await guarded(() => this.prisma.$executeRaw(auditInsert(entry)));
  }

  /** Newest first. */
  async list(filter: AuditFilter = {}): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit ?? 100)), MAX_PAGE);
    const conditions: Prisma.Sql[] = [];
    if (filter.action) conditions.push(Prisma.sql`action = ${filter.action}`);
    if (filter.actorId) conditions.push(Prisma.sql`"actorId" = ${filter.actorId}::uuid`);
    if (filter.targetId) conditions.push(Prisma.sql`"targetId" = ${filter.targetId}`);
    if (filter.before) conditions.push(Prisma.sql`seq < ${BigInt(filter.before)}`);
    const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
    const rows = await guarded(() =>
      this.prisma.$queryRaw<Array<{ id: string; seq: bigint; createdAt: Date; actorKind: AuditActor['kind']; actorId: string | null; actorName: string; action: string; targetKind: string | null; targetId: string | null; details: Prisma.JsonValue }>>`
        SELECT id, seq, "createdAt", "actorKind", "actorId", "actorName", action, "targetKind", "targetId", details
        FROM "AuditEvent" ${where} ORDER BY seq DESC LIMIT ${limit + 1}`,
    );
    const page = rows.slice(0, limit);
    const events = page.map((row) => ({
      id: row.id,
      seq: row.seq.toString(),
      at: row.createdAt.toISOString(),
      actor: { kind: row.actorKind, id: row.actorId, name: row.actorName },
      action: row.action,
      target: row.targetKind !== null && row.targetId !== null ? { kind: row.targetKind, id: row.targetId } : null,
      details: row.details,
    }));
    return { events, nextCursor: rows.length > limit ? (events.at(-1)?.seq ?? null) : null };
  }
}
