// The console's answer fields (src/catalogue/edit.ts): an intent's answers replaced in its YAML text,
// every other line of every starter intent kept as written, comments and flow lists included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCatalogueFolder } from '../../src/catalogue/folder.ts';
import { withAnswers } from '../../src/catalogue/edit.ts';
import { catalogueFromFiles, CatalogueError } from '../../src/catalogue/index.ts';

/** The text with its `answers:` block cut out. */
const withoutAnswers = (text: string) => text.replace(/\nanswers:\n(?:(?: {2}.*|\s*#.*)?\n)*/, '\nANSWERS\n');

test('replacing the answers keeps the rest of each intent file byte for byte', async () => {
  const files = await readCatalogueFolder('intents');
  const intents = files.filter((file) => /^[a-z][a-z0-9_]*\.yaml$/.test(file.path));
  assert.ok(intents.length >= 30);
  const edited = intents.map((file) => ({ path: file.path, text: withAnswers(file.path, file.text, { en: ['First: "quoted" answer.', 'Second answer.'], de: ['Antwort.'] }) }));
  for (const [i, file] of intents.entries()) assert.equal(withoutAnswers(edited[i]!.text), withoutAnswers(file.text), file.path);
  const catalogue = catalogueFromFiles([...files.filter((file) => !intents.includes(file)), ...edited]);
  assert.equal(catalogue.answer('greeting', 'en', 0), 'First: "quoted" answer.');
  assert.equal(catalogue.answer('greeting', 'de-AT', 0), 'Antwort.');
  assert.equal(catalogue.answer('greeting', 'fr', 1), 'Second answer.', 'a language without answers now falls back to English');
});

test('malformed YAML is refused with the file', () => {
  assert.throws(() => withAnswers('broken.yaml', 'name: [unclosed', { en: ['x'] }), (error: unknown) => error instanceof CatalogueError && error.file === 'broken.yaml');
});
