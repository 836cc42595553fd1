import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { createLogger } from '../../observability/logger.ts';
import { openDatabase } from '../../store/database.ts';
import { applyMigrations } from '../../store/migrate.ts';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply the SQL migrations in prisma/migrations (the server also does this at start)')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel, process.stderr);
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger, attach: true });
      try {
        const applied = await applyMigrations(database.url, logger);
        process.stdout.write(applied.length === 0 ? 'Database is up to date.\n' : `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}\n`);
      } finally {
        await database.stop();
      }
    });
}
