import type { Socket } from 'node:net';
import type pg from 'pg';

/**
 * pg sends every statement as five protocol messages (Parse, Bind, Describe, Execute, Sync), each
 * its own socket write, so five system calls: under load the largest item of the profile (16% of
 * the main thread at 500 msg/s, docs/performance.md). The pool's connections cork their socket at
 * the first write of a tick and uncork it at the end of the tick, so a statement, and whatever else
 * is written in the same tick, leaves in one `writev`.
 */
export function coalesceWrites<P extends pg.Pool>(pool: P): P {
  pool.on('connect', (client) => {
    const stream = (client as unknown as { connection: { stream: Socket } }).connection.stream;
    const write = stream.write;
    let corked = false;
    stream.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      if (!corked) {
        corked = true;
        stream.cork();
        process.nextTick(() => {
          corked = false;
          stream.uncork();
        });
      }
      return write.apply(this, args);
    } as Socket['write'];
  });
  return pool;
}
