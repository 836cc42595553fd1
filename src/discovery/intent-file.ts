// An accepted cluster becomes `intents/<name>.yaml`. The file is validated exactly as the server
// loads the catalogue: the catalogue's files and the new one are copied to a private temporary
// folder and loaded there with loadCatalogue (schema, names, duplicate examples across intents, …);
// only a catalogue that loads is written, by renaming a complete file into place, so a running or
// starting server never reads half a file or an invalid catalogue.
import { copyFile, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { stringify } from 'yaml';
import { CatalogueError, formatProblem, INTENT_FILE_EXTENSIONS, loadCatalogue, normalizeExample, type Catalogue } from '../catalogue/index.ts';

export interface NewIntent {
  name: string;
  label: string;
  description?: string;
  examples: readonly string[];
  /** The English answer (more variants and languages can be added to the file later). */
  answer: string;
  /** Answers in other languages, by language code. */
  answers?: Readonly<Record<string, string>>;
}

export class IntentFileError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = 'IntentFileError';
  }
}

/** The YAML text of a new intent file. */
export function intentYaml(intent: NewIntent): string {
  const seen = new Set<string>();
  const examples = intent.examples.map((example) => example.trim()).filter((example) => {
    const key = normalizeExample(example);
    if (key === '' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const answers: Record<string, string[]> = { en: [intent.answer.trim()] };
  for (const [language, text] of Object.entries(intent.answers ?? {})) if (text.trim()) answers[language] = [text.trim()];
  const document = {
    name: intent.name,
    label: intent.label.trim(),
    description: intent.description?.trim() || `Discovered from the conversation logs: ${intent.label.trim()}.`,
    examples,
    answers,
  };
  return `# Accepted from intent discovery (frontdesk discover / the console's Discover tab).\n${stringify(document, { lineWidth: 0 })}`;
}

/**
 * Writes `<intentsDir>/<name>.yaml` after checking that the catalogue with it loads; returns the
 * new catalogue. Refuses to replace an existing intent.
 */
export async function writeIntentFile(intentsDir: string, intent: NewIntent): Promise<Catalogue> {
  const fileName = `${intent.name}.yaml`;
  const entries = await readdir(intentsDir, { withFileTypes: true });
  if (entries.some((entry) => entry.isFile() && INTENT_FILE_EXTENSIONS.some((extension) => entry.name === `${intent.name}${extension}`))) {
    throw new IntentFileError(`the catalogue already has an intent named ${intent.name}`, [`${intent.name} exists`]);
  }
  const text = intentYaml(intent);
  const scratch = await mkdtemp(join(tmpdir(), 'frontdesk-intent-'));
  try {
    for (const entry of entries) {
      if (entry.isFile() && !entry.name.startsWith('.') && (INTENT_FILE_EXTENSIONS as readonly string[]).includes(extname(entry.name).toLowerCase())) {
        await copyFile(join(intentsDir, entry.name), join(scratch, entry.name));
      }
    }
    await writeFile(join(scratch, fileName), text, 'utf8');
    try {
      await loadCatalogue(scratch);
    } catch (error) {
      if (error instanceof CatalogueError) {
        const problems = error.problems.map((problem) => formatProblem({ ...problem, file: problem.file.replace(scratch, intentsDir) }));
        throw new IntentFileError(`the intent does not pass the catalogue's checks: ${problems.join('; ')}`, problems);
      }
      throw error;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const temporary = join(intentsDir, `.${fileName}.${process.pid}.tmp`);
  await writeFile(temporary, text, { encoding: 'utf8', flag: 'wx' });
  await rename(temporary, join(intentsDir, fileName));
  return loadCatalogue(intentsDir);
}
