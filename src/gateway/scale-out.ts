import pg from 'pg';
import type { Server } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
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
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4, connectionTimeoutMillis: 5_000 });
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
  let lastWarning = 0;
  io.adapter(
    createAdapter(pool, {
      channelPrefix: CHANNEL_PREFIX,
      tableName: ATTACHMENTS_TABLE,
      cleanupInterval: CLEANUP_INTERVAL_MS,
      // While the database is down every publish fails; one warning per 10 s is enough.
      errorHandler: (error) => {
        if (Date.now() - lastWarning < 10_000) return;
        lastWarning = Date.now();
        logger.warn({ err: error }, 'scale-out publish failed');
      },
    }),
  );
  logger.info({ channelPrefix: CHANNEL_PREFIX }, 'sharing rooms and events with other processes through Postgres');
  return {
    mode: 'postgres',
    // io.close() closes the adapters (their LISTEN client and cleanup timer); the pool goes last.
    close: async () => {
      await pool.end().catch(() => {});
    },
  };
}
