// The desk's report on a real Postgres (the migrations applied), over the small desk of seed.ts:
// every expected figure below is worked out by hand from the rows written there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { ReportStore, weekOf } from '../../src/store/report-store.ts';
import { DeskReports, type Report, type ReportFigures } from '../../src/reports/report.ts';
import { reportCsv, reportFileName, TOTAL_ROW } from '../../src/reports/csv.ts';
import { parseReportQuery } from '../../src/reports/query.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { temporaryDirectory } from '../helpers/temp.ts';
import { seedDesk, WEEK, type SeededDesk } from './seed.ts';

const logger = createLogger('silent');
const dataDir = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;
let reports: DeskReports;
let desk: SeededDesk;

before(async () => {
  database = await openDatabase({ dataDir: dataDir.path, logger });
  await applyMigrations(database.url, logger);
  prisma = createPrismaClient(database.url, 4);
  desk = await seedDesk(prisma, { activeVersion: true });
  reports = new DeskReports(new ReportStore(prisma), { now: () => new Date('2026-11-10T00:00:00Z') });
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  dataDir.remove();
});

const NO_TIMES = { count: 0, median: null, p90: null };

/** Figures with every count 0 and every rate null, then `changes`. */
function figures(changes: Partial<ReportFigures>): ReportFigures {
  return {
    conversations: 0, visitorMessages: 0, botReplies: 0, agentMessages: 0, contained: 0, containment: null,
    handoffReplies: 0, handoffRate: null, clarifications: 0, clarificationRate: null, retrievals: 0, retrievalRate: null,
    thumbsUp: 0, thumbsDown: 0, unanswered: 0, lowConfidence: 0, csat: { responses: 0, average: null, distribution: [0, 0, 0, 0, 0] },
    firstResponseSeconds: NO_TIMES, resolutionSeconds: NO_TIMES, ...changes,
  };
}

// C1–C6; their messages but A6a (written after the range); C6's first response all the same.
const WEEK_TOTAL = figures({
  conversations: 6, visitorMessages: 9, botReplies: 10, agentMessages: 2,
  contained: 3, containment: 0.5, // C1, C4, C5
  handoffReplies: 3, handoffRate: 0.3, clarifications: 2, clarificationRate: 0.2, retrievals: 1, retrievalRate: 0.1,
  thumbsUp: 2, thumbsDown: 2,
  unanswered: 3, lowConfidence: 1, // B2a, B2b, B5a; B4a at 0.45 (B6a, the handoff button, answers no message)
  csat: { responses: 3, average: 3.67, distribution: [0, 1, 0, 1, 1] }, // 5, 2, 4
  // 120, 300, 18000: the median, and 300 + 0.8 × (18000 − 300) at 0.9 × (3 − 1) = 1.8
  firstResponseSeconds: { count: 3, median: 300, p90: 14460 },
  resolutionSeconds: { count: 1, median: 600, p90: 600 },
});

function groupsOf(report: Report): Record<string, ReportFigures> {
  return Object.fromEntries(report.groups.map(({ key, label: _label, ...rest }) => [String(key), rest]));
}

