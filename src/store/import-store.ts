import { Prisma, type PrismaClient } from './prisma.ts';
import { deterministicUuid } from './deterministic-uuid.ts';
import { guarded } from './errors.ts';

export type ImportRole = 'visitor' | 'bot' | 'agent';

export interface ImportMessage {
  role: ImportRole;
  text: string;
  intent?: string;
}

export interface ImportConversation {
  /** 1-based line (or, for ABCD, the 1-based position in the array) where the record starts. */
  line: number;
  /** Stable idempotency key: the same record in any later import has the same key. */
  key: string;
  messages: ImportMessage[];
}

export interface ImportBatchResult {
  /** Conversations written by this batch. */
  created: number;
  /** Conversations that an earlier import already wrote (same key): not written again. */
  existing: number;
  /** Labels written or changed (origin `import`). */
  labels: number;
}

/** Row ids of an imported conversation: derived from its key, so a re-import finds them. */
export function importIds(conversation: Pick<ImportConversation, 'key'>, index: number) {
  return {
    visitorId: deterministicUuid('frontdesk-import', 'visitor', conversation.key),
    conversationId: deterministicUuid('frontdesk-import', 'conversation', conversation.key),
    messageId: deterministicUuid('frontdesk-import', 'message', conversation.key, String(index)),
    labelId: deterministicUuid('frontdesk-import', 'label', conversation.key, String(index)),
  };
}

/**
 * Writes imported conversations in one transaction: all of a conversation (visitor, conversation,
 * messages, labels) or nothing. Conversations already imported are not written again; their
 * imported labels are updated when the file now says otherwise, and an agent's correction
 * (origin other than `import`) is never overwritten.
 */
export async function importConversations(prisma: PrismaClient, conversations: readonly ImportConversation[]): Promise<ImportBatchResult> {
  if (conversations.length === 0) return { created: 0, existing: 0, labels: 0 };
  return guarded(() =>
    prisma.$transaction(
      async (tx) => {
        const ids = conversations.map((conversation) => importIds(conversation, 0).conversationId);
        const found = new Set((await tx.conversation.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((row) => row.id));
        const fresh: ImportConversation[] = [];
        const seen = new Set<string>();
        for (const conversation of conversations) {
          const id = importIds(conversation, 0).conversationId;
          if (found.has(id) || seen.has(id)) continue;
          seen.add(id);
          fresh.push(conversation);
        }
        const now = Date.now();
        if (fresh.length > 0) {
          await tx.visitor.createMany({ data: fresh.map((conversation) => ({ id: importIds(conversation, 0).visitorId })), skipDuplicates: true });
          await tx.conversation.createMany({
            data: fresh.map((conversation) => ({ id: importIds(conversation, 0).conversationId, visitorId: importIds(conversation, 0).visitorId, status: 'resolved' as const, resolvedAt: new Date(now) })),
            skipDuplicates: true,
          });
          await tx.message.createMany({
            data: fresh.flatMap((conversation) =>
              conversation.messages.map((message, index) => ({
                id: importIds(conversation, index).messageId,
                conversationId: importIds(conversation, 0).conversationId,
                role: message.role,
                text: message.text,
                clientId: `import:${index}`,
                ...(message.role === 'agent' ? { source: 'agent' as const } : {}),
                // Spaced by a millisecond so that timestamps keep the transcript's order too.
                createdAt: new Date(now + index),
              })),
            ),
            skipDuplicates: true,
          });
        }
        let labels = 0;
        for (const conversation of conversations) {
          for (const [index, message] of conversation.messages.entries()) {
            if (!message.intent || message.role !== 'visitor') continue;
            const { messageId, labelId } = importIds(conversation, index);
            labels += await tx.$executeRaw(Prisma.sql`
              INSERT INTO "IntentLabel" ("id", "messageId", "intent", "origin")
              VALUES (${labelId}::uuid, ${messageId}::uuid, ${message.intent}, 'import')
              ON CONFLICT ("messageId") DO UPDATE SET "intent" = EXCLUDED."intent", "updatedAt" = CURRENT_TIMESTAMP
              WHERE "IntentLabel"."origin" = 'import' AND "IntentLabel"."intent" <> EXCLUDED."intent"`);
          }
        }
        return { created: fresh.length, existing: conversations.length - fresh.length, labels };
      },
      { timeout: 120_000, maxWait: 30_000 },
    ),
  );
}
