// The catalogue folder (`intents/`) as the seed of a new installation and the import/export format:
// the intent and special files directly in it, and the knowledge documents under `knowledge/`.
// Texts are read and written byte for byte, so an export of an import gives back the same files.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { CatalogueError } from './errors.ts';
import { ENTITIES_FILE } from './entities.ts';
import { isCatalogueYaml, type CatalogueFile } from './loader.ts';
import { BOT_FILE, OUT_OF_SCOPE_FILE } from './schema.ts';

export const KNOWLEDGE_PREFIX = 'knowledge/';
/** The held-out questions that choose the retrieval threshold (docs/retrieval.md). */
export const KNOWLEDGE_VALIDATION = 'knowledge/validation.yaml';

const KNOWLEDGE_PATH = /^knowledge\/(?:[A-Za-z0-9_][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_][A-Za-z0-9_.-]*\.(?:md|ya?ml)$/;

/** A path the catalogue keeps: an intent or special file, or a knowledge document (Markdown) or YAML file under knowledge/. */
export function isCataloguePath(path: string): boolean {
  return isCatalogueYaml(path) || isKnowledgePath(path);
}

export function isKnowledgePath(path: string): boolean {
  return KNOWLEDGE_PATH.test(path) && !path.split('/').includes('..');
}

/** Knowledge documents are the Markdown files under knowledge/. */
export function isKnowledgeDocument(path: string): boolean {
  return isKnowledgePath(path) && path.toLowerCase().endsWith('.md');
}

export type DocumentKind = 'intent' | 'bot' | 'entities' | 'out_of_scope' | 'knowledge' | 'knowledge_data';

/** What a catalogue path holds: an intent, a special file, a knowledge document or another file under knowledge/ (validation.yaml). */
export function documentKind(path: string): DocumentKind {
  if (isKnowledgeDocument(path)) return 'knowledge';
  if (isKnowledgePath(path)) return 'knowledge_data';
  if (path === BOT_FILE) return 'bot';
  if (path === ENTITIES_FILE) return 'entities';
  if (path === OUT_OF_SCOPE_FILE) return 'out_of_scope';
  return 'intent';
}

/** The knowledge documents among the files (Markdown under knowledge/, `file` relative to it) and the retrieval's held-out questions. */
export function knowledgeOf(files: readonly CatalogueFile[]): { markdown: Array<{ file: string; text: string }>; validation: string | null } {
  return {
    markdown: files.filter((file) => isKnowledgeDocument(file.path)).map((file) => ({ file: file.path.slice(KNOWLEDGE_PREFIX.length), text: file.text })),
    validation: files.find((file) => file.path === KNOWLEDGE_VALIDATION)?.text ?? null,
  };
}

/** Every file of the folder that the catalogue keeps, sorted by path; a missing folder is a CatalogueError. */
export async function readCatalogueFolder(dir: string): Promise<CatalogueFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CatalogueError([{ file: dir, message: code === 'ENOENT' ? 'the intent catalogue directory does not exist' : `the intent catalogue directory cannot be read: ${(error as Error).message}` }]);
  }
  const paths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter(isCataloguePath)
    .sort();
  return Promise.all(paths.map(async (path) => ({ path, text: await readFile(join(dir, path), 'utf8') })));
}

/** Writes the files into `dir` (created as needed), replacing files of the same paths and leaving others alone. */
export async function writeCatalogueFolder(dir: string, files: readonly CatalogueFile[]): Promise<void> {
  for (const file of files) {
    if (!isCataloguePath(file.path)) throw new Error(`not a catalogue path: ${file.path}`);
    const target = join(dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.text, 'utf8');
  }
}
