import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { catalogueFromValidated, checkSlotEntities, crossCheck, type BotTexts, type SourcedIntent, type SourcedOutOfScope } from './catalogue.ts';
import { ENTITIES_FILE, NO_ENTITIES, parseEntities } from './entities.ts';
import { CatalogueError, type CatalogueProblem } from './errors.ts';
import { issuesToProblems, makeProblem, type Locate } from './issues.ts';
import {
  BOT_FILE,
  BOT_TEXT_KEYS,
  botTextsSchema,
  DEFAULT_BOT_TEXTS,
  DEFAULT_MIN_EXAMPLES,
  intentSchema,
  OUT_OF_SCOPE_FILE,
  OUT_OF_SCOPE_KEYS,
  outOfScopeSchema,
} from './schema.ts';
import type { Catalogue } from './types.ts';

export const INTENT_FILE_EXTENSIONS = ['.yaml', '.yml'] as const;

export interface LoadCatalogueOptions {
  /** Fewest examples an intent may have (default 8). */
  minExamples?: number;
}

/**
 * Loads and validates every `*.yaml` / `*.yml` file directly inside `dir` (sub-directories such as
 * `knowledge/` and other files are ignored): one intent per file, and the bot's own texts in
 * `_bot.yaml`, the out-of-scope examples in `_out_of_scope.yaml` and the entity types in
 * `_entities.yaml` when they exist. Throws a CatalogueError listing every problem found
 * in every file: malformed YAML, wrong or missing fields, a name that differs from its file name,
 * duplicate names, an example labelled with two intents, missing `en` answers.
 */
export async function loadCatalogue(dir: string, options: LoadCatalogueOptions = {}): Promise<Catalogue> {
  const schema = intentSchema({ minExamples: options.minExamples ?? DEFAULT_MIN_EXAMPLES });
  let fileNames: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    fileNames = entries
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .filter((name) => (INTENT_FILE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase()))
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'the intent catalogue directory does not exist'
      : code === 'ENOTDIR' ? 'the intent catalogue path is not a directory'
      : `the intent catalogue directory cannot be read: ${(error as Error).message}`;
    throw new CatalogueError([{ file: dir, message }]);
  }
  if (fileNames.length === 0) {
    throw new CatalogueError([{ file: dir, message: 'no intent files (*.yaml) in the catalogue directory' }]);
  }

  const problems: CatalogueProblem[] = [];
  const sources: SourcedIntent[] = [];
  const parsed = await Promise.all(
    fileNames.map(async (fileName) => {
      const file = join(dir, fileName);
      try {
        return { fileName, file, text: await readFile(file, 'utf8') };
      } catch (error) {
        return { fileName, file, error: error as Error };
      }
    }),
  );

  let botTexts: BotTexts = DEFAULT_BOT_TEXTS;
  let outOfScope: SourcedOutOfScope | undefined;
  let entities = NO_ENTITIES;
  for (const entry of parsed) {
    const { file, fileName } = entry;
    if ('error' in entry) {
      problems.push({ file, message: `cannot read the file: ${entry.error?.message}` });
      continue;
    }
    const yaml = parseYamlFile(file, entry.text, problems);
    if (!yaml) continue;
    const { value, locate } = yaml;
    if (fileName === BOT_FILE) {
      const result = botTextsSchema().safeParse(value);
      if (result.success) botTexts = result.data;
      else problems.push(...issuesToProblems(result.error.issues, file, locate, [], BOT_TEXT_KEYS));
      continue;
    }
    if (fileName === OUT_OF_SCOPE_FILE) {
      const result = outOfScopeSchema().safeParse(value);
      if (result.success) outOfScope = { file, examples: result.data.examples, locate };
      else problems.push(...issuesToProblems(result.error.issues, file, locate, [], OUT_OF_SCOPE_KEYS));
      continue;
    }
    if (fileName === ENTITIES_FILE) {
      const parsedEntities = parseEntities(value, file, locate);
      problems.push(...parsedEntities.problems);
      entities = parsedEntities.settings ?? NO_ENTITIES;
      continue;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      problems.push(...issuesToProblems(result.error.issues, file, locate));
      continue;
    }
    const expected = fileName.slice(0, -extname(fileName).length);
    if (result.data.name !== expected) {
      problems.push(
        makeProblem(file, ['name'], `name "${result.data.name}" must equal the file name "${expected}"`, locate),
      );
      // still checked against the other files below, so that all problems are reported at once
    }
    sources.push({ file, intent: result.data, locate });
  }

  problems.push(...crossCheck(sources, outOfScope), ...checkSlotEntities(sources, entities));
  if (problems.length > 0) throw new CatalogueError(problems);
  return catalogueFromValidated(sources.map((source) => source.intent), botTexts, outOfScope?.examples ?? [], entities);
}

/** The file's YAML as plain data with a locator for its fields, or null after adding its problems. */
function parseYamlFile(file: string, text: string, problems: CatalogueProblem[]): { value: unknown; locate: Locate } | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const position = lineCounter.linePos(error.pos[0]);
      problems.push({ file, message: `malformed YAML: ${error.message.split('\n')[0]}`, line: position.line, column: position.col });
    }
    return null;
  }
  if (doc.contents === null) {
    problems.push({ file, message: 'the file is empty' });
    return null;
  }
  return { value: doc.toJS(), locate: locator(doc, lineCounter) };
}

/** Maps a field path to the line and column of the nearest YAML node that exists. */
function locator(doc: Document, lineCounter: LineCounter): Locate {
  return (path) => {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      let node: unknown;
      if (length > 0 && typeof prefix.at(-1) === 'string') {
        // point at the key of a mapping entry (`label: 42` → `label`; also unknown fields, bad language codes)
        const parent = length === 1 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === prefix.at(-1));
          node = pair?.key;
        }
      }
      node ??= length === 0 ? doc.contents : doc.getIn(prefix, true);
      if (isNode(node) && node.range) {
        const { line, col } = lineCounter.linePos(node.range[0]);
        return { line, column: col };
      }
    }
    return undefined;
  };
}
