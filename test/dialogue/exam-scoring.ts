// What the multilingual exam and the development set share: the fixture format and when a reply counts as sensible.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Catalogue } from '../../src/catalogue/index.ts';

export const LANGUAGES = ['en', 'de', 'zh', 'fr', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Per language: [shopper message, expected] where expected is an intent, `knowledge:<file>` or `clarify`, alternatives joined by `|`. */
export type Fixture = Record<Language, Array<[text: string, expected: string]>>;

export function readFixture(name: string): Fixture {
  return parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Fixture;
}

export interface Reply {
  text: string;
  source: string;
  intent?: string;
  /** Visitors see a knowledge answer's section title, not its source. */
  retrieval?: { title?: string };
}

/** The titles (document and sections) of a knowledge document. */
function titlesOf(file: string): string[] {
  const markdown = readFileSync(new URL(`../../intents/knowledge/${file}`, import.meta.url), 'utf8');
  return [...markdown.matchAll(/^#{1,2} (.+)$/gm)].map((match) => match[1]!.trim());
}

/** The expected intent (a handoff for a handing-over one), an answer from the expected document, or a clarification. */
export function sensible(catalogue: Catalogue, reply: Reply, expected: string): boolean {
  return expected.split('|').some((option) => {
    if (option === 'clarify') return reply.source === 'clarify';
    if (option.startsWith('knowledge:')) return reply.source === 'retrieval' && titlesOf(option.slice('knowledge:'.length)).includes(reply.retrieval?.title ?? '');
    return reply.intent === option && reply.source === (catalogue.get(option)?.handoff ? 'handoff' : 'intent');
  });
}
