import { readFile } from 'node:fs/promises';
import type { PrismaClient } from '../store/prisma.ts';
import { importConversations, type ImportConversation } from '../store/import-store.ts';
import { detectFormat, parseImport, type ImportFormat, type ImportProblem } from './log-formats.ts';

export interface ImportProgress {
  done: number;
  total: number;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  records: number;
  created: number;
  existing: number;
  messages: number;
  labels: number;
  skipped: ImportProblem[];
  /** Labels naming an intent outside the catalogue: imported, but no model learns them (learnableIntents). */
  unknownIntents: Array<{ line: number; intent: string }>;
}

/** Conversations per transaction: each conversation is whole or absent, and batches keep big files fast. */
export const IMPORT_BATCH = 200;

/** Imports a log file: malformed records are reported (with their line) and skipped, the rest written in batches. */
export async function importFile(
  prisma: PrismaClient,
  file: string,
  options: { format?: ImportFormat; onProgress?: (progress: ImportProgress) => void; batchSize?: number; learnableIntents?: ReadonlySet<string> } = {},
): Promise<ImportSummary> {
  const content = await readFile(file, 'utf8');
  const format = options.format ?? detectFormat(file, content);
  const records = parseImport(content, format);
  const valid: ImportConversation[] = [];
  const skipped: ImportProblem[] = [];
  for (const record of records) {
    if (record.ok) valid.push(record.conversation);
    else skipped.push(record.problem);
  }
  const learnable = options.learnableIntents;
  const unknownIntents = learnable
    ? valid.flatMap((conversation) =>
        conversation.messages.flatMap((message) => (message.intent && !learnable.has(message.intent) ? [{ line: conversation.line, intent: message.intent }] : [])),
      )
    : [];
  const summary: ImportSummary = { file, format, records: records.length, created: 0, existing: 0, messages: 0, labels: 0, skipped, unknownIntents };
  const batchSize = options.batchSize ?? IMPORT_BATCH;
  options.onProgress?.({ done: 0, total: valid.length });
  for (let start = 0; start < valid.length; start += batchSize) {
    const batch = valid.slice(start, start + batchSize);
    const result = await importConversations(prisma, batch);
    summary.created += result.created;
    summary.existing += result.existing;
    summary.labels += result.labels;
    options.onProgress?.({ done: Math.min(valid.length, start + batch.length), total: valid.length });
  }
  summary.messages = valid.reduce((sum, conversation) => sum + conversation.messages.length, 0);
  return summary;
}
