import { createServer } from 'node:net';
import type { Logger } from './observability/logger.ts';

export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';
  constructor(host: string, port: number, cause?: unknown) {
    super(`port ${port} on ${host} is already in use by another process; stop it, or set PORT to a free port (PORT=0 picks one)`, { cause });
  }
}

/** Turns the listen error of a taken port into PortInUseError; other errors pass unchanged. */
export function explainListenError(error: unknown, host: string, port: number): unknown {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(host, port, error) : error;
}

/**
 * Binds the port for a moment, before the slow part of start-up (database, model training), so a
 * taken port is reported at once rather than after it.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(explainListenError(error, host, port)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * Runs shutdown steps in order within one time budget. A step that fails is logged; one that hangs
 * (a dead database under a client) is abandoned when the budget is spent, so shutdown always ends.
 */
export async function runWithinBudget(steps: Array<[name: string, step: () => Promise<unknown>]>, budgetMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    const outcome = await Promise.race([
      step().then(
        () => 'done' as const,
        (error: unknown) => {
          logger.warn({ err: error, step: name }, 'shutdown step failed');
          return 'done' as const;
        },
      ),
      outOfTime,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') logger.warn({ step: name }, 'shutdown step did not finish in time; abandoned');
  }
}
