// The one CSV reader (datasets for train/eval/bench, logs for `frontdesk import`) and the one place
// that says which header names hold the text and the intent. Parsing is csv-parse's; this module
// adds what both callers need: each record's starting line, blank lines skipped, a BOM dropped, and
// a broken record reported with its line while reading goes on after it.
import { CsvError, parse } from 'csv-parse/sync';

/** One CSV record with the 1-based line on which it starts, or why it could not be read. */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

const REASONS: Partial<Record<CsvError['code'], string>> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and double inner quotes)',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
};

const LF = 0x0a;
const CR = 0x0d;

/** Byte offset at which each line starts (csv-parse counts bytes); a line ends at CRLF, LF or a lone CR. */
function lineStarts(bytes: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF) i++;
    if (bytes[i] === LF || bytes[i] === CR) starts.push(i + 1);
  }
  return starts;
}

/** 1-based line holding the byte at `offset`. */
function lineAt(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}

/**
 * RFC 4180 records (quoted fields may hold commas, doubled quotes and line breaks; CRLF, LF or CR)
 * that survive a broken one: a stray quote or an unclosed quoted field is reported for the line
 * where its record starts, and reading resumes on the line after the fault (after the record's
 * first line for an unclosed quote, which runs to the end of the file): the rest is probably
 * ordinary records. Field counts are not checked here: see `readCsvTable`.
 */
export function readCsvRecords(content: string): CsvRecord[] {
  const bytes = Buffer.from(content);
  const starts = lineStarts(bytes);
  const records: CsvRecord[] = [];
  // Skipped blank lines lie between one record's end and the next record's first byte.
  const recordStart = (end: number) => {
    let offset = end;
    while (bytes[offset] === LF || bytes[offset] === CR) offset++;
    return offset;
  };
  let from = 0;
  while (from < bytes.length) {
    let end = from;
    try {
      parse(bytes.subarray(from), {
        bom: from === 0,
        skip_empty_lines: true,
        relax_column_count: true,
        record_delimiter: ['\r\n', '\n', '\r'],
        raw: true,
        on_record: (wrapped, context) => {
          // `raw: true` wraps each record as { record, raw }, which csv-parse's types do not model.
          const { record } = wrapped as unknown as { record: string[] };
          records.push({ line: lineAt(starts, recordStart(end)), fields: record });
          end = from + context.bytes;
          // Kept in `records` with its line, so csv-parse need not collect it.
          return null;
        },
      });
      break;
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      // With `raw: true`, csv-parse tells how much of the record it read before the fault.
      const { code, message, raw } = error as CsvError & { raw?: string };
      const start = recordStart(end);
      const line = lineAt(starts, start);
      records.push({ line, error: REASONS[code] ?? message });
      const faultLine = code === 'CSV_QUOTE_NOT_CLOSED' || raw === undefined ? line : lineAt(starts, start + Buffer.byteLength(raw));
      if (faultLine >= starts.length) break;
      from = starts[faultLine]!;
    }
  }
  return records;
}

/** A CSV file whose first record names the columns. */
export interface CsvTable {
  header: CsvRecord;
  /** The other records; one whose field count differs from the header's is an error. */
  rows: CsvRecord[];
}

/** The records of `content` as a header and rows, or null when it holds none. */
export function readCsvTable(content: string): CsvTable | null {
  const [header, ...records] = readCsvRecords(content);
  if (!header) return null;
  if ('error' in header) return { header, rows: records };
  const expected = header.fields.length;
  const rows = records.map((record): CsvRecord =>
    'fields' in record && record.fields.length !== expected
      ? { line: record.line, error: `expected ${expected} fields like the header, found ${record.fields.length}` }
      : record,
  );
  return { header, rows };
}

/**
 * Header names of the utterance column, in order of preference: `text` (our own exports),
 * `utterance`, `instruction` (Bitext), `message` (chat-log exports).
 */
export const TEXT_COLUMNS = ['text', 'utterance', 'instruction', 'message'] as const;

/**
 * Header names of the intent column, in order of preference: `intent`, `category` (BANKING77),
 * `label`. Bitext has both `intent` and a coarser `category`; the preference picks `intent`.
 */
export const INTENT_COLUMNS = ['intent', 'category', 'label'] as const;

export interface LabelColumns {
  /** Index of the utterance column, null when the header names none. */
  text: number | null;
  /** Index of the intent column, null when the header names none. */
  intent: number | null;
}

/** Finds the text and intent columns of a header; names match ignoring case and surrounding space. */
export function findLabelColumns(header: readonly string[]): LabelColumns {
  const names = header.map((name) => name.trim().toLowerCase());
  const find = (synonyms: readonly string[]) => {
    for (const synonym of synonyms) {
      const index = names.indexOf(synonym);
      if (index >= 0) return index;
    }
    return null;
  };
  return { text: find(TEXT_COLUMNS), intent: find(INTENT_COLUMNS) };
}
