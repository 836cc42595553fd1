import { Command } from 'commander';
import { buildProgram } from './program.ts';

const program: Command = buildProgram();
await program.parseAsync(process.argv).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  process.stderr.write(`frontdesk: ${(error as Error).message}${code ? ` (${code})` : ''}\n`);
  // Explicit: open handles (a database pool, timers) would otherwise keep a failed command alive.
  process.exit(1);
});
