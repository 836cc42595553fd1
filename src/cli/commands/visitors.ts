import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DataRights, visitorFinderPayload, type VisitorFinder, type VisitorMatch } from '../../privacy/data-rights.ts';
import { cliActor, withDatabase } from '../context.ts';

interface FinderOptions {
  email?: string;
  customer?: string;
  conversation?: string;
  visitor?: string;
}

/** The finder options every `visitors` command takes; exactly one is given. */
function withFinder(command: Command): Command {
  return command
    .option('--email <email>', 'an e-mail address: given to the widget, in a signed customer token, typed in a message or a form')
    .option('--customer <id>', "the shop's customer id, from its signed customer tokens")
    .option('--conversation <id>', 'a conversation id: its visitor')
    .option('--visitor <id>', 'a visitor id');
}

function finderOf(options: FinderOptions): VisitorFinder {
  const parsed = visitorFinderPayload.safeParse({ email: options.email, customerId: options.customer, conversationId: options.conversation, visitorId: options.visitor });
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('; ');
    throw new Error(`give exactly one of --email, --customer, --conversation, --visitor (${detail})`);
  }
  return parsed.data;
}

function describe(match: VisitorMatch): string {
  const who = [match.name, match.email, ...match.customers.map((customer) => `customer ${customer.id}`)].filter(Boolean).join(', ') || 'anonymous';
  const state = match.erasedAt ? `erased ${match.erasedAt}` : `last seen ${match.lastSeenAt}`;
  return `${match.id}  ${state}  ${match.conversations} conversations, ${match.messages} messages  ${who}  (matched by ${match.matchedBy.join(', ')})\n`;
}

export function registerVisitorsCommand(program: Command): void {
  const visitors = program.command('visitors').description("A visitor's data: find, export and erase it (docs/security.md, Data rights)");

  withFinder(visitors.command('find').description('The visitors a finder matches'))
    .option('--json', 'one JSON line per visitor')
    .action((options: FinderOptions & { json?: boolean }) =>
      withDatabase(async ({ prisma }) => {
        const matches = await new DataRights(prisma).find(finderOf(options));
        for (const match of matches) process.stdout.write(options.json ? `${JSON.stringify(match)}\n` : describe(match));
        if (matches.length === 0 && !options.json) process.stderr.write('no visitor matches\n');
      }),
    );

  withFinder(visitors.command('export').description('Everything stored about the matching visitors, as JSON (recorded in the audit log)'))
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .action((options: FinderOptions & { out?: string }) =>
      withDatabase(async ({ prisma }) => {
        const exported = await new DataRights(prisma).export(finderOf(options), cliActor());
        const json = `${JSON.stringify(exported, null, 2)}\n`;
        if (options.out) writeFileSync(options.out, json, { mode: 0o600 });
        else process.stdout.write(json);
        const conversations = exported.visitors.reduce((sum, visitor) => sum + visitor.conversations.length, 0);
        process.stderr.write(`exported ${exported.visitors.length} visitor(s), ${conversations} conversation(s)${options.out ? ` to ${options.out}` : ''}\n`);
      }),
    );

  withFinder(visitors.command('erase').description("Erase the matching visitors' data, revoke their tokens and close their connections (recorded in the audit log)"))
    .option('--yes', 'erase without asking; without it the command only shows what it would erase')
    .action((options: FinderOptions & { yes?: boolean }) =>
      withDatabase(async ({ prisma }) => {
        const rights = new DataRights(prisma);
        const finder = finderOf(options);
        if (!options.yes) {
          const matches = await rights.find(finder);
          for (const match of matches) process.stdout.write(describe(match));
          process.stderr.write(matches.length === 0 ? 'no visitor matches\n' : `nothing erased: run again with --yes to erase ${matches.length} visitor(s)\n`);
          process.exitCode = 1;
          return;
        }
        const { conversationIds: _conversationIds, ...erased } = await rights.erase(finder, cliActor());
        process.stdout.write(`${JSON.stringify(erased)}\n`);
      }),
    );
}
