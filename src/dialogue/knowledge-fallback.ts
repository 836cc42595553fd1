import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import { chunkDocuments, embeddingText } from '../retrieval/knowledge.ts';
import { chooseThreshold, DEFAULT_TARGET_PRECISION, gradeTopHits, Retriever, type RetrievalHit, type ThresholdChoice, type ValidationPair } from '../retrieval/retriever.ts';
import { VectorIndex } from '../retrieval/vector-index.ts';
import { agentAnswerSource, isServable, REUSE_CHANNEL, vectorOf, type KnowledgeStore, type StoredChunk } from '../store/knowledge-store.ts';
import type { ChatStore } from '../store/chat-store.ts';
import { listen, type Subscription } from '../store/notifications.ts';
import { redact } from '../corpus/redact.ts';
import type { RetrievalAnswer } from './policy.ts';
import type { EncodedSentence, RetrievalFallback } from './service.ts';

/** The sentence encoder of one model version: vectors from different versions are not comparable. */
export interface Encoder {
  id: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

interface ChunkMeta {
  source: string;
  kind: StoredChunk['kind'];
  title: string | null;
  text: string;
}

interface Served {
  encoderId: string;
  index: VectorIndex;
  chunks: Map<number, ChunkMeta>;
  retriever: Retriever<ChunkMeta>;
  threshold: ThresholdChoice;
}

const validationFile = z.object({
  pairs: z.array(z.object({ query: z.string().min(1), expected: z.string().min(1).nullable() })).min(1),
});

const EMBED_BATCH = 64;
// Each chunk has up to two vectors in the index: its full text (label 2n) and its title (2n + 1).
const fullTextLabel = (chunk: number) => chunk * 2;
const titleLabel = (chunk: number) => chunk * 2 + 1;
const chunkOf = (label: number) => Math.floor(label / 2);
const INDEX_LAYOUT = 'text+title';

/**
 * The retrieval fallback: knowledge documents and past agent answers approved for reuse, embedded by
 * the active model's encoder into an HNSW index. Embeddings live in Postgres, so a new process or a
 * new encoder rebuilds the index from them; the acceptance threshold is chosen on held-out questions
 * for each encoder.
 */
export class KnowledgeFallback implements RetrievalFallback {
  private served: Served | null = null;
  /** Rebuilds and review decisions change the index one at a time, in order. */
  private changes: Promise<void> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | null = null;
  private reviews: Subscription | null = null;
  /** After close nothing new starts: a late reconnect or model switch must not write into DATA_DIR. */
  private closed = false;

  constructor(
    private readonly options: {
      knowledge: KnowledgeStore;
      chats: ChatStore;
      /**
       * The knowledge documents (Markdown, `file` relative to the knowledge folder) and the held-out
       * questions (`validation.yaml`; null: no threshold, the fallback is off), as the catalogue has them now.
       */
      documents: () => { markdown: ReadonlyArray<{ file: string; text: string }>; validation: string | null };
      indexDir: string;
      currentEncoder: () => Encoder | null;
      logger: Logger;
      /** Share of accepted validation answers that must be right. */
      targetPrecision?: number;
    },
  ) {}

  get threshold(): ThresholdChoice | null {
    return this.served?.threshold ?? null;
  }

  get encoderId(): string | null {
    return this.served?.encoderId ?? null;
  }

  async bestAnswer(text: string, sentence?: EncodedSentence): Promise<RetrievalAnswer | null> {
    const served = this.served;
    if (!served || served.threshold.threshold === null) return null;
    // The vector of the run that classified the text, when it is comparable with the index: no second model run.
    const reusable = sentence?.encoderId === served.encoderId ? sentence.vector : null;
    const [top] = reusable ? served.retriever.nearest(reusable, 1) : await this.searchWithCurrentEncoder(served, text);
    if (!top || top.score < served.threshold.threshold) return null;
    return { text: joinSoftLineBreaks(top.meta.text), score: top.score, source: top.meta.source, kind: top.meta.kind, title: top.meta.title };
  }

  /** Embeds the text again, for a caller without a vector of the index's encoder (e.g. a promotion came in between). */
  private async searchWithCurrentEncoder(served: Served, text: string): Promise<RetrievalHit<ChunkMeta>[]> {
    // Right after a model switch the index still holds the old encoder's vectors: no answer beats a wrong one.
    if (this.options.currentEncoder()?.id !== served.encoderId) return [];
    return served.retriever.search(text, 1);
  }

