// The second training thread: a worker that runs shard 1 of every mini-batch and part 1 of every
// optimizer step (training-kernel.ts) on shared memory, while the main thread runs shard 0 and
// part 0. They meet twice per mini-batch through Atomics on a small shared control array; the main
// thread blocks while it waits (training is synchronous work either way).
import { Worker } from 'node:worker_threads';
import type { KernelState } from './training-kernel.ts';

/** Slots of the control array. */
export const CONTROL = {
  /** Incremented by the main thread for each command. */
  issued: 0,
  command: 1,
  start: 2,
  end: 3,
  /** The epoch (gradients) or the optimizer step (update). */
  counter: 4,
  /** The last command the worker finished. */
  done: 5,
  /** 1 once the worker holds the state. */
  ready: 6,
  /** 1 when the worker failed; its message follows on the port. */
  failed: 7,
  length: 8,
} as const;

/** Bytes of the shared buffer in which a failed worker leaves its error's text. */
export const FAILURE_BYTES = 4096;

export const COMMAND = { gradients: 1, update: 2, exit: 3 } as const;

/** Longest wait for the worker's half of one step before training gives up on it. */
const STALL_MS = 120_000;

/** Longest wait for the worker to load before training goes on with one thread. */
const BOOT_MS = 20_000;

/**
 * Reads of a control slot before a thread sleeps on it: a step's half takes about half a
 * millisecond, and waking a sleeping thread can take a good part of that, so each side first
 * spins for some tens of microseconds.
 */
export const SPINS = 20_000;

/** The main thread's handle on one step of the worker: issue, then wait. */
export interface WorkerRunner {
  gradients(start: number, end: number, epoch: number): void;
  update(start: number, end: number, step: number): void;
  /** Blocks until the worker finished the last command. */
  wait(): void;
}

export interface TrainingWorker {
  /** Hands the shared state to the worker; blocks until it holds it. */
  attach(state: KernelState): WorkerRunner;
  close(): Promise<void>;
}

/**
 * Starts the worker thread; resolves when its code is loaded, or with null when it cannot start
 * (training then runs both halves on the calling thread, with the same result).
 */
export function startTrainingWorker(): Promise<TrainingWorker | null> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      // No inherited --import flags: the entry registers the TypeScript loader itself.
      worker = new Worker(new URL('./training-worker-entry.mjs', import.meta.url), { execArgv: [] });
    } catch {
      resolve(null);
      return;
    }
    const boot = setTimeout(() => {
      resolve(null);
      void worker.terminate();
    }, BOOT_MS);
    const control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
    // The worker's error, written there because this thread is blocked while the worker works.
    const failureText = new Uint8Array(new SharedArrayBuffer(FAILURE_BYTES));
    const failure = () => new TextDecoder().decode(failureText.slice(0, failureText.indexOf(0) < 0 ? FAILURE_BYTES : failureText.indexOf(0)));
    const onError = () => {
      clearTimeout(boot);
      resolve(null);
    };
    worker.once('error', onError);
    worker.on('message', (message: { type: string }) => {
      if (message.type === 'loaded') {
        clearTimeout(boot);
        worker.off('error', onError);
        // Later errors are reported by the waits below; keep the process from crashing on them.
        worker.on('error', () => undefined);
        // A worker left behind by a failed training must not keep the process alive.
        worker.unref();
        resolve(handle());
      }
    });

    function handle(): TrainingWorker {
      let issued = 0;
      const issue = (command: number, start: number, end: number, counter: number) => {
        control[CONTROL.command] = command;
        control[CONTROL.start] = start;
        control[CONTROL.end] = end;
        control[CONTROL.counter] = counter;
        issued++;
        Atomics.store(control, CONTROL.issued, issued);
        Atomics.notify(control, CONTROL.issued);
      };
      const waitFor = (slot: number, value: number, what: string) => {
        for (let spin = 0; spin < SPINS; spin++) if (Atomics.load(control, slot) === value) return;
        const started = Date.now();
        for (;;) {
          const current = Atomics.load(control, slot);
          if (current === value) return;
          if (Atomics.load(control, CONTROL.failed) === 1) throw new Error(`the training worker failed: ${failure()}`);
          if (Date.now() - started > STALL_MS) throw new Error(`the training worker did not ${what} within ${STALL_MS / 1000} s`);
          // Sleeps only while the slot still holds what was just read, so no wake-up is missed.
          Atomics.wait(control, slot, current, 1000);
        }
      };
      return {
        attach(state) {
          worker.postMessage({ type: 'state', state, control, failureText });
          waitFor(CONTROL.ready, 1, 'take the training state');
          return {
            gradients: (start, end, epoch) => issue(COMMAND.gradients, start, end, epoch),
            update: (start, end, step) => issue(COMMAND.update, start, end, step),
            wait: () => waitFor(CONTROL.done, issued, 'finish its half of a step'),
          };
        },
        async close() {
          issue(COMMAND.exit, 0, 0, 0);
          await worker.terminate();
        },
      };
    }
  });
}
