// Historical dialogue logs → conversations to import. Three formats:
//  - abcd:  the ABCD JSON file, an array of [transcript, subflow]; the transcript's turns are
//           separated by blank lines and prefixed USR: (customer), SYS: (agent), ACT: (system action,
//           skipped). The subflow labels the first customer turn that states a request.
//  - csv:   a header naming a text column and, optionally, an intent column (the names that count are
//           in csv.ts); each row is a one-message conversation.
//  - jsonl: one conversation per line, `{ "id"?, "messages": [{ "role", "text", "intent"? }] }`.
// Parsing never throws for a bad record: it yields the record's line and the reason, and the
// importer skips it. Every conversation gets an id derived from its content (or its `id`), so
// importing the same file again finds the conversations already there.
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { ImportConversation, ImportMessage, ImportRole } from '../store/import-store.ts';
import { findLabelColumns, readCsvTable, TEXT_COLUMNS } from './csv.ts';

export type ImportFormat = 'abcd' | 'csv' | 'jsonl';

export interface ImportProblem {
  line: number;
  reason: string;
}

export type ImportRecord = { ok: true; conversation: ImportConversation } | { ok: false; problem: ImportProblem };

/** Longest message text accepted from a log (the chat's own limit is configurable; logs get more room). */
export const MAX_IMPORT_TEXT = 10_000;
const MAX_INTENT = 64;
const INTENT_NAME = /^[\p{L}\p{N}_.:-]+$/u;

export function detectFormat(file: string, content: string): ImportFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  if (extension === '.json' && content.trimStart().startsWith('[')) return 'abcd';
  throw new Error(`cannot tell the format of ${file}: pass --format abcd|csv|jsonl`);
}

export function parseImport(content: string, format: ImportFormat): ImportRecord[] {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  switch (format) {
    case 'abcd':
      return parseAbcd(text);
    case 'csv':
      return parseCsvConversations(text);
    case 'jsonl':
      return parseJsonl(text);
  }
}

function contentKey(format: ImportFormat, messages: readonly ImportMessage[]): string {
  // Labels are not part of the key: re-importing a file with corrected labels updates the labels.
  return createHash('sha256')
    .update(format)
    .update(JSON.stringify(messages.map((message) => [message.role, message.text])))
    .digest('hex');
}

function checkText(text: unknown, where: string): string {
  if (typeof text !== 'string') throw new Error(`${where}: text is missing or not a string`);
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new Error(`${where}: text is empty`);
  if (trimmed.length > MAX_IMPORT_TEXT) throw new Error(`${where}: text is longer than ${MAX_IMPORT_TEXT} characters`);
  if (trimmed.includes('\u0000')) throw new Error(`${where}: text contains a NUL character`);
  return trimmed;
}

function checkIntent(intent: unknown, where: string): string | undefined {
  if (intent === undefined || intent === null || intent === '') return undefined;
  if (typeof intent !== 'string') throw new Error(`${where}: intent is not a string`);
  const trimmed = intent.trim();
  if (trimmed.length > MAX_INTENT || !INTENT_NAME.test(trimmed)) throw new Error(`${where}: intent ${JSON.stringify(intent)} is not a valid intent name`);
  return trimmed;
}

// ---------------------------------------------------------------------------------------------- ABCD

const ABCD_PREFIX: Record<string, ImportRole | null> = { 'USR:': 'visitor', 'SYS:': 'agent', 'ACT:': null };

/** Words of a customer turn that make it a request rather than a greeting or a detail (a name, an e-mail). */
const MIN_REQUEST_WORDS = 4;