  /**
   * Syncs the knowledge documents and (re)builds the index for the current encoder; serialised. Only
   * new or changed chunks are embedded (by content hash), and the saved index gets only their labels.
   */
  refresh(): Promise<void> {
    return this.serialised(() => this.rebuild());
  }

  /** Review decisions made in any process (NOTIFY on REUSE_CHANNEL) add answers to this index or drop them. */
  async followReviews(databaseUrl: string): Promise<void> {
    const { logger } = this.options;
    this.reviews = await listen({
      databaseUrl,
      channel: REUSE_CHANNEL,
      logger,
      onNotification: (id) => void this.serialised(() => this.applyReview(id)).catch((error: unknown) => logger.error({ err: error, id }, 'applying a reuse review failed')),
      onReconnect: () => void this.refresh().catch((error: unknown) => logger.error({ err: error }, 'rebuilding the knowledge index failed')),
    });
  }

  private serialised(change: () => Promise<void>): Promise<void> {
    this.changes = this.changes.catch(() => {}).then(() => (this.closed ? undefined : change()));
    return this.changes;
  }

  private async rebuild(): Promise<void> {
    const encoder = this.options.currentEncoder();
    if (!encoder) return;
    const { knowledge, logger } = this.options;
    const { markdown, validation } = this.options.documents();
    const synced = await knowledge.syncDocuments(chunkDocuments(markdown));
    await this.embedMissing(encoder);
    const live = await knowledge.embedded(encoder.id);
    const vectors = live.flatMap((chunk) => {
      const title = vectorOf(chunk.titleEmbedding);
      return [{ label: fullTextLabel(chunk.label), vector: vectorOf(chunk.embedding)! }, ...(title ? [{ label: titleLabel(chunk.label), vector: title }] : [])];
    });
    const dimension = vectors[0]?.vector.length ?? (await encoder.embed(['dimension probe']))[0]!.length;
    const index = await VectorIndex.open({
      dir: this.options.indexDir,
      dimension,
      encoderId: `${encoder.id}/${INDEX_LAYOUT}`,
      logger,
      rebuildFrom: () => vectors,
    });
    // The saved index may lag Postgres (a crash before the last save, another process's answers).
    if (this.closed) return;
    const byLabel = new Map(vectors.map((item) => [item.label, item]));
    await index.reconcile(byLabel.keys(), (labels) => labels.flatMap((label) => byLabel.get(label) ?? []));
    await index.save();
    const chunks = new Map(live.map((chunk) => [chunk.label, metaOf(chunk)]));
    const retriever = new Retriever<ChunkMeta>({ embed: (texts) => encoder.embed(texts), index, lookup: (label) => chunks.get(chunkOf(label)) });
    // Without held-out questions no threshold can be chosen: the fallback stays off.
    const outcomes = validation === null ? [] : await gradeTopHits(retriever, validationPairs(validation));
    const threshold = chooseThreshold(outcomes, { targetPrecision: this.options.targetPrecision ?? DEFAULT_TARGET_PRECISION });
    this.served = { encoderId: encoder.id, index, chunks, retriever, threshold };
    logger.info({ encoder: encoder.id, chunks: chunks.size, ...synced, threshold }, 'knowledge index ready');
    if (threshold.threshold === null) logger.warn({ encoder: encoder.id }, 'no retrieval threshold reaches the target precision; the retrieval fallback is off');
  }

  private async embedMissing(encoder: Encoder): Promise<void> {
    const pending = await this.options.knowledge.needingEmbedding(encoder.id);
    for (let start = 0; start < pending.length; start += EMBED_BATCH) {
      const batch = pending.slice(start, start + EMBED_BATCH);
      const vectors = await encoder.embed(batch.map(textToEmbed));
      const titled = batch.filter((chunk) => chunk.kind === 'document' && chunk.title);
      const titleVectors = new Map(titled.length === 0 ? [] : (await encoder.embed(titled.map((chunk) => chunk.title!))).map((vector, i) => [titled[i]!.id, vector]));
      for (const [i, chunk] of batch.entries()) {
        await this.options.knowledge.saveEmbedding(chunk.id, encoder.id, vectors[i]!, titleVectors.get(chunk.id) ?? null);
      }
    }
  }

