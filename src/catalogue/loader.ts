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

/** One file of the catalogue folder: its path there (`track_order.yaml`, `knowledge/shipping.md`) and its text. */
export interface CatalogueFile {
  path: string;
  text: string;
}

/** Whether a path of the catalogue folder is an intent or special file (`*.yaml` / `*.yml` directly in it, not hidden). */
export function isCatalogueYaml(path: string): boolean {
  return !path.includes('/') && !path.startsWith('.') && (INTENT_FILE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
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
  let fileNames: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    fileNames = entries.filter((entry) => entry.isFile() && isCatalogueYaml(entry.name)).map((entry) => entry.name).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'the intent catalogue directory does not exist'
      : code === 'ENOTDIR' ? 'the intent catalogue path is not a directory'
      : `the intent catalogue directory cannot be read: ${(error as Error).message}`;
    throw new CatalogueError([{ file: dir, message }]);
  }
  const problems: CatalogueProblem[] = [];
  const files: CatalogueFile[] = [];
  for (const fileName of fileNames) {
    try {
      files.push({ path: fileName, text: await readFile(join(dir, fileName), 'utf8') });
    } catch (error) {
      problems.push({ file: join(dir, fileName), message: `cannot read the file: ${(error as Error).message}` });
    }
  }
  if (problems.length > 0) throw new CatalogueError(problems);
  return catalogueFromFiles(files, { ...options, dir });
}

export interface CatalogueFromFilesOptions extends LoadCatalogueOptions {
  /** Where the files are, prefixed to their paths in problems (`intents` → `intents/track_order.yaml`); none for Postgres. */
  dir?: string;
}

/**
 * Validates and builds the catalogue from the texts of its files, wherever they are kept (the
 * folder, Postgres, an editor's draft), with the loader's rules and problems: every problem of every
 * file with its file, field, line and column. Paths that are no intent or special file (knowledge
 * documents) are ignored.
 */
export function catalogueFromFiles(files: readonly CatalogueFile[], options: CatalogueFromFilesOptions = {}): Catalogue {
  const schema = intentSchema({ minExamples: options.minExamples ?? DEFAULT_MIN_EXAMPLES });
  const where = options.dir ?? '(catalogue)';
  // In the given order: of two files that share an example, the later one is reported (an editor puts the edited file last).
  const yamlFiles = files.filter((file) => isCatalogueYaml(file.path));
  if (yamlFiles.length === 0) {
    throw new CatalogueError([{ file: where, message: 'no intent files (*.yaml) in the catalogue directory' }]);
  }

  const problems: CatalogueProblem[] = [];
  const sources: SourcedIntent[] = [];
  let botTexts: BotTexts = DEFAULT_BOT_TEXTS;
  let outOfScope: SourcedOutOfScope | undefined;
  let entities = NO_ENTITIES;
  for (const entry of yamlFiles) {
    const fileName = entry.path;
    const file = options.dir === undefined ? fileName : join(options.dir, fileName);
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

/** The problems of a YAML file that is not part of the catalogue proper (knowledge/validation.yaml): malformed YAML, with line and column. */
export function yamlProblems(file: string, text: string): CatalogueProblem[] {
  const problems: CatalogueProblem[] = [];
  parseYamlFile(file, text, problems);
  return problems;
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
