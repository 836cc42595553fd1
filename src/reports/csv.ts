import { stringify } from 'csv-stringify/sync';
import type { Report, ReportFigures } from './report.ts';

/** The CSV columns: a header and how to read it from a group's figures. */
const COLUMNS: Array<[header: string, value: (figures: ReportFigures) => number | null]> = [
  ['conversations', (f) => f.conversations],
  ['visitor_messages', (f) => f.visitorMessages],
  ['bot_replies', (f) => f.botReplies],
  ['agent_messages', (f) => f.agentMessages],
  ['contained', (f) => f.contained],
  ['containment', (f) => f.containment],
  ['handoff_replies', (f) => f.handoffReplies],
  ['handoff_rate', (f) => f.handoffRate],
  ['clarifications', (f) => f.clarifications],
  ['clarification_rate', (f) => f.clarificationRate],
  ['retrievals', (f) => f.retrievals],
  ['retrieval_rate', (f) => f.retrievalRate],
  ['thumbs_up', (f) => f.thumbsUp],
  ['thumbs_down', (f) => f.thumbsDown],
  ['unanswered', (f) => f.unanswered],
  ['low_confidence', (f) => f.lowConfidence],
  ['csat_responses', (f) => f.csat.responses],
  ['csat_average', (f) => f.csat.average],
  ...[1, 2, 3, 4, 5].map((score): [string, (f: ReportFigures) => number] => [`csat_${score}`, (f) => f.csat.distribution[score - 1] ?? 0]),
  ['first_responses', (f) => f.firstResponseSeconds.count],
  ['first_response_median_s', (f) => f.firstResponseSeconds.median],
  ['first_response_p90_s', (f) => f.firstResponseSeconds.p90],
  ['resolutions', (f) => f.resolutionSeconds.count],
  ['resolution_median_s', (f) => f.resolutionSeconds.median],
  ['resolution_p90_s', (f) => f.resolutionSeconds.p90],
];

/** The label of the row with the whole range's figures (no intent, language or version is written with parentheses). */
export const TOTAL_ROW = '(total)';

/**
 * A report as CSV (RFC 4180, CRLF): one row per group, named in the first column after `groupBy`,
 * then the total; an empty cell where a figure has no value. A cell that a spreadsheet would take
 * for a formula (=, +, -, @) is written with a leading apostrophe.
 */
export function reportCsv(report: Report): string {
  const rows = [
    [report.groupBy, ...COLUMNS.map(([header]) => header)],
    ...report.groups.map((group) => [group.label, ...COLUMNS.map(([, value]) => value(group))]),
    [TOTAL_ROW, ...COLUMNS.map(([, value]) => value(report.total))],
  ];
  return stringify(rows, {
    record_delimiter: 'windows',
    cast: { string: (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value) },
  });
}

/** `frontdesk-report-<from>-<to>-<groupBy>.csv`, dates in UTC. */
export function reportFileName(report: Pick<Report, 'from' | 'to' | 'groupBy'>): string {
  return `frontdesk-report-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}-${report.groupBy}.csv`;
}