  /**
   * Harvests question → answer pairs from a conversation in which an agent answered: each agent
   * message answers the visitor's last question before it. Both are personal, so they are stored
   * redacted and pending: no visitor is served one until a person approves it for reuse. Returns
   * how many new answers await review.
   */
  async harvestConversation(conversationId: string): Promise<number> {
    const messages = await this.options.chats.history(conversationId);
    // "I want to talk to a person" is not the question an agent answers: skip explicit handover requests.
    const explicitHandover = new Set(messages.filter((m) => m.role === 'bot' && m.source === 'handoff' && m.intent && m.replyToId).map((m) => m.replyToId));
    let added = 0;
    let lastQuestion: string | null = null;
    for (const message of messages) {
      if (message.role === 'visitor' && !explicitHandover.has(message.id)) lastQuestion = message.text;
      if (message.role !== 'agent' || !lastQuestion) continue;
      const question = redact(lastQuestion);
      const text = redact(message.text);
      const stored = await this.options.knowledge.addAgentAnswer({
        source: agentAnswerSource(conversationId, message.id),
        question,
        text,
        contentHash: createHash('sha256').update(`${question}\u0000${text}`).digest('hex'),
      });
      if (stored) added += 1;
    }
    return added;
  }

  /** Serves an answer that was just approved (or re-approved with new text), or stops serving a rejected one. */
  private async applyReview(id: string): Promise<void> {
    const chunk = await this.options.knowledge.byId(id);
    if (!chunk) return;
    if (isServable(chunk)) await this.indexAnswer(chunk);
    else await this.unindex(chunk);
  }

  private async indexAnswer(chunk: StoredChunk): Promise<void> {
    const served = this.served;
    const encoder = this.options.currentEncoder();
    if (!served || !encoder || encoder.id !== served.encoderId) return; // the next rebuild embeds it
    // Another process may have embedded it already.
    const stored = chunk.encoder === encoder.id ? vectorOf(chunk.embedding) : null;
    const vector = stored ?? (await encoder.embed([textToEmbed(chunk)]))[0]!;
    if (!stored) await this.options.knowledge.saveEmbedding(chunk.id, encoder.id, vector);
    served.chunks.set(chunk.label, metaOf(chunk));
    await served.index.upsert(fullTextLabel(chunk.label), vector);
    this.scheduleSave(served.index);
  }

  private async unindex(chunk: StoredChunk): Promise<void> {
    const served = this.served;
    if (!served?.chunks.delete(chunk.label)) return;
    await served.index.remove(fullTextLabel(chunk.label));
    this.scheduleSave(served.index);
  }

  /** Saves are batched: Postgres is the source of truth, the file only shortens the next start. */
  private scheduleSave(index: VectorIndex): void {
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void index.save().catch((error: unknown) => this.options.logger.warn({ err: error }, 'saving the knowledge index failed'));
    }, 5_000);
    this.saveTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.reviews?.close();
    this.reviews = null;
    await this.changes.catch(() => {});
    await this.served?.index.save().catch(() => {});
  }
}

function validationPairs(text: string): ValidationPair[] {
  return validationFile.parse(parseYaml(text)).pairs.map((pair) => ({ query: pair.query, expectedSource: pair.expected }));
}

/** Agent answers are found by the question they answered; documents by their title and text. */
function textToEmbed(chunk: StoredChunk): string {
  return chunk.kind === 'agent_answer' ? (chunk.question ?? chunk.text) : embeddingText({ title: chunk.title ?? '', text: chunk.text });
}

function metaOf(chunk: StoredChunk): ChunkMeta {
  return { source: chunk.source, kind: chunk.kind, title: chunk.title, text: chunk.text };
}

/**
 * Markdown wraps paragraphs with single line breaks that a chat bubble would show as hard breaks:
 * join them, keeping paragraph breaks, list items and table rows on their own lines (tables are not
 * in the rich-text subset: a row a line is how a chat bubble can show them).
 */
export function joinSoftLineBreaks(markdown: string): string {
  return markdown.replace(/([^\n])\n(?!\n|\s*(?:[-*+]|\d+[.)])\s|\s*\|)/g, '$1 ');
}
