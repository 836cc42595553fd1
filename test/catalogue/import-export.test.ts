// `frontdesk catalogue import|export` (issue 19): an export of the imported intents/ gives back the
// same files byte for byte; an invalid folder is refused with file, line and field, and changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCatalogueFolder } from '../../src/catalogue/folder.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { frontdesk } from '../helpers/cli.ts';
import { migratedDatabase } from '../helpers/postgres.ts';
import { temporaryDirectory } from '../helpers/temp.ts';
import { examples, fixtureDir, intentYaml } from './helpers.ts';

let db: { url: string; prisma: PrismaClient; close(): Promise<void> };
const out = temporaryDirectory('frontdesk-catalogue-export-');

before(async () => {
  db = await migratedDatabase();
});

after(async () => {
  await db?.close();
  out.remove();
});

const cli = (args: string[]) => frontdesk(['catalogue', ...args], { env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });

test('an export of the imported intents/ gives the same files, byte for byte', { timeout: 120_000 }, async () => {
  const imported = await cli(['import', 'intents']);
  assert.equal(imported.code, 0, imported.stderr);
  const original = await readCatalogueFolder('intents');
  assert.ok(original.length > 40 && original.some((file) => file.path === 'knowledge/validation.yaml') && original.some((file) => file.path === '_bot.yaml'));
  assert.deepEqual(JSON.parse(imported.stdout), { files: original.length, saved: original.length, retired: 0, unchanged: 0, examplesChanged: original.length - 2 - original.filter((file) => file.path.startsWith('knowledge/')).length });

  const exported = await cli(['export', out.path]);
  assert.equal(exported.code, 0, exported.stderr);
  const files = await readCatalogueFolder(out.path);
  assert.deepEqual(files.map((file) => file.path), original.map((file) => file.path));
  for (const file of original) assert.ok(readFileSync(join(out.path, file.path)).equals(readFileSync(join('intents', file.path))), file.path);

  // Importing the same folder again changes nothing.
  const again = await cli(['import', 'intents']);
  assert.equal(JSON.parse(again.stdout).saved, 0);
  const audit = await db.prisma.auditEvent.findMany({ where: { action: 'catalogue.edit' } });
  assert.equal(audit.length, 1, 'one audit event for the import');
});

test('invalid YAML and an example of two intents are refused with file, line and field', { timeout: 120_000 }, async () => {
  const folder = await fixtureDir({
    'alpha.yaml': intentYaml('alpha'),
    // examples[2] of beta (line 8) is alpha's examples[2]
    'beta.yaml': intentYaml('beta', { examples: [...examples('beta', 2), 'alpha example number 3', ...examples('beta', 8).slice(2)] }),
    'gamma.yaml': 'name: gamma\nlabel: Gamma\nexamples:\n  - "one\n  - two\n',
  });
  try {
    const revisionsBefore = await db.prisma.catalogueRevision.count();
    const refused = await cli(['import', folder.dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`${join(folder.dir, 'beta.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:8:5: examples\\[2\\]: example "alpha example number 3" is also an example of intent "alpha"`));
    assert.match(refused.stderr, new RegExp(`${join(folder.dir, 'gamma.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: malformed YAML`));
    assert.equal(await db.prisma.catalogueRevision.count(), revisionsBefore, 'nothing saved');
  } finally {
    await folder.cleanup();
  }
});
