import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Eight distinct examples, the minimum an intent needs. */
export function examples(prefix: string, count = 8): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} example number ${i + 1}`);
}

/** A valid intent file's YAML text; `extra` lines are appended verbatim. */
export function intentYaml(name: string, options: { examples?: string[]; answers?: string; extra?: string } = {}): string {
  const list = (options.examples ?? examples(name)).map((e) => `  - ${JSON.stringify(e)}`).join('\n');
  const answers = options.answers ?? 'answers:\n  en:\n    - "First answer."\n    - "Second answer."\n';
  return `name: ${name}\nlabel: ${name} label\ndescription: Test intent ${name}.\nhandoff: false\nexamples:\n${list}\n${answers}${options.extra ?? ''}`;
}

/** Writes files (relative path → content) into a fresh temporary directory. */
export async function fixtureDir(files: Record<string, string>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdesk-catalogue-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
