import { z } from 'zod';
import type { ConversationFilters } from '../store/workspace-store.ts';
import { AUDIT_ACTIONS } from '../store/audit-store.ts';
import { parsePayload } from '../protocol/payloads.ts';
import type { AgentPrincipal } from './auth.ts';

/** What agents send, validated the same way over REST and over the `/agent` namespace. */
export const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');

const STATUSES = ['bot', 'waiting_for_agent', 'agent', 'resolved'] as const;

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes');

const date = z.union([z.string().max(40), z.number()]).transform((value, context) => {
  // A bare date (2026-11-23) means that whole day in UTC.
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    context.addIssue({ code: 'custom', message: 'must be an ISO date or time' });
    return z.NEVER;
  }
  return parsed;
});

export const filtersPayload = z.object({
  status: z
    .union([z.array(z.enum(STATUSES)), z.string().max(200)])
    .optional()
    .transform((value, context) => {
      if (value === undefined) return undefined;
      const list = Array.isArray(value) ? value : value.split(',').map((item) => item.trim()).filter(Boolean);
      for (const item of list) {
        if (!(STATUSES as readonly string[]).includes(item)) {
          context.addIssue({ code: 'custom', message: `unknown status "${item.slice(0, 32)}"` });
          return z.NEVER;
        }
      }
      return list as ConversationFilters['status'];
    }),
  from: date.optional(),
  to: date.optional(),
  lowConfidence: flag.optional(),
  fallback: flag.optional(),
  negativeFeedback: flag.optional(),
  handedOver: flag.optional(),
  assignee: z.union([z.literal('me'), uuid]).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});

/** Query-string or socket filters → store filters. A date-only `to` includes that whole day. */
export function conversationFilters(payload: unknown, principal: AgentPrincipal): ConversationFilters {
  const input = parsePayload(filtersPayload, payload);
  const raw = (payload ?? {}) as { to?: unknown };
  let to = input.to;
  if (to && typeof raw.to === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw.to)) to = new Date(to.getTime() + 24 * 3600_000 - 1);
  const filters: ConversationFilters = {};
  if (input.status) filters.status = input.status;
  if (input.from) filters.from = input.from;
  if (to) filters.to = to;
  if (input.lowConfidence) filters.lowConfidence = true;
  if (input.fallback) filters.fallback = true;
  if (input.negativeFeedback) filters.negativeFeedback = true;
  if (input.handedOver) filters.handedOver = true;
  if (input.assignee) filters.assigneeId = input.assignee === 'me' ? principal.id : input.assignee;
  if (input.q && input.q.trim()) filters.q = input.q;
  if (input.limit) filters.limit = input.limit;
  if (input.cursor) filters.cursor = input.cursor;
  return filters;
}

/** `GET /api/agent/audit`: filters and keyset pagination (`before`: the `nextCursor` of the previous page). */
export const auditQuery = z.object({
  action: z.enum(AUDIT_ACTIONS).optional(),
  actorId: uuid.optional(),
  targetId: z.string().min(1).max(200).optional(),
  before: z.string().regex(/^[1-9]\d{0,18}$/, 'must be a nextCursor').optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