function parseAbcd(content: string): ImportRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (error) {
    return [{ ok: false, problem: { line: 1, reason: `not valid JSON: ${(error as Error).message}` } }];
  }
  if (!Array.isArray(data)) return [{ ok: false, problem: { line: 1, reason: 'an ABCD file is a JSON array of [transcript, subflow] pairs' } }];
  return data.map((entry, index): ImportRecord => {
    const line = index + 1;
    try {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new Error('expected [transcript, subflow]');
      const subflow = checkIntent(entry[1], 'subflow');
      const messages: ImportMessage[] = [];
      for (const turn of entry[0].split(/\n\s*\n/)) {
        const trimmed = turn.trim();
        if (trimmed === '') continue;
        const prefix = trimmed.slice(0, 4).toUpperCase();
        if (!(prefix in ABCD_PREFIX)) throw new Error(`turn ${messages.length + 1} has no USR:/SYS:/ACT: prefix`);
        const role = ABCD_PREFIX[prefix];
        if (!role) continue;
        messages.push({ role, text: checkText(trimmed.slice(4), `turn ${messages.length + 1}`) });
      }
      if (!messages.some((message) => message.role === 'visitor')) throw new Error('no customer turn');
      if (subflow) {
        const request =
          messages.find((message) => message.role === 'visitor' && message.text.split(/\s+/).length >= MIN_REQUEST_WORDS) ??
          messages.find((message) => message.role === 'visitor')!;
        request.intent = subflow;
      }
      return { ok: true, conversation: { line, key: contentKey('abcd', messages), messages } };
    } catch (error) {
      return { ok: false, problem: { line, reason: `conversation ${line}: ${(error as Error).message}` } };
    }
  });
}

// ----------------------------------------------------------------------------------------------- CSV

function parseCsvConversations(content: string): ImportRecord[] {
  const table = readCsvTable(content);
  if (!table) return [];
  const { header, rows } = table;
  if ('error' in header) return [{ ok: false, problem: { line: header.line, reason: `header: ${header.error}` } }];
  const { text: textIndex, intent: intentIndex } = findLabelColumns(header.fields);
  if (textIndex === null) return [{ ok: false, problem: { line: header.line, reason: `the header names no text column (${TEXT_COLUMNS.join(', ')})` } }];
  return rows.map((row): ImportRecord => {
    if ('error' in row) return { ok: false, problem: { line: row.line, reason: row.error } };
    try {
      const text = checkText(row.fields[textIndex], 'text');
      const intent = intentIndex === null ? undefined : checkIntent(row.fields[intentIndex], 'intent');
      const messages: ImportMessage[] = [{ role: 'visitor', text, ...(intent ? { intent } : {}) }];
      return { ok: true, conversation: { line: row.line, key: contentKey('csv', messages), messages } };
    } catch (error) {
      return { ok: false, problem: { line: row.line, reason: (error as Error).message } };
    }
  });
}

// --------------------------------------------------------------------------------------------- JSONL

const ROLE_NAMES: Record<string, ImportRole> = {
  visitor: 'visitor', user: 'visitor', customer: 'visitor', human: 'visitor',
  bot: 'bot', assistant: 'bot', system: 'bot',
  agent: 'agent', operator: 'agent', support: 'agent',
};

function parseJsonl(content: string): ImportRecord[] {
  const records: ImportRecord[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    try {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        throw new Error(`not valid JSON: ${(error as Error).message}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected an object { "messages": [...] }');
      const record = value as { id?: unknown; messages?: unknown };
      if (!Array.isArray(record.messages) || record.messages.length === 0) throw new Error('"messages" must be a non-empty array');
      const messages = record.messages.map((entry: unknown, position): ImportMessage => {
        const where = `message ${position + 1}`;
        if (typeof entry !== 'object' || entry === null) throw new Error(`${where}: expected { "role", "text" }`);
        const { role, text, intent } = entry as { role?: unknown; text?: unknown; intent?: unknown };
        const mapped = typeof role === 'string' ? ROLE_NAMES[role.trim().toLowerCase()] : undefined;
        if (!mapped) throw new Error(`${where}: role ${JSON.stringify(role)} is not visitor, bot or agent`);
        const label = checkIntent(intent, where);
        if (label && mapped !== 'visitor') throw new Error(`${where}: only visitor messages carry an intent`);
        return { role: mapped, text: checkText(text, where), ...(label ? { intent: label } : {}) };
      });
      if (record.id !== undefined && typeof record.id !== 'string' && typeof record.id !== 'number') throw new Error('"id" must be a string or a number');
      const key = record.id !== undefined ? `id:${String(record.id)}` : contentKey('jsonl', messages);
      records.push({ ok: true, conversation: { line, key, messages } });
    } catch (error) {
      records.push({ ok: false, problem: { line, reason: (error as Error).message } });
    }
  });
  return records;
}
