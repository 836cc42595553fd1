import { findAmounts } from './amounts.ts';
import { findEmails, findPhones } from './contacts.ts';
import { customMatcher, type CustomMatcher } from './custom.ts';
import { findDates } from './dates.ts';
import { findNumbers } from './numbers.ts';
import type { CountryCode, Entity, EntitySettings, EntityValue, ExtractionContext } from './types.ts';

const NO_SETTINGS: EntitySettings = Object.freeze({ types: [], phoneRegions: {} });

// Compiled once per settings object: a catalogue's settings live as long as the catalogue.
const compiled = new WeakMap<EntitySettings, readonly CustomMatcher[]>();

function matchersOf(settings: EntitySettings): readonly CustomMatcher[] {
  let matchers = compiled.get(settings);
  if (!matchers) {
    matchers = settings.types.map(customMatcher);
    compiled.set(settings, matchers);
  }
  return matchers;
}

function phoneRegion(settings: EntitySettings, language: string | undefined): CountryCode | undefined {
  if (!language) return undefined;
  const tag = language.replace(/_/g, '-').toLowerCase();
  const byLanguage = new Map(Object.entries(settings.phoneRegions).map(([key, region]) => [key.toLowerCase(), region]));
  return byLanguage.get(tag) ?? byLanguage.get(tag.split('-')[0]!);
}

interface Candidate {
  type: string;
  value: EntityValue;
  start: number;
  end: number;
  /** Lower wins a tie between candidates of the same length. */
  rank: number;
}

/**
 * Overlapping candidates: the longest span wins, so "#48213" is an order number and not also a
 * number, and "€25" is an amount; at equal length the catalogue's types (in their order) win over
 * the built-in ones, then e-mail, phone, amount, date, number; then the earlier span.
 */
function resolveOverlaps(candidates: Candidate[]): Candidate[] {
  const byPreference = [...candidates].sort((a, b) => b.end - b.start - (a.end - a.start) || a.rank - b.rank || a.start - b.start);
  const kept: Candidate[] = [];
  for (const candidate of byPreference) {
    if (kept.every((other) => candidate.end <= other.start || candidate.start >= other.end)) kept.push(candidate);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Every entity in a visitor's message: the built-in types (number, amount, date, email, phone) and
 * the catalogue's own, without overlaps, in order of position. Pure apart from the clock, which
 * `context.now` replaces.
 */
export function extractEntities(text: string, settings: EntitySettings = NO_SETTINGS, context: ExtractionContext = {}): Entity[] {
  const { language } = context;
  const custom = matchersOf(settings).flatMap((matcher, index) => matcher(text).map((span) => ({ ...span, rank: index })));
  const builtIn = settings.types.length;
  const numbers = findNumbers(text, language);
  const candidates: Candidate[] = [
    ...custom,
    ...findEmails(text).map((span) => ({ ...span, type: 'email', rank: builtIn })),
    ...findPhones(text, phoneRegion(settings, language)).map((span) => ({ ...span, type: 'phone', rank: builtIn + 1 })),
    ...findAmounts(text, numbers).map((span) => ({ ...span, type: 'amount', rank: builtIn + 2 })),
    ...findDates(text, language, context.now ?? new Date(), context.timezone).map((span) => ({ ...span, type: 'date', rank: builtIn + 3 })),
    ...numbers.filter((span) => span.standalone).map(({ value, start, end }) => ({ value, start, end, type: 'number', rank: builtIn + 4 })),
  ];
  const entities = resolveOverlaps(candidates).map(({ type, value, start, end }) => ({ type, value, text: text.slice(start, end), start, end }));
  const expected = context.expecting;
  if (expected === undefined || entities.some((entity) => entity.type === expected)) return entities;
  const whole = wholeReplyAs(expected, text, settings);
  return whole ? [whole] : entities;
}

/** The reply as a whole, as the type the bot asked for: the answer pattern's match, or the text itself. */
function wholeReplyAs(type: string, text: string, settings: EntitySettings): Entity | undefined {
  const start = text.length - text.trimStart().length;
  const reply = text.trim();
  if (reply === '') return undefined;
  if (type === 'text') return { type, value: reply, text: reply, start, end: start + reply.length };
  const custom = settings.types.find((candidate) => candidate.name === type);
  if (!custom || !('pattern' in custom) || custom.answerPattern === undefined) return undefined;
  const match = new RegExp(`^(?:${custom.answerPattern})$`, 'u').exec(reply);
  if (!match) return undefined;
  // The first group, when the pattern has one, is the value ("48213" of "nr. 48213").
  return { type, value: match[1] ?? match[0], text: reply, start, end: start + reply.length };
}
