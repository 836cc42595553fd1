import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';

export interface LabelledMessage {
  text: string;
  intent: string;
  origin: string;
  labelledAt: Date;
}

/** Labelled visitor messages (imported labels and agents' corrections), oldest label first. */
export function labelledMessages(prisma: PrismaClient): Promise<LabelledMessage[]> {
  return guarded(async () => {
    const labels = await prisma.intentLabel.findMany({ include: { message: { select: { text: true } } }, orderBy: { updatedAt: 'asc' } });
    return labels.map((label) => ({ text: label.message.text, intent: label.intent, origin: label.origin, labelledAt: label.updatedAt }));
  });
}
