import { OUT_OF_SCOPE, type LabelledExample } from '../nlu/types.ts';
import type { Catalogue } from '../catalogue/index.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { labelledMessages } from '../store/training-store.ts';
import { redact } from './redact.ts';
import { chunkDocuments, embeddingText, loadKnowledge } from '../retrieval/knowledge.ts';

/**
 * Unlabelled text the model should know the words of: the knowledge documents (a folder, or the
 * documents as the catalogue in Postgres keeps them), so that the retrieval fallback's sentence
 * vectors cover their vocabulary.
 */
export async function knowledgeTexts(source: string | ReadonlyArray<{ file: string; text: string }>): Promise<string[]> {
  const chunks = typeof source === 'string' ? await loadKnowledge(source) : chunkDocuments(source);
  return chunks.map((chunk) => embeddingText(chunk));
}

/**
 * The intents a model may learn: the catalogue's (the bot has answers for them) and out of scope.
 * A label of any other intent (an imported log's own taxonomy, a deleted intent) stays in Postgres
 * but trains nothing, so a model never answers with an intent the bot cannot answer.
 */
export function learnableIntents(catalogue: Catalogue): ReadonlySet<string> {
  return new Set([...catalogue.intents.map((intent) => intent.name), OUT_OF_SCOPE]);
}

/** What the next model learns from: the catalogue plus every labelled (or review-confirmed) message in Postgres. */
export async function currentTrainingSet(prisma: PrismaClient, catalogue: Catalogue): Promise<LabelledExample[]> {
  const learnable = learnableIntents(catalogue);
  const labelled = (await redactedLabelledExamples(prisma)).filter((example) => learnable.has(example.intent));
  return assembleTrainingSet(catalogue.trainingExamples(), labelled);
}

/**
 * Every labelled (or review-confirmed) message as training reads it, in labelledMessages' priority
 * order: visitors' personal data (emails, IBANs, phone and card numbers, addresses, names) never
 * reaches a model, nor anyone who lists these examples.
 */
export async function redactedLabelledExamples(prisma: PrismaClient): Promise<LabelledExample[]> {
  return (await labelledMessages(prisma)).map((message) => ({ text: redact(message.text), intent: message.intent }));
}

/** A text compared case- and space-insensitively (NFKC, lower case, runs of white space as one space). */
export function normalizedKey(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The last row of each text (by normalizedKey), in the order of those last rows; empty texts are dropped. */
export function lastRowPerText<Row extends { text: string }>(rows: Iterable<Row>): Row[] {
  const byText = new Map<string, Row>();
  for (const row of rows) {
    const key = normalizedKey(row.text);
    if (key.length === 0) continue;
    byText.delete(key);
    byText.set(key, row);
  }
  return [...byText.values()];
}

/**
 * The training set: catalogue examples, then labelled messages in priority order (labelledMessages).
 * The same text keeps only its last label, so an agent's correction wins over the catalogue, over
 * older labels and over a confirmation.
 */
export function assembleTrainingSet(catalogueExamples: readonly LabelledExample[], labelled: readonly LabelledExample[]): LabelledExample[] {
  return lastRowPerText([...catalogueExamples, ...labelled]).map((example) => ({ text: example.text.trim(), intent: example.intent }));
}
