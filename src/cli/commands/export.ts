import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { cliActor, withDatabase } from '../context.ts';
import { AuditStore } from '../../store/audit-store.ts';
import { exportConversations, exportLabelled } from '../../corpus/export.ts';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('Export labelled messages (or whole conversations) as JSONL, with personal data redacted')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl']).default('jsonl'))
    .option('--conversations', 'whole conversations in the format `frontdesk import --format jsonl` reads, instead of labelled messages')
    .option('--out <file>', 'write to a file instead of stdout')
    .action((options: { conversations?: boolean; out?: string }) =>
      withDatabase(async ({ prisma }) => {
        const out = options.out ? createWriteStream(options.out) : process.stdout;
        const count = options.conversations ? await exportConversations(prisma, out) : await exportLabelled(prisma, out);
        if (options.out) {
          out.end();
          await finished(out);
        }
        await new AuditStore(prisma).record({ actor: cliActor(), action: 'training_examples.export', details: { conversations: Boolean(options.conversations), count } });
        process.stderr.write(`exported ${count} ${options.conversations ? 'conversations' : 'labelled messages'}\n`);
      }),
    );
}
