import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';
import type { KnowledgeChunk as StoredChunk } from '../generated/prisma/client.ts';

export type { StoredChunk };

export interface DocumentChunk {
  source: string;
  title: string;
  text: string;
  contentHash: string;
}

export interface AgentAnswer {
  /** `conversation:<conversationId>#<agentMessageId>` */
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

  /** Stores an agent's answer to a visitor question; returns null when the same answer is stored already. */
  async addAgentAnswer(answer: AgentAnswer): Promise<StoredChunk | null> {
    return guarded(async () => {
      const existing = await this.prisma.knowledgeChunk.findUnique({
        where: { kind_source_contentHash: { kind: 'agent_answer', source: answer.source, contentHash: answer.contentHash } },
      });
      if (existing) return null;
      return this.prisma.knowledgeChunk.create({
        data: { id: randomUUID(), kind: 'agent_answer', source: answer.source, question: answer.question, text: answer.text, contentHash: answer.contentHash },
      });
    });
  }

  /** Live chunks whose embedding is missing or was made by another encoder. */
  needingEmbedding(encoder: string): Promise<StoredChunk[]> {
    return guarded(() =>
      this.prisma.knowledgeChunk.findMany({
        where: { deletedAt: null, OR: [{ encoder: null }, { encoder: { not: encoder } }, { embedding: null }] },
        orderBy: { label: 'asc' },
      }),
    );
  }

  async saveEmbedding(id: string, encoder: string, vector: Float32Array, titleVector: Float32Array | null = null): Promise<void> {
    await guarded(() =>
      this.prisma.knowledgeChunk.update({ where: { id }, data: { encoder, embedding: bytesOf(vector), titleEmbedding: titleVector ? bytesOf(titleVector) : null } }),
    );
  }

  /** Live chunks embedded by the given encoder, for (re)building the index. */
  embedded(encoder: string): Promise<StoredChunk[]> {
    return guarded(() => this.prisma.knowledgeChunk.findMany({ where: { deletedAt: null, encoder, embedding: { not: null } }, orderBy: { label: 'asc' } }));
  }

  byLabels(labels: readonly number[]): Promise<StoredChunk[]> {
    return guarded(() => this.prisma.knowledgeChunk.findMany({ where: { label: { in: [...labels] }, deletedAt: null } }));
  }

  deletedLabels(): Promise<number[]> {
    return guarded(async () => (await this.prisma.knowledgeChunk.findMany({ where: { deletedAt: { not: null } }, select: { label: true } })).map((row) => row.label));
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
