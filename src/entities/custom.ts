import type { CustomEntityType } from './types.ts';

export interface CustomSpan {
  type: string;
  value: string;
  start: number;
  end: number;
}

/** Finds one catalogue-defined type's values in a text. */
export type CustomMatcher = (text: string) => CustomSpan[];

/**
 * Why a catalogue pattern cannot be used, or undefined when it can: it must be a valid regular
 * expression (Unicode mode) that matches at least one character.
 */
export function patternProblem(pattern: string): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message}`;
  }
  return regex.test('') ? 'the pattern must not match an empty text' : undefined;
}

/**
 * A text folded for list matching, with where each folded character came from: case, diacritics,
 * compatibility forms (full-width letters) and runs of white space do not matter.
 */
interface FoldedText {
  text: string;
  /** For each UTF-16 unit of `text`: the start and end of the original character it came from. */
  starts: number[];
  ends: number[];
}

function foldCharacter(character: string): string {
  if (/\s/u.test(character)) return ' ';
  return character.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/ß/g, 'ss');
}

function fold(text: string): FoldedText {
  const folded: FoldedText = { text: '', starts: [], ends: [] };
  let offset = 0;
  for (const character of text) {
    const end = offset + character.length;
    const piece = foldCharacter(character);
    // A combining mark or a second space adds nothing, but belongs to the character before it.
    if (piece === '' || (piece === ' ' && folded.text.endsWith(' '))) {
      if (folded.ends.length > 0) folded.ends[folded.ends.length - 1] = end;
    } else {
      for (let unit = 0; unit < piece.length; unit++) {
        folded.starts.push(offset);
        folded.ends.push(end);
      }
      folded.text += piece;
    }
    offset = end;
  }
  return folded;
}

export function foldForMatching(text: string): string {
  return fold(text).text.trim();
}

// Words of scripts written with spaces must stand alone ("red" not in "bored", "M" not in "I'm");
// Chinese and Japanese have no spaces, so their words match anywhere.
const WORD_CHARACTER = /[\p{L}\p{N}'’]/u;
const SPACELESS_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

function standsAlone(folded: string, start: number, end: number): boolean {
  const first = folded[start]!;
  const last = folded[end - 1]!;
  const before = folded[start - 1];
  const after = folded[end];
  const openStart = SPACELESS_SCRIPT.test(first) || before === undefined || !WORD_CHARACTER.test(before);
  const openEnd = SPACELESS_SCRIPT.test(last) || after === undefined || !WORD_CHARACTER.test(after);
  return openStart && openEnd;
}

function listMatcher(name: string, values: Readonly<Record<string, readonly string[]>>): CustomMatcher {
  const phrases = Object.entries(values)
    .flatMap(([canonical, synonyms]) => [canonical, ...synonyms].map((phrase) => ({ folded: foldForMatching(phrase), canonical })))
    .filter((phrase) => phrase.folded !== '');
  return (text) => {
    const folded = fold(text);
    const spans: CustomSpan[] = [];
    for (const phrase of phrases) {
      for (let at = folded.text.indexOf(phrase.folded); at !== -1; at = folded.text.indexOf(phrase.folded, at + 1)) {
        const end = at + phrase.folded.length;
        if (standsAlone(folded.text, at, end)) spans.push({ type: name, value: phrase.canonical, start: folded.starts[at]!, end: folded.ends[end - 1]! });
      }
    }
    return spans;
  };
}

function patternMatcher(name: string, pattern: string): CustomMatcher {
  const regex = new RegExp(pattern, 'gu');
  return (text) => [...text.matchAll(regex)].filter((match) => match[0] !== '').map((match) => ({ type: name, value: match[0], start: match.index, end: match.index + match[0].length }));
}

export function customMatcher(type: CustomEntityType): CustomMatcher {
  return 'pattern' in type ? patternMatcher(type.name, type.pattern) : listMatcher(type.name, type.values);
}
