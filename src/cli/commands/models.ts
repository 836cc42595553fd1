import type { Command } from 'commander';
import { ModelRegistry } from '../../models/registry.ts';
import { cliActor, withDatabase } from '../context.ts';
import { rollback } from '../../models/retrain.ts';

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('List and promote intent model versions');

  models
    .command('list')
    .description('Model versions, newest first')
    .option('--json', 'one JSON line per version')
    .action((options: { json?: boolean }) =>
      withDatabase(async ({ prisma }) => {
        const versions = await new ModelRegistry(prisma).list();
        for (const version of versions) {
          const metrics = version.metrics as Record<string, unknown>;
          const row = { name: version.name, status: version.status, encoder: version.encoder, createdAt: version.createdAt.toISOString(), promotedAt: version.promotedAt?.toISOString() ?? null, metrics };
          process.stdout.write(options.json ? `${JSON.stringify(row)}\n` : `${version.status.padEnd(9)} ${version.name.padEnd(28)} ${version.encoder.padEnd(12)} ${formatMetrics(metrics)}\n`);
        }
        if (versions.length === 0 && !options.json) process.stdout.write('No model versions yet; `frontdesk serve` trains the first one.\n');
      }),
    );

  models
    .command('promote <name>')
    .description('Make a version the active one; every running server switches to it')
    .action((name: string) =>
      withDatabase(async ({ prisma }) => {
        const promoted = await new ModelRegistry(prisma).promote(name, { actor: cliActor() });
        process.stdout.write(`${promoted.name} is now active.\n`);
      }),
    );

  models
    .command('rollback')
    .description('Make the previously active version active again; the current one is kept as rejected')
    .action(() =>
      withDatabase(async ({ prisma }) => {
        const { from, to } = await rollback(prisma, new ModelRegistry(prisma), cliActor());
        process.stdout.write(`${to.name} is now active (rolled back from ${from.name}, now rejected).\n`);
      }),
    );
}

function formatMetrics(metrics: Record<string, unknown>): string {
  const figures = Object.entries(metrics)
    .filter(([, value]) => typeof value === 'number')
    .slice(0, 5)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : (value as number).toFixed(3)}`)
    .join(' ');
  return typeof metrics.measured_on === 'string' ? `${figures} (on ${metrics.measured_on})` : figures;
}
