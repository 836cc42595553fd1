import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';

/** The origin of a label that transcript review implied: the bot's intent, left uncorrected by the reviewing agent. */
export const CONFIRMED_ORIGIN = 'confirmed';

export interface LabelledMessage {
  messageId: string;
  text: string;
  intent: string;
  /** `import`, `agent`, `review`, … for an IntentLabel row; `confirmed` for a reviewed bot intent. */
  origin: string;
  /** When the label was written; for a confirmed label, when the conversation was reviewed. */
  labelledAt: Date;
}

/**
 * Every labelled visitor message, in priority order, lowest first, because downstream the last row
 * of a text wins: confirmed labels (oldest review first), then explicit labels (imports and agents'
 * corrections, oldest first). So a correction of a text beats a confirmation of the same text
 * anywhere. Callers that need time order sort by `labelledAt`.
 *
 * A confirmed label is the intent of the bot's reply to a visitor message in a reviewed
 * conversation, when the reply was stored no later than the review and the message has no explicit
 * label. `intent` is set on a bot reply only when the model was confident (an intent answer or an
 * intent that hands over); fallbacks carry none and are never confirmed.
 */
export function labelledMessages(prisma: PrismaClient): Promise<LabelledMessage[]> {
  return guarded(async () => {
    const confirmed = await prisma.$queryRaw<Array<Omit<LabelledMessage, 'origin'>>>`
      SELECT "messageId", text, intent, "labelledAt" FROM (
        SELECT DISTINCT ON (v.id) v.id AS "messageId", v.text, r.intent, c."reviewedAt" AS "labelledAt", v.seq
        FROM "Conversation" c
        JOIN "Message" v ON v."conversationId" = c.id AND v.role = 'visitor'
        JOIN "Message" r ON r."replyToId" = v.id AND r.role = 'bot' AND r.intent IS NOT NULL AND r."createdAt" <= c."reviewedAt"
        WHERE c."reviewedAt" IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "IntentLabel" l WHERE l."messageId" = v.id)
        ORDER BY v.id, r.seq
      ) confirmed
      ORDER BY "labelledAt", seq`;
    const labels = await prisma.intentLabel.findMany({
      orderBy: [{ updatedAt: 'asc' }, { id: 'asc' }],
      select: { messageId: true, intent: true, origin: true, updatedAt: true, message: { select: { text: true } } },
    });
    return [
      ...confirmed.map((row) => ({ ...row, origin: CONFIRMED_ORIGIN })),
      ...labels.map((label) => ({ messageId: label.messageId, text: label.message.text, intent: label.intent, origin: label.origin, labelledAt: label.updatedAt })),
    ];
  });
}

/** Whether a label was written or a conversation reviewed after `since` (else a retraining learns nothing new). */
export function labelsChangedSince(prisma: PrismaClient, since: Date): Promise<boolean> {
  return guarded(async () => {
    if ((await prisma.intentLabel.count({ where: { updatedAt: { gt: since } } })) > 0) return true;
    return (await prisma.conversation.count({ where: { reviewedAt: { gt: since } } })) > 0;
  });
}
