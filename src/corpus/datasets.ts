// Readers for labelled intent data: CSV, JSONL, a JSON array (SMP-ECDT), and the paired
// `seq.in` + `label` folder format (HWU64, BANKING77-OOS). Every reader yields the same
// { text, intent } rows; a malformed file fails with its name and line.
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { LabelledExample } from '../nlu/types.ts';
import { findLabelColumns, INTENT_COLUMNS, readCsvTable, TEXT_COLUMNS, type CsvRecord } from './csv.ts';

export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
    this.name = 'DatasetError';
  }
}

/**
 * Validates one row; `fail` throws an error that says where the row is. A row with an empty text
 * is skipped (null): real exports contain them and there is nothing to learn from or score.
 */
function toExample(text: unknown, intent: unknown, fail: (reason: string) => never): LabelledExample | null {
  if (typeof text !== 'string') fail('missing text');
  if (text.trim() === '') return null;
  if (typeof intent !== 'string' || intent.trim() === '') fail('empty or missing intent');
  return { text: text.trim(), intent: intent.trim() };
}

const present = <T>(value: T | null): value is T => value !== null;

function failAt(file: string, line: number | null, prefix = ''): (reason: string) => never {
  return (reason) => {
    throw new DatasetError(file, line, prefix + reason);
  };
}

/** A CSV file's header and rows; the first malformed record fails with its line. */
export function parseCsvTable(content: string, file: string): { header: string[]; rows: Array<{ line: number; fields: string[] }> } {
  const table = readCsvTable(content);
  if (!table) throw new DatasetError(file, null, 'empty file');
  const fieldsOf = (record: CsvRecord): string[] => {
    if ('error' in record) throw new DatasetError(file, record.line, record.error);
    return record.fields;
  };
  return { header: fieldsOf(table.header), rows: table.rows.map((row) => ({ line: row.line, fields: fieldsOf(row) })) };
}

export function parseCsvExamples(content: string, file: string): LabelledExample[] {
  const { header, rows } = parseCsvTable(content, file);
  const { text, intent } = findLabelColumns(header);
  if (text === null || intent === null) {
    throw new DatasetError(file, 1, `the header must name a text column (${TEXT_COLUMNS.join('/')}) and an intent column (${INTENT_COLUMNS.join('/')}); found ${header.join(',')}`);
  }
  return rows.map((row) => toExample(row.fields[text], row.fields[intent], failAt(file, row.line))).filter(present);
}

/** JSON records name their intent like a CSV header does. */
function intentOf(record: Record<string, unknown>): unknown {
  return INTENT_COLUMNS.map((name) => record[name]).find((value) => value !== undefined && value !== null);
}

export function parseJsonlExamples(content: string, file: string): LabelledExample[] {
  const examples: LabelledExample[] = [];
  content.split(/\r?\n/).forEach((rawLine, index) => {
    if (rawLine.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(rawLine);
    } catch (error) {
      throw new DatasetError(file, index + 1, `invalid JSON (${(error as Error).message})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new DatasetError(file, index + 1, 'expected an object { "text", "intent" }');
    const fields = record as Record<string, unknown>;
    const parsed = toExample(fields.text, intentOf(fields), failAt(file, index + 1));
    if (parsed) examples.push(parsed);
  });
  return examples;
}

/** A JSON array of { text, intent } objects, as SMP-ECDT's split_2019 files are. */
export function parseJsonArrayExamples(content: string, file: string): LabelledExample[] {
  let records: unknown;
  try {
    records = JSON.parse(content);
  } catch (error) {
    throw new DatasetError(file, null, `invalid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(records)) throw new DatasetError(file, null, 'expected a JSON array of { "text", "intent" } objects');
  return records
    .map((record, index) => {
      if (typeof record !== 'object' || record === null) throw new DatasetError(file, null, `item ${index} is not an object`);
      const fields = record as Record<string, unknown>;
      // Items have no line of their own once parsed; name the item instead.
      return toExample(fields.text, intentOf(fields), failAt(file, null, `item ${index}: `));
    })
    .filter(present);
}

function lines(content: string): string[] {
  const all = content.split(/\r?\n/);
  if (all.at(-1) === '') all.pop();
  return all;
}

/** A folder holding `seq.in` (one text per line) and `label` (the intent on the same line). */
export async function readSeqLabelFolder(folder: string): Promise<LabelledExample[]> {
  const textFile = join(folder, 'seq.in');
  const labelFile = join(folder, 'label');
  const texts = lines(await readFile(textFile, 'utf8'));
  const labels = lines(await readFile(labelFile, 'utf8'));
  if (texts.length !== labels.length) {
    throw new DatasetError(labelFile, Math.min(texts.length, labels.length) + 1, `${basename(textFile)} has ${texts.length} lines but label has ${labels.length}`);
  }
  return texts.map((text, index) => toExample(text, labels[index], failAt(`${textFile} + label`, index + 1))).filter(present);
}

/** Reads one dataset, choosing the format from the path: a folder, .csv, .jsonl/.ndjson or .json. */
export async function readDataset(path: string): Promise<LabelledExample[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new DatasetError(path, null, 'no such file or folder');
  }
  if (info.isDirectory()) return readSeqLabelFolder(path);
  const content = await readFile(path, 'utf8');
  switch (extname(path).toLowerCase()) {
    case '.csv':
      return parseCsvExamples(content, path);
    case '.jsonl':
    case '.ndjson':
      return parseJsonlExamples(content, path);
    case '.json':
      return parseJsonArrayExamples(content, path);
    default:
      throw new DatasetError(path, null, 'unknown format: expected .csv, .jsonl, .json or a folder with seq.in and label');
  }
}

export async function readDatasets(paths: readonly string[]): Promise<LabelledExample[]> {
  const parts = await Promise.all(paths.map((path) => readDataset(path)));
  return parts.flat();
}
