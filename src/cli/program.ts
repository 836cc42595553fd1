import { Command } from 'commander';
import { registerServeCommand } from './commands/serve.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerModelsCommand } from './commands/models.ts';
import { registerAgentsCommand } from './commands/agents.ts';
import { registerTrainCommand } from './commands/train.ts';
import { registerEvalCommand } from './commands/eval.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerVisitorsCommand } from './commands/visitors.ts';
import { registerDiscoverCommand } from './commands/discover.ts';
import { registerCatalogueCommand } from './commands/catalogue.ts';

export function buildProgram(): Command {
  const program = new Command('frontdesk')
    .description('Self-hosted customer-service chatbot backend')
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerModelsCommand(program);
  registerAgentsCommand(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerImportCommand(program);
  registerExportCommand(program);
  registerVisitorsCommand(program);
  registerDiscoverCommand(program);
  registerCatalogueCommand(program);
  return program;
}
