// RETENTION_DAYS: conversations inactive for that long are erased (their content; an anonymous row
// stays for aggregate numbers), a small batch per short transaction with a pause in between, so that
// chat traffic never waits long behind it, and by one process at a time (an advisory lock).
import { Cron } from 'croner';
import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { withAdvisoryLock } from '../store/advisory-lock.ts';
import { DataRightsStore } from '../store/data-rights-store.ts';

const RETENTION_LOCK_KEY = 7_404_120_115;
/** Every hour, at a minute no other job of ours uses. */
export const RETENTION_SCHEDULE = '41 * * * *';
export const DEFAULT_RETENTION_BATCH = 100;
export const DEFAULT_RETENTION_PAUSE_MS = 1_000;

export interface RetentionOptions {
  prisma: PrismaClient;
  databaseUrl: string;
  /** Conversations with no activity for this many days are erased. */
  days: number;
  logger: Logger;
  /** Conversations per transaction. */
  batchSize?: number;
  /** Pause between two batches. */
  pauseMs?: number;
  signal?: AbortSignal;
}

export interface RetentionRun {
  /** Another process held the lock: this one did nothing. */
  skipped: boolean;
  batches: number;
  conversations: number;
  messages: number;
}

/** One pass: erases every expired conversation, batch by batch, then returns. */
export async function runRetention(options: RetentionOptions): Promise<RetentionRun> {
  const store = new DataRightsStore(options.prisma);
  const batchSize = options.batchSize ?? DEFAULT_RETENTION_BATCH;
  const outcome = await withAdvisoryLock(options.databaseUrl, RETENTION_LOCK_KEY, async () => {
    const run: RetentionRun = { skipped: false, batches: 0, conversations: 0, messages: 0 };
    while (!options.signal?.aborted) {
      const erased = await store.eraseExpiredBatch(options.days, batchSize, {
        actor: { kind: 'system', name: 'retention' },
        action: 'retention.erase',
        details: { retentionDays: options.days },
      });
      if (erased.conversations === 0) break;
      run.batches += 1;
      run.conversations += erased.conversations;
      run.messages += erased.messages;
      if (erased.conversations < batchSize) break;
      await pause(options.pauseMs ?? DEFAULT_RETENTION_PAUSE_MS, options.signal);
    }
    return run;
  });
  if (!outcome.locked) return { skipped: true, batches: 0, conversations: 0, messages: 0 };
  if (outcome.value.conversations > 0) options.logger.info({ ...outcome.value, retentionDays: options.days }, 'expired conversations erased');
  return outcome.value;
}

export interface RetentionJob {
  /** A pass now (the same as a scheduled one), or the one in progress; null when retention is off or the pass failed. */
  runNow(): Promise<RetentionRun | null>;
  stop(): Promise<void>;
}

/** Runs a pass every hour while `days` is set (RETENTION_DAYS); null = off. */
export function startRetention(days: number | null, options: Omit<RetentionOptions, 'days' | 'signal'>): RetentionJob {
  if (days === null) return { runNow: async () => null, stop: async () => {} };
  const abort = new AbortController();
  let running: Promise<RetentionRun | null> | null = null;
  const turn = (): Promise<RetentionRun | null> => {
    if (running || abort.signal.aborted) return running ?? Promise.resolve(null);
    running = runRetention({ ...options, days, signal: abort.signal })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) options.logger.error({ err: error }, 'erasing expired conversations failed; the next pass tries again');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const job = new Cron(RETENTION_SCHEDULE, { protect: true, unref: true, catch: true }, () => void turn());
  options.logger.info({ retentionDays: days, nextRun: job.nextRun()?.toISOString() }, 'conversations older than the retention period are erased every hour');
  return {
    runNow: turn,
    stop: async () => {
      job.stop();
      abort.abort();
      await running;
    },
  };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
