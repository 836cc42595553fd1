import pg from 'pg';
import type { Namespace, Server } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import { coalesceWrites } from '../concurrency/coalesced-writes.ts';
import { MicroBatcher } from '../concurrency/micro-batcher.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Scale-out: several frontdesk processes on one Postgres share Socket.IO rooms and events through
 * `@socket.io/postgres-adapter` (LISTEN/NOTIFY; payloads over 8 kB go through a table). A reply
 * emitted to `conversation:<id>` on process B reaches the visitor connected to process A; the agents'
 * queue and watch rooms work the same way.
 *
 * `SCALE_OUT=postgres` turns it on, `SCALE_OUT=off` off. Unset, it is on whenever DATABASE_URL is set
 * (an external database is the only way several processes can share one; the embedded database is
 * locked to a single process by DATA_DIR), and off with the embedded database.
 */
export type ScaleOutMode = 'postgres' | 'off';

export const ATTACHMENTS_TABLE = 'socket_io_attachments';
const CHANNEL_PREFIX = 'frontdesk.socket.io';
const CLEANUP_INTERVAL_MS = 30_000;

export function resolveScaleOut(mode: ScaleOutMode | undefined, databaseUrl: string | undefined): ScaleOutMode {
  return mode ?? (databaseUrl ? 'postgres' : 'off');
}

export interface ScaleOut {
  mode: ScaleOutMode;
  close(): Promise<void>;
}

/**
 * Attaches the Postgres adapter to every namespace of `io` (call it before the namespaces are
 * created). The adapter gets its own small pool: one connection is held for LISTEN, the others send
 * NOTIFY, so chat queries never wait behind cluster traffic.
 */
export async function attachScaleOut(io: Server, options: { mode: ScaleOutMode; databaseUrl: string; logger: Logger }): Promise<ScaleOut> {
  if (options.mode === 'off') return { mode: 'off', close: async () => {} };
  const logger = options.logger.child({ component: 'scale-out' });
  const pool = coalesceWrites(new pg.Pool({ connectionString: options.databaseUrl, max: 4, connectionTimeoutMillis: 5_000 }));
  // A client that loses its connection (database restart) must not crash the process: the pool
  // hears of idle ones, but the adapter's LISTEN client is checked out and has no handler of its
  // own (the adapter reconnects on its 'end').
  const connectionLost = (error: Error) => logger.warn({ err: error }, 'scale-out connection lost');
  pool.on('error', connectionLost);
  pool.on('connect', (client) => client.on('error', connectionLost));
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ${ATTACHMENTS_TABLE} (
      id          bigserial PRIMARY KEY,
      created_at  timestamptz DEFAULT NOW(),
      payload     bytea
    )`);
  batchNotifications(pool);
  // The adapter reconnects its LISTEN client whenever that ends and knows nothing of being closed: a
  // reconnection under way when io.close() ran (the database down or frozen a moment before) got its
  // client after close, and once that connection ended it retried on the ended pool every 1-3 s
  // forever, a timer that kept the process alive (database-outage.test.ts hung after passing). So it
  // connects through this: once closed, a connect never settles (its loop stops there), and a client
  // it still holds is destroyed.
  let closed = false;
  const held = new Set<pg.PoolClient>();
  const never = new Promise<never>(() => {});
  const adapterPool = {
    query: (text: string, values?: unknown[]) => pool.query(text, values),
    connect: async (): Promise<pg.PoolClient> => {
      const client = await pool.connect().catch((error: unknown) => (closed ? never : Promise.reject(error)));
      if (closed) {
        client.release(true);
        return never;
      }
      held.add(client);
      const release = client.release;
      client.release = (destroy) => {
        held.delete(client);
        release(destroy);
      };
      return client;
    },
  };
  let lastWarning = 0;
  const postgresAdapter = createAdapter(adapterPool as unknown as pg.Pool, {
    channelPrefix: CHANNEL_PREFIX,
    tableName: ATTACHMENTS_TABLE,
    cleanupInterval: CLEANUP_INTERVAL_MS,
    // While the database is down every publish fails; one warning per 10 s is enough.
    errorHandler: (error) => {
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      logger.warn({ err: error }, 'scale-out publish failed');
    },
  });
  // Socket.IO constructs the adapter of each namespace with `new`: a function that returns an object.
  io.adapter(function (this: unknown, namespace: Namespace) {
    return deliverLocallyFirst(postgresAdapter(namespace));
  } as unknown as typeof postgresAdapter);
  logger.info({ channelPrefix: CHANNEL_PREFIX }, 'sharing rooms and events with other processes through Postgres');
  return {
    mode: 'postgres',
    // io.close() closes the adapters (their LISTEN client and cleanup timer); the pool goes last.
    close: async () => {
      closed = true;
      for (const client of held) {
        client.removeAllListeners('end');
        client.release(true);
      }
      await pool.end().catch(() => {});
    },
  };
}

type Adapter = Namespace['adapter'];

/**
 * The cluster adapter hands a room emit to this process's sockets only once its NOTIFY has
 * committed (it waits for an offset that only connection state recovery uses, which is off here):
 * every reply to a visitor connected to this process waited for a Postgres round trip and commit.
 * Here this process's sockets get it at once, and the others with the notification: the same
 * emit, once marked local, then published with this process's sockets in the rooms excepted.
 */
function deliverLocallyFirst(adapter: Adapter): Adapter {
  const broadcast = adapter.broadcast.bind(adapter);
  adapter.broadcast = (packet, options) => {
    broadcast(packet, { ...options, flags: { ...options.flags, local: true } });
    if (options.flags?.local) return;
    const here = options.rooms.size > 0 ? [...options.rooms].flatMap((room) => [...(adapter.rooms.get(room) ?? [])]) : [...adapter.sids.keys()];
    broadcast(packet, { ...options, except: new Set([...(options.except ?? []), ...here]) });
  };
  return adapter;
}

/** The statement the adapter publishes every room emit with. */
const NOTIFY = 'SELECT pg_notify($1, $2)';

/**
 * The adapter publishes each room emit as its own `SELECT pg_notify($1, $2)`, a statement and a
 * commit each: three per visitor message (the message and the bot's reply to the agents watching
 * it, the reply to the visitor's room), and every NOTIFY commit takes the same global lock. Those
 * published while one is under way go together as one statement (bench:load --processes 2,
 * docs/performance.md). Postgres delivers a transaction's notifications in the order they were
 * sent; identical ones in one transaction are delivered once, which for two identical emits in the
 * same moment (the same queue pushed twice) loses nothing.
 */
function batchNotifications(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<unknown>;
  const notifications = new MicroBatcher<[string, string], void>(async (batch) => {
    await query('SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(c, p, ord) ORDER BY ord', [batch.map(([channel]) => channel), batch.map(([, payload]) => payload)]);
    return batch.map(() => undefined);
  }, 256);
  pool.query = ((text: string, values?: unknown[]) => (text === NOTIFY ? notifications.submit(values as [string, string]) : query(text, values))) as typeof pool.query;
}
