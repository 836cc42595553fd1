// Periodic retraining (RETRAIN_SCHEDULE, a cron expression): every server runs the schedule, the
// advisory lock in retrain() lets one of them do the work, and a turn with no label changed since
// the newest model version is skipped.
import { Cron } from 'croner';
import type { Logger } from '../observability/logger.ts';
import { hasNewLabels, retrain, RetrainBusyError, type RetrainOptions, type RetrainResult } from './retrain.ts';

export interface RetrainScheduler {
  /** Runs one turn now (the same as a scheduled one); null when skipped. */
  runNow(): Promise<RetrainResult | null>;
  nextRun(): Date | null;
  stop(): Promise<void>;
}

export function startRetrainScheduler(schedule: string | null, options: Omit<RetrainOptions, 'trigger'> & { logger: Logger }): RetrainScheduler {
  let running: Promise<RetrainResult | null> | null = null;
  let stopped = false;
  const abort = new AbortController();
  const turn = (): Promise<RetrainResult | null> => {
    if (running) return running;
    running = (async () => {
      if (stopped) return null;
      if (!(await hasNewLabels(options.prisma))) {
        options.logger.info('scheduled retraining skipped: no new labels since the newest model version');
        return null;
      }
      return retrain({ ...options, trigger: 'schedule', signal: abort.signal });
    })()
      .catch((error: unknown) => {
        if (stopped) return null;
        if (error instanceof RetrainBusyError) options.logger.info('scheduled retraining skipped: another process is retraining');
        else options.logger.error({ err: error }, 'scheduled retraining failed');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const job = schedule ? new Cron(schedule, { protect: true, unref: true, catch: true }, () => void turn()) : null;
  if (job) options.logger.info({ schedule, nextRun: job.nextRun()?.toISOString() }, 'retraining scheduled');
  return {
    runNow: turn,
    nextRun: () => job?.nextRun() ?? null,
    stop: async () => {
      stopped = true;
      job?.stop();
      // A training in progress is abandoned (its worker stopped); the next turn starts over.
      abort.abort();
      await running?.catch(() => null);
    },
  };
}
