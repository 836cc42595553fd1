// An accepted cluster becomes the catalogue document `<name>.yaml`, saved through the catalogue's
// editor (src/catalogue/live.ts), which validates it with the whole catalogue exactly as the loader does.
import { stringify } from 'yaml';
import { normalizeExample } from '../catalogue/index.ts';

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
