import * as chrono from 'chrono-node';
import * as de from 'chrono-node/de';
import * as es from 'chrono-node/es';
import * as fr from 'chrono-node/fr';
import * as zh from 'chrono-node/zh';

// chrono-node's casual grammars read relative dates too ("last Tuesday", "vorgestern", "上周二").
const GRAMMARS: Readonly<Record<string, chrono.Chrono>> = { en: chrono.casual, de: de.casual, es: es.casual, fr: fr.casual, zh: zh.casual };

export interface DateSpan {
  /** ISO calendar date, `YYYY-MM-DD`, in the time zone of the reference. */
  value: string;
  start: number;
  end: number;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/**
 * Every day the text names, read with the grammar of the visitor's language (English when there is
 * none). A time alone ("at 5 pm") names no day and is left out; a range gives its first day.
 */
export function findDates(text: string, language: string | undefined, now: Date, timezone: string | number | undefined): DateSpan[] {
  const grammar = GRAMMARS[language?.toLowerCase().split(/[-_]/)[0] ?? 'en'] ?? chrono.casual;
  const results = grammar.parse(text, timezone === undefined ? now : { instant: now, timezone });
  return results
    .filter(({ start }) => start.isCertain('day') || start.isCertain('weekday') || start.isCertain('month'))
    .map(({ start, index, text: matched }) => ({
      value: `${pad(start.get('year')!, 4)}-${pad(start.get('month')!, 2)}-${pad(start.get('day')!, 2)}`,
      start: index,
      // chrono keeps a trailing comma ("last Tuesday,")
      end: index + matched.replace(/[\s\p{P}]+$/u, '').length,
    }));
}
