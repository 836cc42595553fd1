import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type { PrismaClient };
export { Prisma } from '../generated/prisma/client.ts';

export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    // A database that is down must fail requests quickly rather than queue them forever.
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
