import type { CountryCode } from 'libphonenumber-js';

export type { CountryCode };

/**
 * The entity types every catalogue has; a catalogue-defined type may not take one of these names.
 * `text` is found only in a reply to the bot's question for it: the whole reply (a delivery address).
 */
export const BUILT_IN_ENTITY_TYPES = ['number', 'amount', 'date', 'email', 'phone', 'text'] as const;
export type BuiltInEntityType = (typeof BUILT_IN_ENTITY_TYPES)[number];

export interface Money {
  amount: number;
  /** ISO 4217 code (`EUR`, `USD`, `CNY`, …). */
  currency: string;
}

/**
 * One value found in a text: the number, the money, the ISO date (`YYYY-MM-DD`), the e-mail
 * address, the E.164 phone number, a catalogue pattern's match or a list's canonical value.
 */
export type EntityValue = number | string | Money;

export interface Entity {
  /** A built-in type or the name of a catalogue-defined one. */
  type: string;
  value: EntityValue;
  /** The matched span, exactly as written: `text === message.slice(start, end)`. */
  text: string;
  /** UTF-16 offsets into the message, end exclusive. */
  start: number;
  end: number;
}

/** A catalogue-defined type: a regular expression, or a list of canonical values with their synonyms. */
export type CustomEntityType =
  /** `answerPattern`: a looser pattern a whole reply may match when the bot has just asked for this type ("48213" for "#48213"). */
  | { name: string; pattern: string; answerPattern?: string | undefined }
  | { name: string; values: Readonly<Record<string, readonly string[]>> };

/** What a catalogue declares about entities (`intents/_entities.yaml`). */
export interface EntitySettings {
  /** Catalogue-defined types; earlier ones win a tie over the same span. */
  types: readonly CustomEntityType[];
  /** Region of phone numbers written without a country code, per visitor language (`en: US`). */
  phoneRegions: Readonly<Record<string, CountryCode>>;
}

export interface ExtractionContext {
  /** The visitor's language (`de`, `de-AT`, `zh-CN`); selects the date grammar and the phone region. */
  language?: string | undefined;
  /** "Now" for relative dates (default: the current time). */
  now?: Date;
  /** Time zone of relative dates: an abbreviation (`CET`) or minutes from UTC (default: the process's). */
  timezone?: string | number;
  /**
   * The entity type the bot has just asked for: a reply that holds none may still be one as a
   * whole (a catalogue type's `answerPattern`, or any reply for `text`).
   */
  expecting?: string | undefined;
}
