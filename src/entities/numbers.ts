// Numbers as shoppers write them: digits with the grouping and decimal separators of their language
// ("1,234.50", "1.234,50", "25,50", full-width "２５"), and Chinese numerals ("二十五", "两千", "三件").

export interface NumberSpan {
  value: number;
  start: number;
  end: number;
  /**
   * False for a Chinese numeral that is a number only next to a measure word or a currency: "一"
   * is also part of words ("一下", "一样"), so a lone one is not reported as a number.
   */
  standalone: boolean;
}

// Not glued to a word or code ("v2", "NW-2024-0042", "5-7"), and taking the whole run of digits and separators.
const DIGITS = /(?<![\p{Script=Latin}\p{N}_@])(?<![\p{Script=Latin}\p{N}][-/.,])[0-9０-９]+(?:[.,][0-9０-９]+)*(?![\p{N}_@]|[-/.,][0-9０-９])/gu;

const CHINESE_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const CHINESE_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const CHINESE_MYRIADS: Record<string, number> = { 万: 1e4, 亿: 1e8 };
// Starts with a digit or 十 ("十五"), never with 万 ("万一" means "in case").
const CHINESE_NUMERAL = /[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*/gu;
const MEASURE_WORDS = /^\s?[个件只台双条张份盒包瓶套箱次位本支块元]/u;

/** The grouping separator of a language's numbers; the other one of `.` and `,` is the decimal mark. */
function groupingSeparator(language: string | undefined): ',' | '.' {
  const primary = language?.toLowerCase().split(/[-_]/)[0];
  return primary && ['de', 'fr', 'es', 'it', 'nl', 'pt', 'da', 'sv', 'nb', 'fi', 'pl', 'cs', 'ru', 'tr'].includes(primary) ? '.' : ',';
}

/**
 * Reads digits with separators. With both `.` and `,`, the last one is the decimal mark; with one
 * kind used several times, it groups thousands; used once, it groups only when the language groups
 * with it and three digits follow ("1.234" is 1234 in German, 1.234 in English), else it is the
 * decimal mark ("25,50" is 25.5 everywhere). Returns null for an impossible grouping ("1.2.3").
 */
export function parseDigits(raw: string, language: string | undefined): number | null {
  const ascii = raw.replace(/[０-９]/gu, (digit) => String(digit.charCodeAt(0) - 0xff10));
  const separators = ascii.replace(/[0-9]/g, '');
  if (separators === '') return Number(ascii);
  const last = separators.at(-1)!;
  let decimal: string | undefined;
  let grouping: string | undefined;
  if (new Set(separators).size === 2) {
    decimal = last;
    grouping = last === '.' ? ',' : '.';
  } else if (separators.length > 1 || (last === groupingSeparator(language) && /^\d{1,3}[.,]\d{3}$/.test(ascii))) {
    grouping = last;
  } else {
    decimal = last;
  }
  const [whole, fraction, extra] = decimal ? ascii.split(decimal) : [ascii];
  if (extra !== undefined) return null;
  if (grouping) {
    const [head, ...groups] = whole!.split(grouping);
    if (!/^\d{1,3}$/.test(head!) || !groups.every((group) => /^\d{3}$/.test(group))) return null;
  }
  const digits = grouping ? whole!.split(grouping).join('') : whole!;
  return Number(fraction === undefined ? digits : `${digits}.${fraction}`);
}

/** The value of a Chinese numeral: positional ("一百零五" = 105, "三万五千" = 35000) or digit by digit ("二零二五" = 2025). */
export function parseChineseNumeral(raw: string): number {
  const characters = [...raw];
  if (!characters.some((character) => character in CHINESE_UNITS || character in CHINESE_MYRIADS)) {
    return Number(characters.map((character) => CHINESE_DIGITS[character]).join(''));
  }
  let total = 0;
  let section = 0;
  let digit = 0;
  for (const character of characters) {
    if (character in CHINESE_DIGITS) digit = CHINESE_DIGITS[character]!;
    else if (character in CHINESE_UNITS) {
      section += (digit === 0 && character === '十' ? 1 : digit) * CHINESE_UNITS[character]!;
      digit = 0;
    } else {
      total = (total + section + digit) * CHINESE_MYRIADS[character]!;
      section = 0;
      digit = 0;
    }
  }
  return total + section + digit;
}

/** Every number in the text, in order of position. */
export function findNumbers(text: string, language: string | undefined): NumberSpan[] {
  const spans: NumberSpan[] = [];
  for (const match of text.matchAll(DIGITS)) {
    const value = parseDigits(match[0], language);
    if (value !== null && Number.isFinite(value)) spans.push({ value, start: match.index, end: match.index + match[0].length, standalone: true });
  }
  for (const match of text.matchAll(CHINESE_NUMERAL)) {
    const end = match.index + match[0].length;
    const positional = [...match[0]].length > 1 && /[十百千万亿]/u.test(match[0]);
    spans.push({ value: parseChineseNumeral(match[0]), start: match.index, end, standalone: positional || MEASURE_WORDS.test(text.slice(end)) });
  }
  return spans.sort((a, b) => a.start - b.start);
}
