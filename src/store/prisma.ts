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
  const pool = coalesceWrites(new pg.Pool(poolOptions(databaseUrl, poolSize, timeoutMs)));
  // A broken idle connection (a database restart) is dropped by the pool; its 'error' must not stop
  // the process before Prisma's adapter, which listens only once it has connected, is listening.
  pool.on('error', () => {});
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  settings.set(client, { databaseUrl, timeoutMs });
  return client;
}

function poolOptions(databaseUrl: string, max: number, timeoutMs: number | undefined): pg.PoolConfig {
  return {
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: timeoutMs ?? 5_000,
    ...(timeoutMs && { statement_timeout: timeoutMs, query_timeout: timeoutMs }),
  };
}

const settings = new WeakMap<PrismaClient, { databaseUrl: string; timeoutMs: number | undefined }>();
const sqlPools = new WeakMap<PrismaClient, pg.Pool>();

/** Connections of the pool for the per-message statements: one batch of each kind runs at a time. */
const SQL_POOL_SIZE = 8;

/**
 * The pool of the few statements that skip the ORM (src/store/chat-store.ts, availability-store.ts),
 * its own, beside the client's (issue 22): its named statements keep one generic plan per connection
 * (`plan_cache_mode`): Postgres otherwise planned them anew at every call (0.3 ms each), their
 * estimates over arrays of unknown length never beating the custom plans'; and a burst of other
 * queries cannot take the connections every visitor's ack waits for. Idle, it lets the process exit;
 * `closeDatabase` ends it.
 */
export function sqlPool(prisma: PrismaClient): pg.Pool {
  const existing = sqlPools.get(prisma);
  if (existing) return existing;
  const setting = settings.get(prisma);
  if (!setting) throw new Error('a Prisma client made by createPrismaClient was expected');
  const pool = coalesceWrites(new pg.Pool({
    ...poolOptions(setting.databaseUrl, SQL_POOL_SIZE, setting.timeoutMs),
    options: '-c plan_cache_mode=force_generic_plan',
    allowExitOnIdle: true,
  }));
  pool.on('error', () => {});
  sqlPools.set(prisma, pool);
  return pool;
}

/** Disconnects the client and ends its statement pool. */
export async function closeDatabase(prisma: PrismaClient): Promise<void> {
  await prisma.$disconnect();
  await sqlPools.get(prisma)?.end();
}
