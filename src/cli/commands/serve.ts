import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { createLogger } from '../../observability/logger.ts';
import { startServer } from '../../server.ts';

/** The last resort after the grace period: the server's own shutdown is bounded well within this. */
const FORCED_EXIT_AFTER_GRACE_MS = 4_000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the chat server (embedded Postgres unless DATABASE_URL is set)')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger);
      if (process.stderr.isTTY) {
        process.stderr.write(
          `\nfrontdesk is ready. Chat demo: ${server.url}/  Agent console: ${server.url}/console\n` +
            'Create the first agent account with: npx frontdesk agents add --email you@example.com --name You --role admin\n\n',
        );
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        // The DATA_DIR lock is released by an exit hook, so even this exit leaves a clean directory.
        setTimeout(() => {
          logger.error('shutdown did not finish in time; exiting');
          process.exit(1);
        }, config.shutdownGraceMs + FORCED_EXIT_AFTER_GRACE_MS).unref();
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
