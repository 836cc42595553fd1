// What a retraining learns from and what the promotion gate judges it on, both from Postgres.
//
// - Every labelled message (imported labels, agents' corrections, and the bot's intents that a
//   transcript review confirmed: src/store/training-store.ts) is assigned for good to the
//   training side or the evaluation side by a hash of its message id (EVALUATION_FRACTION of them
//   are evaluation messages). Evaluation messages are never trained on.
// - The frozen evaluation set is a copy of evaluation messages (table EvaluationExample), made the
//   first time the gate runs with enough of them and topped up with new ones until it holds
//   MAX_FROZEN_EXAMPLES; a frozen example is never changed or removed, and never trained on.
// - Recent labelled traffic: the newest evaluation messages that are not in the frozen set.
// - The training set: the catalogue's examples plus every training-side labelled message, the
//   latest label of a text winning (agent corrections over the catalogue and over older labels; any
//   explicit label over a confirmed one), minus any text that is also in an evaluation set.
// Texts are redacted (emails, phone and card numbers, addresses) before they enter any set.
import { createHash, randomUUID } from 'node:crypto';
import type { Catalogue } from '../catalogue/index.ts';
import type { LabelledExample } from '../nlu/types.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import { CONFIRMED_ORIGIN, labelledMessages } from '../store/training-store.ts';
import { assembleTrainingSet, learnableIntents, normalizedKey } from './training-set.ts';
import { redact } from './redact.ts';

export const EVALUATION_FRACTION = 0.1;
/** The frozen set is made once at least this many evaluation messages exist. */
export const MIN_FROZEN_EXAMPLES = 30;
export const MAX_FROZEN_EXAMPLES = 1000;
export const RECENT_EXAMPLES = 1000;

export interface LearningSets {
  train: LabelledExample[];
  frozen: LabelledExample[];
  recent: LabelledExample[];
  stats: {
    catalogueExamples: number;
    labelled: number;
    /** Of `labelled`: the bot's intents confirmed by transcript review. */
    confirmedLabels: number;
    trainingLabels: number;
    evaluationLabels: number;
    /** Labels of intents that the catalogue does not define: the bot could not answer them, so they are not learned. */
    unknownIntentLabels: number;
    frozenCreated: boolean;
    newestLabelAt: string | null;
  };
}

/** Whether a labelled message belongs to the evaluation side (stable: a hash of its id). */
export function isEvaluationMessage(messageId: string, fraction = EVALUATION_FRACTION): boolean {
  const value = createHash('sha256').update(`frontdesk-eval:${messageId}`).digest().readUInt32BE(0);
  return value / 0x1_0000_0000 < fraction;
}

export interface LearningSetOptions {
  evaluationFraction?: number;
  minFrozen?: number;
  maxFrozen?: number;
  recentLimit?: number;
}

export async function learningSets(prisma: PrismaClient, catalogue: Catalogue, options: LearningSetOptions = {}): Promise<LearningSets> {
  const fraction = options.evaluationFraction ?? EVALUATION_FRACTION;
  const known = learnableIntents(catalogue);
  // Priority order (confirmations before explicit labels): what assembleTrainingSet de-duplicates by.
  const rows = await labelledMessages(prisma);
  const usable = rows.filter((row) => known.has(row.intent)).map((row) => ({ ...row, text: redact(row.text) }));
  const evaluation = usable.filter((row) => isEvaluationMessage(row.messageId, fraction));
  const training = usable.filter((row) => !isEvaluationMessage(row.messageId, fraction));

  // Append-only: evaluation messages join the frozen set until it holds maxFrozen; a frozen example
  // is never changed or removed (a later correction of its message does not touch it).
  let frozenRows = await guarded(() => prisma.evaluationExample.findMany({ orderBy: { createdAt: 'asc' } }));
  let frozenCreated = false;
  const maxFrozen = options.maxFrozen ?? MAX_FROZEN_EXAMPLES;
  const alreadyFrozen = new Set(frozenRows.map((row) => row.messageId));
  // Half of the evaluation messages may be frozen; the other half is always recent traffic.
  const candidates = evaluation.filter((row) => !alreadyFrozen.has(row.messageId) && hashOf(row.messageId) % 2 === 0);
  if (frozenRows.length < maxFrozen && frozenRows.length + candidates.length >= (options.minFrozen ?? MIN_FROZEN_EXAMPLES)) {
    // Spread over time and intents: a deterministic shuffle of the evaluation messages.
    const chosen = [...candidates].sort((a, b) => hashOf(a.messageId) - hashOf(b.messageId)).slice(0, maxFrozen - frozenRows.length);
    if (chosen.length > 0) {
      await guarded(() =>
        prisma.evaluationExample.createMany({ data: chosen.map((row) => ({ id: randomUUID(), text: row.text, intent: row.intent, messageId: row.messageId })), skipDuplicates: true }),
      );
      frozenRows = await guarded(() => prisma.evaluationExample.findMany({ orderBy: { createdAt: 'asc' } }));
      frozenCreated = true;
    }
  }
  const frozenMessages = new Set(frozenRows.map((row) => row.messageId).filter((id): id is string => id !== null));
  const frozen = frozenRows.map((row) => ({ text: row.text, intent: row.intent }));
  const recent = evaluation
    .filter((row) => !frozenMessages.has(row.messageId))
    .sort((a, b) => a.labelledAt.getTime() - b.labelledAt.getTime())
    .slice(-(options.recentLimit ?? RECENT_EXAMPLES))
    .map((row) => ({ text: row.text, intent: row.intent }));

  const excluded = new Set([...frozen, ...evaluation].map((example) => normalizedKey(example.text)));
  const catalogueExamples = catalogue.trainingExamples().map((example) => ({ text: redact(example.text), intent: example.intent }));
  const train = assembleTrainingSet(
    catalogueExamples,
    training.map((row) => ({ text: row.text, intent: row.intent })),
  ).filter((example) => !excluded.has(normalizedKey(example.text)));
  return {
    train,
    frozen,
    recent,
    stats: {
      catalogueExamples: catalogueExamples.length,
      labelled: rows.length,
      confirmedLabels: rows.filter((row) => row.origin === CONFIRMED_ORIGIN).length,
      trainingLabels: training.length,
      evaluationLabels: evaluation.length,
      unknownIntentLabels: rows.length - usable.length,
      frozenCreated,
      newestLabelAt: rows.reduce<Date | null>((newest, row) => (newest && newest >= row.labelledAt ? newest : row.labelledAt), null)?.toISOString() ?? null,
    },
  };
}

function hashOf(id: string): number {
  return createHash('sha256').update(`frontdesk-frozen:${id}`).digest().readUInt32BE(0);
}
