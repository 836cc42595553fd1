import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { AvailabilityStore, type FollowupState } from '../store/availability-store.ts';
import type { BatchedStatement } from '../store/chat-store.ts';
import { formatOpening, isOpen, nextOpening, type BusinessHours } from './business-hours.ts';

export interface DeskAvailabilityOptions {
  prisma: PrismaClient;
  /** BUSINESS_HOURS; null: the desk is within hours at all times, and only agents' presence counts. */
  hours: BusinessHours | null;
  /** A console connection not seen for this long counts as gone (its process died). */
  presenceTimeoutMs?: number;
  now?: () => Date;
  /** Observes the size of every batch of the waiting path's statements (metrics). */
  onBatch?: (statement: BatchedStatement, size: number) => void;
}

/** How often each process tells the database its agents' connections are alive. */
export const PRESENCE_HEARTBEAT_MS = 15_000;
export const DEFAULT_PRESENCE_TIMEOUT_MS = 3 * PRESENCE_HEARTBEAT_MS;

/**
 * Whether people can answer now: within BUSINESS_HOURS, and with an agent available (a console
 * open and set to available, in any process). The dialogue hands these facts to the pure policy.
 */
export class DeskAvailability {
  readonly store: AvailabilityStore;
  private readonly now: () => Date;

  constructor(private readonly options: DeskAvailabilityOptions) {
    this.store = new AvailabilityStore(options.prisma, { onBatch: options.onBatch });
    this.now = options.now ?? (() => new Date());
  }

  get hours(): BusinessHours | null {
    return this.options.hours;
  }

  staleBefore(): Date {
    return new Date(this.now().getTime() - (this.options.presenceTimeoutMs ?? DEFAULT_PRESENCE_TIMEOUT_MS));
  }

  /** `staffed`: within hours with an agent available; `back`: when the desk opens next, in the visitor's language (null within hours). */
  async staffing(language: string | undefined): Promise<{ staffed: boolean; back: string | null }> {
    const now = this.now();
    const { hours } = this.options;
    if (hours && !isOpen(hours, now)) {
      const opening = nextOpening(hours, now);
      return { staffed: false, back: opening ? formatOpening(opening, hours, language, now) : null };
    }
    return { staffed: (await this.store.availableAgents(this.staleBefore())) > 0, back: null };
  }

  waiting(conversationId: string): Promise<{ followup: FollowupState; position: number | null; language: string | null }> {
    return this.store.waiting(conversationId);
  }

  appendWaitingReply(input: Parameters<AvailabilityStore['appendWaitingReply']>[0]) {
    return this.store.appendWaitingReply(input);
  }

  markAsked(conversationId: string): Promise<void> {
    return this.store.markAsked(conversationId);
  }
}

/**
 * Every `intervalMs`, conversations waiting longer than `waitMs` get the offline path once
 * (`offer`: the dialogue's long-wait decision). Several processes may run it: the write is
 * conditional, and a conversation offered twice in a race gets one message (see DialogueService).
 */
export function startLongWaitSweeper(options: { desk: DeskAvailability; waitMs: number; intervalMs?: number; offer: (conversationId: string) => Promise<unknown>; logger: Logger }): { stop(): void } {
  const interval = options.intervalMs ?? Math.min(60_000, Math.max(1_000, Math.floor(options.waitMs / 4)));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const since = new Date(Date.now() - options.waitMs);
        for (const id of await options.desk.store.longWaiting(since)) await options.offer(id);
      } catch (error) {
        options.logger.warn({ err: error }, 'offering the offline path to long waits failed');
      } finally {
        running = false;
      }
    })();
  }, interval);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
