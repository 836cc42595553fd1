// The worker side of training-threads.ts: waits for commands on the shared control array and runs
// shard 1 / part 1 of each step with its own Kernel over the shared state.
import { parentPort } from 'node:worker_threads';
import { Kernel, type KernelState } from './training-kernel.ts';
import { COMMAND, CONTROL, SPINS } from './training-threads.ts';

const port = parentPort;
if (!port) throw new Error('training-worker.ts runs in a worker thread');

port.on('message', (message: { type: string; state: KernelState; control: Int32Array; failureText: Uint8Array }) => {
  if (message.type !== 'state') return;
  const { state, control, failureText } = message;
  try {
    const kernel = new Kernel(state);
    // Read before announcing readiness: the main thread issues its first command as soon as it sees
    // `ready`, and a count read after that could already include it (and wait for it forever).
    let seen = Atomics.load(control, CONTROL.issued);
    Atomics.store(control, CONTROL.ready, 1);
    Atomics.notify(control, CONTROL.ready);
    for (;;) {
      for (let spin = 0; spin < SPINS && Atomics.load(control, CONTROL.issued) === seen; spin++);
      Atomics.wait(control, CONTROL.issued, seen);
      seen = Atomics.load(control, CONTROL.issued);
      const command = control[CONTROL.command]!;
      if (command === COMMAND.exit) break;
      const start = control[CONTROL.start]!;
      const end = control[CONTROL.end]!;
      const counter = control[CONTROL.counter]!;
      if (command === COMMAND.gradients) kernel.gradients(1, start, end, counter);
      else kernel.update(1, counter, 1 / (end - start));
      Atomics.store(control, CONTROL.done, seen);
      Atomics.notify(control, CONTROL.done);
    }
  } catch (error) {
    const text = new TextEncoder().encode(error instanceof Error ? (error.stack ?? error.message) : String(error));
    failureText.set(text.subarray(0, failureText.length - 1));
    Atomics.store(control, CONTROL.failed, 1);
    Atomics.notify(control, CONTROL.done);
  }
  port.close();
});
port.postMessage({ type: 'loaded' });
