import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { coalesceWrites } from '../concurrency/coalesced-writes.ts';
import { PrismaClient } from '../generated/prisma/client.ts';

export type { PrismaClient };
export { Prisma } from '../generated/prisma/client.ts';

/**
 * A Prisma client on a pg pool. `timeoutMs` bounds the wait for a connection and for each statement
 * (on the server, and on the client for a server that does not answer at all), so that a database
 * that is down or frozen fails requests quickly rather than queueing them; without it only the
 * connection wait is bounded, for tools whose statements may rightly run long.
 */
export function createPrismaClient(databaseUrl: string, poolSize = 10, timeoutMs?: number): PrismaClient {
  const pool = coalesceWrites(new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: timeoutMs ?? 5_000,
    ...(timeoutMs && { statement_timeout: timeoutMs, query_timeout: timeoutMs }),
  }));
  // A broken idle connection (a database restart) is dropped by the pool; its 'error' must not stop
  // the process before Prisma's adapter, which listens only once it has connected, is listening.
  pool.on('error', () => {});
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

/** The pg pool under a client of `createPrismaClient`, for the few statements that skip the ORM (src/store/chat-store.ts). */
export function sqlPool(prisma: PrismaClient): pg.Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('a Prisma client made by createPrismaClient was expected');
  return pool;
}
