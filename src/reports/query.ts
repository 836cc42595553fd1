import { z } from 'zod';
import { REPORT_GROUPINGS, type ReportGrouping, type ReportRange } from '../store/report-store.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';

/** The longest range one report covers, and the range of a report that names none (the last 30 days). */
export const MAX_REPORT_DAYS = 366;
export const DEFAULT_REPORT_DAYS = 30;
const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

const moment = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be an ISO date (2026-11-23) or a time with its offset (2026-11-23T08:00:00Z)',
});

/** `GET /api/agent/reports` query parameters. */
export const reportQuery = z.object({
  from: moment.optional(),
  to: moment.optional(),
  groupBy: z.enum(REPORT_GROUPINGS, { error: `must be one of ${REPORT_GROUPINGS.join(', ')}` }).default('day'),
  format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
});

export interface ReportRequest {
  range: ReportRange;
  groupBy: ReportGrouping;
  format: 'json' | 'csv';
}

/**
 * Validates a report's parameters: `from` and `to` are ISO dates or times (a date is that day's start
 * in UTC; a date-only `to` includes its whole day), by default the 30 days up to now; `from` must be
 * before `to`, at most 366 days apart (`INVALID_RANGE`). Anything else malformed is `INVALID_PAYLOAD`.
 */
export function parseReportQuery(payload: unknown, now = new Date()): ReportRequest {
  const input = parsePayload(reportQuery, payload ?? {});
  const to = input.to === undefined ? now : new Date(DATE_ONLY.test(input.to) ? Date.parse(input.to) + DAY_MS : Date.parse(input.to));
  const from = input.from === undefined ? new Date(to.getTime() - DEFAULT_REPORT_DAYS * DAY_MS) : new Date(input.from);
  if (from.getTime() >= to.getTime()) throw new ProtocolError('INVALID_RANGE', '`from` must be before `to`.');
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) {
    throw new ProtocolError('INVALID_RANGE', `A report covers at most ${MAX_REPORT_DAYS} days; ask for a shorter range.`);
  }
  return { range: { from, to }, groupBy: input.groupBy, format: input.format };
}
