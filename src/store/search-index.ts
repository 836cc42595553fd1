// Transcript search's GIN index keeps new messages' words in a pending list (fastupdate). Whichever
// insert finds that list over its limit (4 MB) merges it into the index while every message behind
// it waits; indexing each word as it is written instead (fastupdate off) cost every bot reply about
// 80 WAL records, 30 kB (docs/performance.md). This job merges the list in the background, about once a
// second, so that the list stays small, inserts only append to it and searches read little of it.
// An insert that finds a merge in progress does not wait for it.
import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from './prisma.ts';

/** One process merges at a time; the others skip that turn instead of queueing behind it. */
const SEARCH_INDEX_LOCK_KEY = 7_404_120_116;
const DEFAULT_SEARCH_INDEX_UPKEEP_MS = 1_000;

export interface SearchIndexUpkeep {
  /** Merges the pending list now; the number of its pages merged, null when another process was merging. */
  mergeNow(): Promise<number | null>;
  stop(): Promise<void>;
}

/** Merges the pending list of transcript search every `intervalMs`. */
export function startSearchIndexUpkeep(prisma: PrismaClient, logger: Logger, intervalMs = DEFAULT_SEARCH_INDEX_UPKEEP_MS): SearchIndexUpkeep {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  // A database that is down fails every turn: said once, not every second.
  let failing = false;

  const mergeNow = async (): Promise<number | null> => {
    // The advisory lock lasts the statement: taken, the merge runs; not taken, nothing does.
    const rows = await prisma.$queryRaw<Array<{ pages: bigint | number }>>`
      SELECT gin_clean_pending_list('"Message_text_search_idx"'::regclass) AS pages WHERE pg_try_advisory_xact_lock(${SEARCH_INDEX_LOCK_KEY}::bigint)`;
    return rows.length === 0 ? null : Number(rows[0]!.pages);
  };

  const turn = async () => {
    try {
      const pages = await mergeNow();
      if (pages) logger.debug({ pages }, 'search index pending list merged');
      failing = false;
    } catch (error) {
      if (isInsufficientPrivilege(error)) {
        // Only the index's owner may merge; inserts and autovacuum still do, as without this job.
        logger.warn({ err: error }, "the search index's pending list cannot be merged by this database role (not the index's owner); inserts and autovacuum merge it");
        stopped = true;
        return;
      }
      if (!failing) logger.warn({ err: error }, "merging the search index's pending list failed; it is tried again every turn");
      failing = true;
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = turn().finally(() => {
        running = null;
        schedule();
      });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    mergeNow,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

function isInsufficientPrivilege(error: unknown): boolean {
  return /must be owner of index|42501/.test(String((error as Error | undefined)?.message));
}
