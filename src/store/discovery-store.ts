// What intent discovery reads: conversations (imported and logged, erased ones left out) with their
// messages in order, a batch at a time by id, so that any number of them passes in bounded memory;
// the labels it writes; and its review runs, kept in Postgres so that every server process lists and
// reviews the same runs (docs/discovery.md).
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { Prisma } from './prisma.ts';
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

/** A request's id that is a message's (discovery names requests of other sources otherwise). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The origin of labels that a reviewer gave a whole discovered cluster (docs/discovery.md). */
export const DISCOVERY_ORIGIN = 'discovery';

/**
 * Labels the visitor messages `messageIds` (those that exist and are not erased) with `intent`,
 * origin `discovery`; a message that already has a label (an agent's correction, an import's)
 * keeps it. Returns how many labels were written.
 */
export async function labelDiscoveredMessages(prisma: PrismaClient, messageIds: readonly string[], intent: string, agentId: string | null): Promise<number> {
  const uuids = messageIds.filter((id) => UUID.test(id));
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

export type DiscoveryRunStatus = 'running' | 'done' | 'failed';

/** A run's document: everything but the columns (src/discovery/review.ts DiscoveryRun); the store reads only its texts, clusters and long tail. */
export type DiscoveryRunDocument = Record<string, unknown>;

export interface StoredDiscoveryRun {
  id: string;
  status: DiscoveryRunStatus;
  createdAt: Date;
  createdBy: string;
  document: DiscoveryRunDocument;
}

// Taken by a finishing run and by an erasure (to its commit), so that the texts of a visitor erased
// while a run was reading their conversations never stay in it (finish drops those of deleted messages).
const DISCOVERY_ERASURE_LOCK_KEY = 7_404_120_121;

const COLUMNS = Prisma.sql`id::text AS id, status, "createdAt", "createdBy"`;

/**
 * The review runs of intent discovery. A run in progress names the process running it (`owner`) and
 * beats (`heartbeat`); decisions on a finished run change its document under a row lock, so that two
 * admins on two processes deciding on the same run at once are applied one after the other (the
 * second sees the first's decision).
 */
export class DiscoveryRunStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(run: { id: string; createdBy: string; owner: string; document: DiscoveryRunDocument }): Promise<StoredDiscoveryRun> {
    const rows = await guarded(() => this.prisma.$queryRaw<StoredDiscoveryRun[]>`
      INSERT INTO "DiscoveryRun" (id, status, "createdBy", owner, "heartbeatAt", document)
      VALUES (${run.id}::uuid, 'running', ${run.createdBy}, ${run.owner}, now(), ${JSON.stringify(run.document)}::jsonb)
      RETURNING ${COLUMNS}, document`);
    return rows[0]!;
  }

  /** Runs newest first: their documents without texts, clusters and long tail, and how many clusters (open ones) they have. */
  list(): Promise<Array<StoredDiscoveryRun & { clusters: number; open: number }>> {
    return guarded(() => this.prisma.$queryRaw<Array<StoredDiscoveryRun & { clusters: number; open: number }>>`
      SELECT ${COLUMNS}, document - 'texts' - 'clusters' - 'longTail' AS document,
        jsonb_array_length(document -> 'clusters')::int AS clusters,
        (SELECT count(*)::int FROM jsonb_array_elements(document -> 'clusters') c WHERE c ->> 'status' = 'open') AS open
      FROM "DiscoveryRun" ORDER BY "createdAt" DESC, id`);
  }

  /** One run, with or without its request texts; null when there is none. */
  async get(id: string, options: { texts: boolean }): Promise<StoredDiscoveryRun | null> {
    const document = options.texts ? Prisma.sql`document` : Prisma.sql`document - 'texts' AS document`;
    const rows = await guarded(() => this.prisma.$queryRaw<StoredDiscoveryRun[]>`SELECT ${COLUMNS}, ${document} FROM "DiscoveryRun" WHERE id = ${id}::uuid`);
    return rows[0] ?? null;
  }

  /** A sign of life of the run's process, with its progress. */
  async heartbeat(id: string, owner: string, progress: unknown): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`
      UPDATE "DiscoveryRun" SET "heartbeatAt" = now(), document = jsonb_set(document, '{progress}', ${JSON.stringify(progress ?? null)}::jsonb)
      WHERE id = ${id}::uuid AND owner = ${owner} AND status = 'running'`);
  }

  /**
   * Stores the outcome of a run that `owner` is running; false when it is no longer that process's
   * (declared failed meanwhile, see `failAbandoned`). The texts of messages deleted since the run
   * read them (an erased visitor's) are left out.
   */
  finish(id: string, owner: string, status: Exclude<DiscoveryRunStatus, 'running'>, document: DiscoveryRunDocument): Promise<boolean> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DISCOVERY_ERASURE_LOCK_KEY}::bigint)`;
        const requestIds = Object.keys((document.texts ?? {}) as Record<string, string>).filter((key) => UUID.test(key));
        const gone = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT request::text AS id FROM unnest(${requestIds}::uuid[]) AS request WHERE NOT EXISTS (SELECT 1 FROM "Message" m WHERE m.id = request)`;
        const kept = gone.length > 0 ? withoutRequests(document, new Set(gone.map((row) => row.id))) : document;
        const updated = await tx.$executeRaw`
          UPDATE "DiscoveryRun" SET status = ${status}, owner = NULL, "heartbeatAt" = NULL, document = ${JSON.stringify(kept)}::jsonb
          WHERE id = ${id}::uuid AND owner = ${owner} AND status = 'running'`;
        return updated === 1;
      }, { timeout: 60_000, maxWait: 10_000 }),
    );
  }

  /** Marks failed, with `error`, the runs in progress whose process has not beaten for `staleAfterMs`: it stopped and will not finish them. */
  async failAbandoned(staleAfterMs: number, error: string): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`
      UPDATE "DiscoveryRun" SET status = 'failed', owner = NULL, "heartbeatAt" = NULL,
        document = document || jsonb_build_object('error', ${error}::text, 'finishedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      WHERE status = 'running' AND "heartbeatAt" < now() - make_interval(secs => ${staleAfterMs / 1000}::float8)`);
  }

  /**
   * Changes a run under a row lock: `change` gets the run (with its texts; null when there is none)
   * and returns the new document and its answer, or throws to change nothing. It may use other
   * connections (the catalogue, labels); a decision on the same run elsewhere waits for it.
   */
  change<T>(id: string, change: (run: StoredDiscoveryRun | null) => Promise<{ document: DiscoveryRunDocument; value: T }>): Promise<T> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<StoredDiscoveryRun[]>`SELECT ${COLUMNS}, document FROM "DiscoveryRun" WHERE id = ${id}::uuid FOR UPDATE`;
        const { document, value } = await change(rows[0] ?? null);
        await tx.$executeRaw`UPDATE "DiscoveryRun" SET document = ${JSON.stringify(document)}::jsonb WHERE id = ${id}::uuid`;
        return value;
      }, { timeout: 60_000, maxWait: 10_000 }),
    );
  }
}

