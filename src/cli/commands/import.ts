import { Option, type Command } from 'commander';
import { servedCatalogue, withDatabase } from '../context.ts';
import { progressOnTerminal, terminalBar } from '../progress.ts';
import { importFile, type ImportProgress } from '../../corpus/import-file.ts';
import type { ImportFormat } from '../../corpus/log-formats.ts';
import { learnableIntents } from '../../corpus/training-set.ts';

function progressReporter(): { onProgress: (progress: ImportProgress) => void; stop: () => void } {
  if (progressOnTerminal()) {
    const bar = terminalBar('importing |{bar}| {value}/{total} conversations');
    return { onProgress: ({ done, total }) => bar.show(done, total), stop: () => bar.stop() };
  }
  let lastReported = -1;
  return {
    onProgress: ({ done, total }) => {
      const step = Math.max(1, Math.floor(total / 10));
      if (done === total || done - lastReported >= step) {
        process.stderr.write(`imported ${done}/${total} conversations\n`);
        lastReported = done;
      }
    },
    stop: () => {},
  };
}

export function registerImportCommand(program: Command): void {
  program
    .command('import <file>')
    .description('Import historical dialogue logs (ABCD JSON, CSV text,intent, JSONL conversations) as conversations, messages and labels; re-importing creates no duplicates')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['abcd', 'csv', 'jsonl']))
    .option('--strict', 'exit with code 2 when any record was malformed (they are skipped either way) or names an intent outside the catalogue')
    .action((file: string, options: { format?: ImportFormat; strict?: boolean }) =>
      withDatabase(async (context) => {
        const { prisma } = context;
        const { catalogue } = await servedCatalogue(context);
        const reporter = progressReporter();
        try {
          const summary = await importFile(prisma, file, { ...(options.format ? { format: options.format } : {}), onProgress: reporter.onProgress, learnableIntents: learnableIntents(catalogue) });
          reporter.stop();
          for (const problem of summary.skipped) process.stderr.write(`${file}:${problem.line}: skipped: ${problem.reason}\n`);
          for (const { line, intent } of summary.unknownIntents) {
            process.stderr.write(`${file}:${line}: intent "${intent}" is not in the catalogue: the label is kept, but no model learns it until the catalogue has that intent (the console's Catalogue tab, or frontdesk catalogue import)\n`);
          }
          const { skipped, unknownIntents, ...rest } = summary;
          process.stdout.write(`${JSON.stringify({ ...rest, skipped: skipped.length, unknownIntents: unknownIntents.length })}\n`);
          if (options.strict && (skipped.length > 0 || unknownIntents.length > 0)) process.exitCode = 2;
        } finally {
          reporter.stop();
        }
      }),
    );
}
