import pg from 'pg';
import { createLogger } from '../../src/observability/logger.ts';
import { initialiseCluster, postgresRuntime, startCluster, type PostgresProcess } from '../../src/store/embedded-postgres.ts';
import { freePort } from '../faults/helpers.ts';
import { openDatabase } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { closeDatabase, createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { temporaryDirectory } from './temp.ts';

export interface TestCluster {
  /** The `frontdesk` database, as the superuser the cluster was created with. */
  url: string;
  /** Starts the stopped cluster again on the same port (the same URL). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Postgres cluster of the test's own in `databaseDir`, on the project's runner (so it starts in a
 * private folder as root like the server's), with a `frontdesk` database.
 */
export async function startTestCluster(databaseDir: string, superuser: { user: string; password: string }): Promise<TestCluster> {
  const logger = createLogger('silent');
  const runtime = await postgresRuntime(logger);
  await initialiseCluster(runtime, databaseDir, superuser);
  const port = await freePort();
  let running: PostgresProcess = await startCluster(runtime, databaseDir, port, logger);
  const base = `postgresql://${encodeURIComponent(superuser.user)}:${encodeURIComponent(superuser.password)}@127.0.0.1:${port}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  try {
    await client.query('CREATE DATABASE frontdesk');
  } finally {
    await client.end();
  }
  return {
    url: `${base}/frontdesk`,
    start: async () => {
      running = await startCluster(runtime, databaseDir, port, logger);
    },
    stop: () => running.stop(),
  };
}

/**
 * An embedded Postgres of the test's own (as the app's role), migrated, with a Prisma client; `close`
 * stops it and removes its folder. `dataDir` holds its credentials (`credentialsFile`).
 */
export async function migratedDatabase(poolSize = 2): Promise<{ url: string; dataDir: string; prisma: PrismaClient; close(): Promise<void> }> {
  const logger = createLogger('silent');
  const dir = temporaryDirectory();
  const database = await openDatabase({ dataDir: dir.path, logger });
  await applyMigrations(database.url, logger);
  const prisma = createPrismaClient(database.url, poolSize);
  return {
    url: database.url,
    dataDir: dir.path,
    prisma,
    async close() {
      await closeDatabase(prisma);
      await database.stop();
      dir.remove();
    },
  };
}
