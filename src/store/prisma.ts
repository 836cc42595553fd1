import { PrismaPg } from '@prisma/adapter-pg';
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
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: timeoutMs ?? 5_000,
    ...(timeoutMs && { statement_timeout: timeoutMs, query_timeout: timeoutMs }),
  });
  return new PrismaClient({ adapter });
}
