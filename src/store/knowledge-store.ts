import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';
import type { KnowledgeChunk as StoredChunk, Prisma, ReuseStatus } from '../generated/prisma/client.ts';

export type { StoredChunk, ReuseStatus };

/** Postgres NOTIFY channel: a harvested answer was approved or rejected (payload: the chunk id). */
export const REUSE_CHANNEL = 'frontdesk_reuse_reviewed';

/** What visitors may be served: every document, and agent answers a person approved for reuse. */
const SERVABLE: Prisma.KnowledgeChunkWhereInput = { OR: [{ kind: 'document' }, { reuseStatus: 'approved' }] };

export function isServable(chunk: Pick<StoredChunk, 'kind' | 'reuseStatus' | 'deletedAt'>): boolean {
  return chunk.deletedAt === null && (chunk.kind === 'document' || chunk.reuseStatus === 'approved');
}

/** A harvested answer with who reviewed it, for the review list. */
export type HarvestedAnswer = StoredChunk & { reviewedBy: { id: string; name: string } | null };

const withReviewer = { reviewedBy: { select: { id: true, name: true } } } as const;

/** The source of an agent answer: the conversation and the agent message it was harvested from. */
export function agentAnswerSource(conversationId: string, messageId: string): string {
  return `conversation:${conversationId}#${messageId}`;
}

export function conversationOfSource(source: string): string | null {
  return /^conversation:([0-9a-f-]{36})#/.exec(source)?.[1] ?? null;
}

export interface DocumentChunk {
  source: string;
  title: string;
  text: string;
  contentHash: string;
}

export interface AgentAnswer {
  /** `agentAnswerSource(conversationId, agentMessageId)` */
  source: string;
  question: string;
  text: string;
  contentHash: string;
}

