import type { Command } from 'commander';
import { AgentAuth, MIN_PASSWORD_LENGTH, toPublicAgent } from '../../agents/auth.ts';
import { AgentStore } from '../../store/agent-store.ts';
import { AuditStore } from '../../store/audit-store.ts';
import { cliActor, withDatabase } from '../context.ts';

interface AddOptions {
  email: string;
  name: string;
  role: 'agent' | 'admin';
  passwordStdin?: boolean;
  password?: string;
}

export function registerAgentsCommand(program: Command): void {
  const agents = program.command('agents').description('Manage agent accounts (people who use the console at /console)');

  agents
    .command('add')
    .description('Create an agent account; the password is prompted for, or read from stdin with --password-stdin')
    .requiredOption('--email <email>', 'sign-in email (unique, case-insensitive)')
    .requiredOption('--name <name>', 'name shown to colleagues')
    .option('--role <role>', 'agent or admin (admins manage accounts)', 'agent')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--password <password>', 'the password itself (visible in the process list and shell history; prefer the prompt or --password-stdin)')
    .action(async (options: AddOptions) => {
      if (options.role !== 'agent' && options.role !== 'admin') throw new Error('--role must be agent or admin');
      const password = options.password ?? (options.passwordStdin ? await readStdinLine() : await promptPassword());
      await withDatabase(async ({ prisma }) => {
        const auth = new AgentAuth(new AgentStore(prisma));
        const agent = await auth.createAgent({ email: options.email, name: options.name, password, role: options.role });
        await new AuditStore(prisma).record({ actor: cliActor(), action: 'agent.create', target: { kind: 'agent', id: agent.id }, details: { role: agent.role } });
        process.stdout.write(`Created ${agent.role} ${agent.email} (${agent.id}).\n`);
      });
    });

  agents
    .command('list')
    .description('Agent accounts, oldest first')
    .option('--json', 'one JSON line per agent')
    .action((options: { json?: boolean }) =>
      withDatabase(async ({ prisma }) => {
        const list = (await new AgentStore(prisma).listAgents()).map(toPublicAgent);
        for (const agent of list) {
          process.stdout.write(
            options.json
              ? `${JSON.stringify(agent)}\n`
              : `${agent.role.padEnd(6)} ${agent.email.padEnd(32)} ${agent.name.padEnd(24)} ${agent.disabled ? 'disabled' : 'active'}\n`,
          );
        }
        if (list.length === 0 && !options.json) process.stdout.write('No agents yet; create one with `frontdesk agents add --email … --name …`.\n');
      }),
    );
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new Error('no password on stdin');
  return line;
}

/** Asks twice on the terminal without echoing what is typed. */
async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('stdin is not a terminal: use --password-stdin (e.g. `echo "$PASSWORD" | frontdesk agents add … --password-stdin`)');
  const first = await readHidden(`Password (at least ${MIN_PASSWORD_LENGTH} characters): `);
  const second = await readHidden('Repeat the password: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}