describe('the desk report', () => {
  test('by day: every day of the range in order, empty ones included, and the total', async () => {
    const report = await reports.report({ range: WEEK, groupBy: 'day' });
    assert.equal(report.from, '2026-11-02T00:00:00.000Z');
    assert.equal(report.to, '2026-11-09T00:00:00.000Z');
    assert.equal(report.generatedAt, '2026-11-10T00:00:00.000Z');
    assert.deepEqual(report.total, WEEK_TOTAL);
    assert.deepEqual(report.groups.map((group) => group.key), ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08']);
    assert.deepEqual(report.groups.map((group) => group.label), report.groups.map((group) => group.key));
    const days = groupsOf(report);
    assert.deepEqual(days['2026-11-02'], figures({
      conversations: 2, visitorMessages: 4, botReplies: 4, agentMessages: 1, contained: 1, containment: 0.5,
      handoffReplies: 1, handoffRate: 0.25, clarifications: 1, clarificationRate: 0.25, retrievals: 0, retrievalRate: 0,
      thumbsUp: 1, thumbsDown: 1, unanswered: 2, csat: { responses: 2, average: 3.5, distribution: [0, 1, 0, 0, 1] },
      firstResponseSeconds: { count: 1, median: 120, p90: 120 }, resolutionSeconds: { count: 1, median: 600, p90: 600 },
    }));
    assert.deepEqual(days['2026-11-03'], figures({
      conversations: 1, visitorMessages: 1, botReplies: 1, agentMessages: 1, contained: 0, containment: 0,
      handoffReplies: 1, handoffRate: 1, clarificationRate: 0, retrievalRate: 0, firstResponseSeconds: { count: 1, median: 300, p90: 300 },
    }));
    assert.deepEqual(days['2026-11-04'], figures({}));
    assert.deepEqual(days['2026-11-05'], figures({
      conversations: 1, visitorMessages: 2, botReplies: 2, contained: 1, containment: 1, handoffRate: 0, clarificationRate: 0, retrievals: 1, retrievalRate: 0.5, thumbsDown: 1, lowConfidence: 1,
    }));
    assert.deepEqual(days['2026-11-06'], figures({
      conversations: 1, visitorMessages: 2, botReplies: 2, contained: 1, containment: 1, handoffRate: 0, clarifications: 1, clarificationRate: 0.5, retrievalRate: 0,
      thumbsUp: 1, unanswered: 1, csat: { responses: 1, average: 4, distribution: [0, 0, 0, 1, 0] },
    }));
    assert.deepEqual(days['2026-11-07'], figures({}));
    assert.deepEqual(days['2026-11-08'], figures({
      conversations: 1, botReplies: 1, contained: 0, containment: 0, handoffReplies: 1, handoffRate: 1, clarificationRate: 0, retrievalRate: 0,
      firstResponseSeconds: { count: 1, median: 18000, p90: 18000 },
    }));
  });

  test('by week: weeks from Monday (UTC); the Sunday evening before falls in the week before', async () => {
    const report = await reports.report({ range: { from: new Date('2026-10-26T00:00:00Z'), to: WEEK.to }, groupBy: 'week' });
    assert.deepEqual(report.groups.map((group) => group.key), ['2026-10-26', '2026-11-02']);
    const weeks = groupsOf(report);
    assert.deepEqual(weeks['2026-11-02'], WEEK_TOTAL);
    assert.deepEqual(weeks['2026-10-26'], figures({
      conversations: 1, visitorMessages: 1, botReplies: 1, contained: 1, containment: 1, handoffRate: 0, clarifications: 1, clarificationRate: 1, retrievalRate: 0,
      thumbsDown: 1, unanswered: 1, csat: { responses: 1, average: 1, distribution: [1, 0, 0, 0, 0] },
    }));
    assert.equal(report.total.conversations, 7);
    assert.equal(weekOf('2026-11-08'), '2026-11-02');
    assert.equal(weekOf('2026-11-09'), '2026-11-09');
  });

  test('by language: most conversations first, the unknown language last', async () => {
    const report = await reports.report({ range: WEEK, groupBy: 'language' });
    assert.deepEqual(report.groups.map((group) => [group.key, group.label]), [['en', 'en'], ['de', 'de'], ['fr', 'fr'], [null, '(unknown)']]);
    assert.deepEqual(report.total, WEEK_TOTAL);
    const languages = groupsOf(report);
    assert.deepEqual(languages.en, figures({
      conversations: 3, visitorMessages: 5, botReplies: 5, agentMessages: 1, contained: 2, containment: 0.6667,
      handoffReplies: 1, handoffRate: 0.2, clarifications: 1, clarificationRate: 0.2, retrievalRate: 0, thumbsUp: 2, unanswered: 1,
      csat: { responses: 2, average: 4.5, distribution: [0, 0, 0, 1, 1] }, firstResponseSeconds: { count: 1, median: 300, p90: 300 },
    }));
    assert.deepEqual(languages.de, figures({
      conversations: 1, visitorMessages: 2, botReplies: 2, agentMessages: 1, contained: 0, containment: 0,
      handoffReplies: 1, handoffRate: 0.5, clarifications: 1, clarificationRate: 0.5, retrievalRate: 0, thumbsDown: 1, unanswered: 2,
      csat: { responses: 1, average: 2, distribution: [0, 1, 0, 0, 0] },
      firstResponseSeconds: { count: 1, median: 120, p90: 120 }, resolutionSeconds: { count: 1, median: 600, p90: 600 },
    }));
    assert.deepEqual(languages.fr, figures({
      conversations: 1, botReplies: 1, contained: 0, containment: 0, handoffReplies: 1, handoffRate: 1, clarificationRate: 0, retrievalRate: 0,
      firstResponseSeconds: { count: 1, median: 18000, p90: 18000 },
    }));
    assert.deepEqual(languages.null, figures({
      conversations: 1, visitorMessages: 2, botReplies: 2, contained: 1, containment: 1, handoffRate: 0, clarificationRate: 0, retrievals: 1, retrievalRate: 0.5, thumbsDown: 1, lowConfidence: 1,
    }));
  });

  test('by intent: a reply counts under its intent, a visitor message under its reply’s, a conversation under each intent that answered in it', async () => {
    const report = await reports.report({ range: WEEK, groupBy: 'intent' });
    assert.deepEqual(report.groups.map((group) => [group.key, group.label]), [
      ['track_order', 'track_order'], ['greeting', 'greeting'], ['talk_to_human', 'talk_to_human'], ['thanks', 'thanks'], [null, '(no intent)'],
    ]);
    assert.deepEqual(report.total, WEEK_TOTAL);
    const intents = groupsOf(report);
    assert.deepEqual(intents.track_order, figures({
      conversations: 2, visitorMessages: 2, botReplies: 2, contained: 2, containment: 1, handoffRate: 0, clarificationRate: 0, retrievalRate: 0, thumbsUp: 1, lowConfidence: 1,
      csat: { responses: 1, average: 5, distribution: [0, 0, 0, 0, 1] },
    }));
    assert.deepEqual(intents.thanks, figures({
      conversations: 1, visitorMessages: 1, botReplies: 1, contained: 1, containment: 1, handoffRate: 0, clarificationRate: 0, retrievalRate: 0,
      csat: { responses: 1, average: 5, distribution: [0, 0, 0, 0, 1] },
    }));
    assert.deepEqual(intents.talk_to_human, figures({
      conversations: 1, visitorMessages: 1, botReplies: 1, contained: 0, containment: 0, handoffReplies: 1, handoffRate: 1, clarificationRate: 0, retrievalRate: 0,
      firstResponseSeconds: { count: 1, median: 300, p90: 300 },
    }));
    assert.deepEqual(intents.greeting, figures({
      conversations: 1, visitorMessages: 1, botReplies: 1, contained: 1, containment: 1, handoffRate: 0, clarificationRate: 0, retrievalRate: 0, thumbsUp: 1,
      csat: { responses: 1, average: 4, distribution: [0, 0, 0, 1, 0] },
    }));
    // Replies without an intent (B2a, B2b, B4b, B5a, B6a; four answer a visitor), agents' messages;
    // C2 and C6, where no intent ever answered: first responses 120 and 18000 s.
    assert.deepEqual(intents.null, figures({
      conversations: 2, visitorMessages: 4, botReplies: 5, agentMessages: 2, contained: 0, containment: 0,
      handoffReplies: 2, handoffRate: 0.4, clarifications: 2, clarificationRate: 0.4, retrievals: 1, retrievalRate: 0.2, thumbsDown: 2, unanswered: 3,
      csat: { responses: 1, average: 2, distribution: [0, 1, 0, 0, 0] },
      firstResponseSeconds: { count: 2, median: 9060, p90: 16212 }, resolutionSeconds: { count: 1, median: 600, p90: 600 },
    }));
  });

  test('by model version: named, the replies of no version (the handoff button, agents) last', async () => {
    const report = await reports.report({ range: WEEK, groupBy: 'modelVersion' });
    const { v1, v2 } = desk.versions;
    assert.deepEqual(report.groups.map((group) => [group.key, group.label]), [[v2.id, v2.name], [v1.id, v1.name], [null, '(no model)']]);
    assert.deepEqual(report.total, WEEK_TOTAL);
    const versions = groupsOf(report);
    assert.deepEqual(versions[v2.id], figures({
      conversations: 4, visitorMessages: 7, botReplies: 7, contained: 2, containment: 0.5,
      handoffReplies: 2, handoffRate: 0.2857, clarifications: 2, clarificationRate: 0.2857, retrievalRate: 0, thumbsUp: 2, unanswered: 3,
      csat: { responses: 3, average: 3.67, distribution: [0, 1, 0, 1, 1] },
      // 120 and 300: 120 + 0.9 × 180
      firstResponseSeconds: { count: 2, median: 210, p90: 282 }, resolutionSeconds: { count: 1, median: 600, p90: 600 },
    }));
    assert.deepEqual(versions[v1.id], figures({
      conversations: 1, visitorMessages: 2, botReplies: 2, contained: 1, containment: 1, handoffRate: 0, clarificationRate: 0, retrievals: 1, retrievalRate: 0.5, thumbsDown: 1, lowConfidence: 1,
    }));
    assert.deepEqual(versions.null, figures({
      conversations: 1, botReplies: 1, agentMessages: 2, contained: 0, containment: 0, handoffReplies: 1, handoffRate: 1, clarificationRate: 0, retrievalRate: 0, thumbsDown: 1,
      firstResponseSeconds: { count: 1, median: 18000, p90: 18000 },
    }));
  });

  test("the active model's accuracy: its labelled messages of the range, and the reviewed ones it got right", async () => {
    const { model } = await reports.report({ range: WEEK, groupBy: 'day' });
    // V1a right, V2a wrong (a clarification predicts out of scope), V5a right (oos); V4a was v1's.
    // C5's review confirms V5b's greeting. (2 + 1) / (3 + 1).
    assert.deepEqual(model, { version: desk.versions.v2, labelled: 3, correct: 2, confirmed: 1, accuracy: 0.75 });
  });

  test('the top unanswered and unsure requests: grouped across digits and trailing punctuation, redacted', async () => {
    const { requests } = await reports.report({ range: WEEK, groupBy: 'day' });
    // B2a, B2b and B5a could not answer; B4a answered at 0.45. B6a (the handoff button) answers no request.
    assert.equal(requests.unanswered, 3);
    assert.equal(requests.lowConfidence, 1);
    assert.equal(requests.considered, 4);
    assert.deepEqual(requests.top, [
      { text: 'Where is my order #####', count: 2, unanswered: 1, lowConfidence: 1, lastAt: '2026-11-06T15:00:00.000Z' },
      { text: 'Mensch bitte, ruf mich an: [phone]', count: 1, unanswered: 1, lowConfidence: 0, lastAt: '2026-11-02T10:00:30.000Z' },
      { text: 'Ich will mit einem Menschen sprechen, [email]', count: 1, unanswered: 1, lowConfidence: 0, lastAt: '2026-11-02T10:00:00.000Z' },
    ]);
  });

  test('an empty range: zeros, rates and times without a value', async () => {
    const report = await reports.report({ range: { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-03T00:00:00Z') }, groupBy: 'intent' });
    assert.deepEqual(report.total, figures({}));
    assert.deepEqual(report.groups, []);
    assert.deepEqual(report.requests, { unanswered: 0, lowConfidence: 0, considered: 0, top: [] });
    assert.deepEqual(report.model, { version: desk.versions.v2, labelled: 0, correct: 0, confirmed: 0, accuracy: null });
  });
});

describe('the report as CSV', () => {
  test('one row per group, then the total; empty cells for figures without a value', async () => {
    const report = await reports.report({ range: WEEK, groupBy: 'day' });
    const csv = reportCsv(report);
    assert.ok(csv.includes('\r\n'), 'CRLF line ends (RFC 4180)');
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((row) => row.day), ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08', TOTAL_ROW]);
    const total = rows.at(-1)!;
    assert.equal(total.conversations, '6');
    assert.equal(total.containment, '0.5');
    assert.equal(total.csat_average, '3.67');
    assert.equal(total.csat_2, '1');
    assert.equal(total.first_response_p90_s, '14460');
    const empty = rows.find((row) => row.day === '2026-11-04')!;
    assert.equal(empty.conversations, '0');
    assert.equal(empty.containment, '');
    assert.equal(empty.first_response_median_s, '');
    assert.equal(reportFileName(report), 'frontdesk-report-2026-11-02-2026-11-09-day.csv');
  });

  test('a cell a spreadsheet would run as a formula is written as text', () => {
    const report = { from: '', to: '', groupBy: 'intent', generatedAt: '', total: figures({}), groups: [{ key: '=cmd', label: '=HYPERLINK("x")', ...figures({}) }, { key: '@x', label: '@x', ...figures({}) }] } as unknown as Report;
    const rows = parse(reportCsv(report), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((row) => row.intent), ['\'=HYPERLINK("x")', "'@x", TOTAL_ROW]);
  });
});

describe('report parameters', () => {
  const now = new Date('2026-11-30T12:34:56Z');
  const refused = (payload: unknown, code: string, message?: RegExp) =>
    assert.throws(() => parseReportQuery(payload, now), (error: unknown) => error instanceof ProtocolError && error.code === code && (!message || message.test(error.message)));

  test('by default the 30 days up to now, by day, as JSON', () => {
    assert.deepEqual(parseReportQuery({}, now), { range: { from: new Date('2026-10-31T12:34:56Z'), to: now }, groupBy: 'day', format: 'json' });
  });

  test('dates are UTC days and a date-only `to` includes its day; times keep their offset', () => {
    assert.deepEqual(parseReportQuery({ from: '2026-11-02', to: '2026-11-08', groupBy: 'week', format: 'csv' }, now), {
      range: { from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') }, groupBy: 'week', format: 'csv',
    });
    assert.deepEqual(parseReportQuery({ from: '2026-11-02T08:00:00+02:00', to: '2026-11-02T18:00:00Z' }, now).range, { from: new Date('2026-11-02T06:00:00Z'), to: new Date('2026-11-02T18:00:00Z') });
  });

  test('a range backwards, empty or over 366 days is INVALID_RANGE; anything malformed INVALID_PAYLOAD', () => {
    refused({ from: '2026-11-09', to: '2026-11-02' }, 'INVALID_RANGE', /before/);
    refused({ from: '2026-11-02T00:00:00Z', to: '2026-11-02T00:00:00Z' }, 'INVALID_RANGE');
    refused({ from: '2025-01-01', to: '2026-11-01' }, 'INVALID_RANGE', /366 days/);
    refused({ groupBy: 'month' }, 'INVALID_PAYLOAD', /groupBy.*day, week, intent, modelVersion, language/);
    refused({ from: 'yesterday' }, 'INVALID_PAYLOAD', /from.*ISO date/);
    refused({ to: '2026-11-02T08:00:00' }, 'INVALID_PAYLOAD', /to/);
    refused({ format: 'xlsx' }, 'INVALID_PAYLOAD', /format/);
    refused({ groupBy: ['day', 'week'] }, 'INVALID_PAYLOAD');
  });
});
