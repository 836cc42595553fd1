// What intent discovery reads: conversations (imported and logged, erased ones left out) with their
// messages in order, a batch at a time by id, so that any number of them passes in bounded memory.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';

export interface StoredConversation {
  id: string;
  language: string | null;
  messages: Array<{ id: string; role: 'visitor' | 'bot' | 'agent'; text: string }>;
}

/** Conversations in id order, `batchSize` at a time; `limit` caps how many in all. */
export async function* conversationsForDiscovery(prisma: PrismaClient, options: { batchSize?: number; limit?: number } = {}): AsyncGenerator<StoredConversation[]> {
  const batchSize = options.batchSize ?? 500;
  let after: string | null = null;
  let read = 0;
  for (;;) {
    const take = Math.min(batchSize, (options.limit ?? Infinity) - read);
    if (take <= 0) return;
    const cursor: string | null = after;
    const rows: StoredConversation[] = await guarded(() =>
      prisma.conversation.findMany({
        where: { erasedAt: null, ...(cursor ? { id: { gt: cursor } } : {}) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true, language: true, messages: { orderBy: { seq: 'asc' }, select: { id: true, role: true, text: true } } },
      }),
    );
    if (rows.length === 0) return;
    read += rows.length;
    after = rows.at(-1)!.id;
    yield rows;
    if (rows.length < take) return;
  }
}

/** How many conversations discovery would read (for a progress bar). */
export function countConversationsForDiscovery(prisma: PrismaClient): Promise<number> {
  return guarded(() => prisma.conversation.count({ where: { erasedAt: null } }));
}

/** The origin of labels that a reviewer gave a whole discovered cluster (docs/discovery.md). */
export const DISCOVERY_ORIGIN = 'discovery';

/**
 * Labels the visitor messages `messageIds` (those that exist and are not erased) with `intent`,
 * origin `discovery`; a message that already has a label (an agent's correction, an import's)
 * keeps it. Returns how many labels were written.
 */
export async function labelDiscoveredMessages(prisma: PrismaClient, messageIds: readonly string[], intent: string, agentId: string | null): Promise<number> {
  const uuids = messageIds.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
  if (uuids.length === 0) return 0;
  return guarded(async () => {
    let written = 0;
    for (let start = 0; start < uuids.length; start += 1000) {
      const batch = uuids.slice(start, start + 1000);
      const existing = await prisma.message.findMany({ where: { id: { in: batch }, role: 'visitor', conversation: { erasedAt: null } }, select: { id: true } });
      const result = await prisma.intentLabel.createMany({
        data: existing.map((message) => ({ id: randomUUID(), messageId: message.id, intent, agentId, origin: DISCOVERY_ORIGIN })),
        skipDuplicates: true,
      });
      written += result.count;
    }
    return written;
  });
}
