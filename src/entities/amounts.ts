import type { Money } from './types.ts';
import type { NumberSpan } from './numbers.ts';

// A number is money when a currency sign, code or word stands right before or after it ("€25",
// "US$ 19.99", "25,50 €", "25 euros", "二十五元", "30块钱"). "$" is read as US dollars and "¥" as
// yuan, the shop's likeliest meanings.
const CURRENCIES: ReadonlyArray<[currency: string, symbols: readonly string[], words: readonly string[]]> = [
  ['EUR', ['€', 'EUR'], ['euros', 'euro', 'eur', '欧元']],
  ['USD', ['US$', '$', 'USD'], ['dollars', 'dollar', 'bucks', 'usd', '美元', '美金']],
  ['GBP', ['£', 'GBP'], ['gbp', '英镑']],
  ['CNY', ['¥', '￥', 'CNY', 'RMB'], ['yuan', 'rmb', 'cny', '块钱', '块', '元', '人民币']],
  ['JPY', [], ['日元']],
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (texts: readonly string[]) => [...texts].sort((a, b) => b.length - a.length).map(escape).join('|');
const BEFORE = new RegExp(`(?<!\\p{L})(${alternatives(CURRENCIES.flatMap(([, symbols]) => symbols))})\\s?$`, 'u');
// A code or word after the number must end there ("25 euros", not "25 eur" of it); Chinese words need no boundary.
const AFTER = new RegExp(`^\\s?(${alternatives(CURRENCIES.flatMap(([, symbols, words]) => [...symbols, ...words]))})(?![\\p{Script=Latin}])`, 'iu');
const BY_TOKEN = new Map(CURRENCIES.flatMap(([currency, symbols, words]) => [...symbols, ...words].map((token) => [token.toLowerCase(), currency] as const)));

export interface AmountSpan {
  value: Money;
  start: number;
  end: number;
}

/** Every number with a currency next to it; a sign or code before the number wins over a word after it. */
export function findAmounts(text: string, numbers: readonly NumberSpan[]): AmountSpan[] {
  const amounts: AmountSpan[] = [];
  for (const number of numbers) {
    const before = BEFORE.exec(text.slice(0, number.start));
    if (before) {
      amounts.push({ value: { amount: number.value, currency: BY_TOKEN.get(before[1]!.toLowerCase())! }, start: number.start - before[0].length, end: number.end });
      continue;
    }
    const after = AFTER.exec(text.slice(number.end));
    if (after) amounts.push({ value: { amount: number.value, currency: BY_TOKEN.get(after[1]!.toLowerCase())! }, start: number.start, end: number.end + after[0].length });
  }
  return amounts;
}