interface ScrubbedCluster {
  requestIds: string[];
  examples: string[];
  size: number;
}

/** Case and white space aside, as the run's examples and long tail repeat a request's redacted text. */
function sameText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The run without these requests: their texts, their ids in clusters, and examples and long-tail items with their text. */
function withoutRequests(document: DiscoveryRunDocument, ids: ReadonlySet<string>): DiscoveryRunDocument {
  const texts = (document.texts ?? {}) as Record<string, string>;
  const erasedTexts = new Set([...ids].filter((id) => id in texts).map((id) => sameText(texts[id]!)));
  const clusters = ((document.clusters ?? []) as ScrubbedCluster[]).map((cluster) => {
    const requestIds = cluster.requestIds.filter((id) => !ids.has(id));
    return {
      ...cluster,
      requestIds,
      examples: cluster.examples.filter((example) => !erasedTexts.has(sameText(example))),
      size: Math.max(0, cluster.size - (cluster.requestIds.length - requestIds.length)),
    };
  });
  const longTail = ((document.longTail ?? []) as Array<{ requestId: string; text: string }>).filter((item) => !ids.has(item.requestId) && !erasedTexts.has(sameText(item.text)));
  return { ...document, texts: Object.fromEntries(Object.entries(texts).filter(([id]) => !ids.has(id))), clusters, longTail };
}

/**
 * Erasure (src/store/data-rights-store.ts, in its transaction, before the messages go): the visitor
 * messages of these conversations leave every stored discovery run.
 */
export async function eraseFromDiscoveryRuns(tx: Prisma.TransactionClient, conversationIds: readonly string[]): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DISCOVERY_ERASURE_LOCK_KEY}::bigint)`;
  const messages = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text AS id FROM "Message" WHERE "conversationId" = ANY(${conversationIds}::uuid[]) AND role = 'visitor'`;
  if (messages.length === 0) return;
  const ids = messages.map((row) => row.id);
  const runs = await tx.$queryRaw<Array<{ id: string; document: DiscoveryRunDocument }>>`
    SELECT id::text AS id, document FROM "DiscoveryRun" WHERE document -> 'texts' ?| ${ids}::text[] ORDER BY id FOR UPDATE`;
  const erased = new Set(ids);
  for (const run of runs) {
    await tx.$executeRaw`UPDATE "DiscoveryRun" SET document = ${JSON.stringify(withoutRequests(run.document, erased))}::jsonb WHERE id = ${run.id}::uuid`;
  }
}
