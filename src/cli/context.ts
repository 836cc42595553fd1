import { userInfo } from 'node:os';
import { loadConfig, type Config } from '../config/config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { openDatabase } from '../store/database.ts';
import { applyMigrations } from '../store/migrate.ts';
import { closeDatabase, createPrismaClient, type PrismaClient } from '../store/prisma.ts';
import type { AuditActor } from '../store/audit-store.ts';
import { LiveCatalogue } from '../catalogue/live.ts';
import { CatalogueStore } from '../store/catalogue-store.ts';

export interface CommandContext {
  config: Config;
  logger: Logger;
  databaseUrl: string;
  prisma: PrismaClient;
}

/**
 * Runs a command against the configured database: an external DATABASE_URL, the embedded Postgres of
 * a server running on the same DATA_DIR, or the embedded Postgres started for this command alone.
 */
export async function withDatabase<T>(run: (context: CommandContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Command output goes to stdout; logs stay on stderr and quiet unless asked for.
  const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn', process.stderr);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger, attach: true });
  try {
    await applyMigrations(database.url, logger);
    const prisma = createPrismaClient(database.url, 2);
    try {
      return await run({ config, logger, databaseUrl: database.url, prisma });
    } finally {
      await closeDatabase(prisma);
    }
  } finally {
    await database.stop();
  }
}

/** Who runs a command, as the audit log names them: the operating-system user. */
export function cliActor(): AuditActor {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? 'unknown';
  }
  return { kind: 'cli', name };
}

/** The catalogue as the servers serve it: from Postgres (an empty database is seeded from INTENTS_DIR first, as a server's first start does). */
export function servedCatalogue(context: Pick<CommandContext, 'prisma' | 'config' | 'logger'>): Promise<LiveCatalogue> {
  return LiveCatalogue.open({ store: new CatalogueStore(context.prisma), seedDir: context.config.intentsDir, logger: context.logger });
}
