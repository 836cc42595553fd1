import { resolve } from 'node:path';
import type { Command } from 'commander';
import { cliActor, withDatabase } from '../context.ts';
import { readCatalogueFolder, writeCatalogueFolder } from '../../catalogue/folder.ts';
import { exportCatalogue, importCatalogue } from '../../catalogue/live.ts';
import { CatalogueStore } from '../../store/catalogue-store.ts';

export function registerCatalogueCommand(program: Command): void {
  const catalogue = program.command('catalogue').description('The intent catalogue and knowledge documents kept in Postgres: import from and export to a folder like intents/');
  catalogue
    .command('import [dir]')
    .description('Make the catalogue in Postgres equal to the folder (default INTENTS_DIR): changed and new files saved as new revisions, documents the folder lacks retired; validated as a whole first. Running servers follow at once')
    .action((dir: string | undefined) =>
      withDatabase(async ({ prisma, config }) => {
        const folder = dir ?? config.intentsDir;
        const files = await readCatalogueFolder(folder);
        const changes = await importCatalogue(new CatalogueStore(prisma), files, cliActor(), { dir: folder });
        const saved = changes.filter((change) => change.content !== null).length;
        const summary = { files: files.length, saved, retired: changes.length - saved, unchanged: files.length - saved, examplesChanged: changes.filter((change) => change.examplesChanged).length };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }),
    );
  catalogue
    .command('export <dir>')
    .description('Write the catalogue as files into a folder (created as needed; files of the same name are replaced): the texts exactly as imported or edited')
    .action((dir: string) =>
      withDatabase(async ({ prisma }) => {
        const files = await exportCatalogue(new CatalogueStore(prisma));
        await writeCatalogueFolder(resolve(dir), files);
        process.stdout.write(`${JSON.stringify({ files: files.length, dir: resolve(dir) })}\n`);
      }),
    );
}