/** Knowledge chunks and their embeddings in Postgres, the source of truth for the HNSW index. */
export class KnowledgeStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Makes the stored document chunks equal to the given ones: new or changed chunks are inserted,
   * chunks no longer present are marked deleted (their index labels are never reused).
   */
  async syncDocuments(chunks: readonly DocumentChunk[]): Promise<{ added: number; removed: number }> {
    return guarded(async () => {
      const live = await this.prisma.knowledgeChunk.findMany({ where: { kind: 'document', deletedAt: null }, select: { id: true, source: true, contentHash: true } });
      const wanted = new Set(chunks.map((chunk) => `${chunk.source}\u0000${chunk.contentHash}`));
      const present = new Set(live.map((chunk) => `${chunk.source}\u0000${chunk.contentHash}`));
      const stale = live.filter((chunk) => !wanted.has(`${chunk.source}\u0000${chunk.contentHash}`)).map((chunk) => chunk.id);
      const fresh = chunks.filter((chunk) => !present.has(`${chunk.source}\u0000${chunk.contentHash}`));
      await this.prisma.$transaction(async (tx) => {
        if (stale.length > 0) await tx.knowledgeChunk.updateMany({ where: { id: { in: stale } }, data: { deletedAt: new Date() } });
        for (const chunk of fresh) {
          // A chunk that was deleted and comes back unchanged gets a fresh row (and index label).
          await tx.knowledgeChunk.deleteMany({ where: { kind: 'document', source: chunk.source, contentHash: chunk.contentHash, deletedAt: { not: null } } });
          await tx.knowledgeChunk.create({ data: { id: randomUUID(), kind: 'document', source: chunk.source, title: chunk.title, text: chunk.text, contentHash: chunk.contentHash } });
        }
      });
      return { added: fresh.length, removed: stale.length };
    });
  }

  /**
   * Stores an agent's (redacted) answer to a visitor question, pending review; returns null when the
   * same answer is stored already, or when its conversation was erased (the lock waits for an
   * erasure in progress: src/store/data-rights-store.ts).
   */
  async addAgentAnswer(answer: AgentAnswer): Promise<StoredChunk | null> {
    const conversationId = conversationOfSource(answer.source);
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        if (conversationId) {
          const [conversation] = await tx.$queryRaw<Array<{ erasedAt: Date | null }>>`
            SELECT "erasedAt" FROM "Conversation" WHERE id = ${conversationId}::uuid FOR KEY SHARE`;
          if (conversation?.erasedAt) return null;
        }
        const existing = await tx.knowledgeChunk.findUnique({
          where: { kind_source_contentHash: { kind: 'agent_answer', source: answer.source, contentHash: answer.contentHash } },
        });
        if (existing) return null;
        return tx.knowledgeChunk.create({
          data: { id: randomUUID(), kind: 'agent_answer', source: answer.source, question: answer.question, text: answer.text, contentHash: answer.contentHash, reuseStatus: 'pending' },
        });
      }),
    );
  }

  /** Harvested answers, newest first. */
  harvestedAnswers(filter: { status?: ReuseStatus; limit: number }): Promise<HarvestedAnswer[]> {
    return guarded(() =>
      this.prisma.knowledgeChunk.findMany({
        where: { kind: 'agent_answer', deletedAt: null, ...(filter.status ? { reuseStatus: filter.status } : {}) },
        include: withReviewer,
        orderBy: [{ createdAt: 'desc' }, { label: 'desc' }],
        take: filter.limit,
      }),
    );
  }

  /**
   * Records a person's decision on a harvested answer (approving may replace its text), and tells
   * every server process (NOTIFY on REUSE_CHANNEL) so their indexes add or drop it. Null when no
   * such answer exists.
   */
  reviewAgentAnswer(id: string, decision: { status: Exclude<ReuseStatus, 'pending'>; reviewerId: string; question: string | null; text: string }): Promise<HarvestedAnswer | null> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const { count } = await tx.knowledgeChunk.updateMany({
          where: { id, kind: 'agent_answer', deletedAt: null },
          // The question may change (answers harvested before redaction are redacted now): embed it afresh.
          data: { reuseStatus: decision.status, reviewedById: decision.reviewerId, reviewedAt: new Date(), question: decision.question, text: decision.text, encoder: null, embedding: null },
        });
        if (count === 0) return null;
        await tx.$executeRaw`SELECT pg_notify(${REUSE_CHANNEL}, ${id})`;
        return tx.knowledgeChunk.findUniqueOrThrow({ where: { id }, include: withReviewer });
      }),
    );
  }

  byId(id: string): Promise<StoredChunk | null> {
    return guarded(() => this.prisma.knowledgeChunk.findUnique({ where: { id } }));
  }

  /** Live, servable chunks whose embedding is missing or was made by another encoder. */
  needingEmbedding(encoder: string): Promise<StoredChunk[]> {
    return guarded(() =>
      this.prisma.knowledgeChunk.findMany({
        where: { deletedAt: null, AND: [SERVABLE, { OR: [{ encoder: null }, { encoder: { not: encoder } }, { embedding: null }] }] },
        orderBy: { label: 'asc' },
      }),
    );
  }

  async saveEmbedding(id: string, encoder: string, vector: Float32Array, titleVector: Float32Array | null = null): Promise<void> {
    await guarded(() =>
      this.prisma.knowledgeChunk.update({ where: { id }, data: { encoder, embedding: bytesOf(vector), titleEmbedding: titleVector ? bytesOf(titleVector) : null } }),
    );
  }

  /** Live, servable chunks embedded by the given encoder, for (re)building the index. */
  embedded(encoder: string): Promise<StoredChunk[]> {
    return guarded(() => this.prisma.knowledgeChunk.findMany({ where: { deletedAt: null, encoder, embedding: { not: null }, ...SERVABLE }, orderBy: { label: 'asc' } }));
  }
}

function bytesOf(vector: Float32Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(vector.slice().buffer);
}

export function vectorOf(bytes: Uint8Array | null): Float32Array | null {
  if (!bytes) return null;
  // Copy: the row's bytes may not be 4-byte aligned.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
