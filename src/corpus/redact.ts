// Personal data is redacted from every text before it is trained on, exported or offered for reuse
// to other visitors: e-mail addresses, IBANs (that pass the mod-97 check), card numbers (13–19 digits
// that pass the Luhn check), phone numbers, street addresses and the name after a greeting ("Hi Anna,")
// are replaced by a placeholder token. The patterns favour precision on customer-service text: an
// order number or an amount of money is not a phone number, and a number that fails its checksum is
// not a card or an IBAN (order ids stay, so the model can still learn "my order 12345 has not
// arrived"). A name anywhere else is not recognised: reused answers are also reviewed by a person.

export const REDACTION_TOKENS = {
  email: '[email]',
  iban: '[iban]',
  card: '[card]',
  phone: '[phone]',
  address: '[address]',
  name: '[name]',
} as const;

export type RedactionKind = keyof typeof REDACTION_TOKENS;

export interface RedactionResult {
  text: string;
  /** How many of each kind were replaced. */
  counts: Record<RedactionKind, number>;
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

// Country code, check digits, then 11–30 letters or digits, written bare or in groups of four
// (DE89 3704 0044 0532 0130 00). Must come before the digit-run rules, which would take its digits.
const IBAN = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?: ?[A-Z\d]{1,4}){3,8}(?![\p{L}\p{N}])/gu;

// A run of digits with optional single spaces or dashes between them (card numbers are written in groups).
const DIGIT_RUN = /(?<![\p{N}])\d(?:[ -]?\d){12,18}(?![\p{N}])/gu;

// Phone numbers: an international +CC number, or a 10-digit national number written with
// separators or brackets ((791) 582-4288, 791-582-4288, 791.582.4288, 07911 123456, 030 12345678), or 10–12 bare
// digits starting with 0 or +. A bare run of digits without separators is an order number.
const PHONE_PATTERNS = [
  /(?<![\p{N}\w])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\p{N}])/gu,
  /(?<![\p{N}\w])\(\d{3}\)[ .-]?\d{3}[ .-]?\d{4}(?![\p{N}])/gu,
  /(?<![\p{N}\w])\d{3}[.-]\d{3}[.-]\d{4}(?![\p{N}])/gu,
  /(?<![\p{N}\w])\d{3} \d{3} \d{4}(?![\p{N}])/gu,
  // A national number with its trunk 0 and an area code of 2–4 digits: 07911 123456, 030 12345678, 089/1234567.
  /(?<![\p{N}\w])0\d{2,4}[ /-]\d{5,8}(?![\p{N}])/gu,
];

const STREET_TYPES = [
  'street', 'st', 'avenue', 'ave', 'road', 'rd', 'boulevard', 'blvd', 'lane', 'ln', 'drive', 'dr', 'court', 'ct',
  'place', 'pl', 'square', 'sq', 'terrace', 'way', 'highway', 'hwy', 'parkway', 'pkwy', 'circle', 'cir', 'trail',
  'strasse', 'straße', 'str', 'weg', 'gasse', 'platz', 'allee',
].join('|');

const ADDRESS_PATTERNS = [
  // 1234 Main Street, 12 B Elm Rd. (house number, one to four capitalised or lower-case words, a street type)
  new RegExp(String.raw`(?<![\p{N}\w])\d{1,6}[A-Za-z]?\s+(?:[\p{L}'.-]+\s+){0,3}?(?:${STREET_TYPES})\b\.?(?:,?\s*(?:apt|apartment|suite|unit|#)\.?\s*[\w-]+)?`, 'giu'),
  // Hauptstraße 5, Lindenweg 12a (German style: the number follows)
  /(?<![\p{L}])[\p{Lu}][\p{L}-]*(?:straße|strasse|str\.|weg|gasse|platz|allee)\s+\d{1,5}[a-z]?(?![\p{N}])/gu,
  // P.O. Box 123
  /\bp\.?\s?o\.?\s+box\s+\d+/giu,
];

// What follows a street address and belongs to it: ", Springfield, IL 62704" (US: city, state,
// ZIP), ", London SW1A 1AA" or ", SW1A 1AA" (UK: optional city, postcode), ", 10115 Berlin" (DE:
// postcode, city). It is only looked for right after an [address] token, and each form needs its
// postcode, so a bare ZIP code, order number, amount or date is never touched.
// Case-sensitive on purpose (city names are capitalised), so it runs as a pass of its own after the
// case-insensitive street patterns.
const US_STATES = [
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS',
  'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY',
].join('|');
const CITY = String.raw`\p{Lu}[\p{L}'’.-]*(?: \p{Lu}[\p{L}'’.-]*){0,2}`;
const UK_POSTCODE = String.raw`[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}`;
const ADDRESS_TAIL = new RegExp(
  `${REDACTION_TOKENS.address.replace(/[[\]]/g, '\\$&')}(?:` +
    String.raw`,\s*${CITY},?\s+(?:${US_STATES})\s+\d{5}(?:-\d{4})?` +
    String.raw`|,\s*(?:${CITY},?\s+)?${UK_POSTCODE}` +
    String.raw`|,\s*\d{5}\s+\p{Lu}[\p{L}-]*(?:\s+(?:am|an der|an|im|bei)\s+\p{Lu}[\p{L}-]*)?` +
    String.raw`)(?![\p{L}\p{N}])`,
  'gu',
);

// A greeting followed by one to three capitalised words and then punctuation or the end of the line:
// "Hi Anna,", "Dear Mr. Smith,", "Thanks, Anna Maria!". Only the name is replaced. Requiring the
// capitals and the punctuation keeps "Thank you for your patience." and "Hi, I am…" untouched.
const GREETINGS = ['hi', 'hello', 'hey', 'dear', 'good morning', 'good afternoon', 'good evening', 'thanks', 'thank you', 'hallo', 'liebe', 'lieber', 'bonjour', 'hola'];
const capitalOptional = (word: string) => `[${word[0]!.toUpperCase()}${word[0]}]${word.slice(1)}`;
// Anna, Mary-Jane, McDonald, O’Neil; not an all-capitals word like OK.
const NAME_WORD = String.raw`\p{Lu}(?:\p{Ll}|['’]\p{Lu})[\p{L}'’-]*`;
const GREETING_NAME = new RegExp(
  String.raw`(?<![\p{L}])((?:${GREETINGS.map(capitalOptional).join('|')}),?[ \t]+)` +
    String.raw`((?:(?:Mr|Mrs|Ms|Miss|Dr|Herr|Frau)\.?[ \t]+)?${NAME_WORD}(?:[ \t]+${NAME_WORD}){0,2})` +
    String.raw`(?=[ \t]*(?:[,!.:;?\n]|$))`,
  'gu',
);
// Capitalised words after a greeting that address no one in particular.
const NOT_NAMES = new Set(['there', 'all', 'everyone', 'everybody', 'team', 'customer', 'sir', 'madam', 'again', 'folks', 'friend', 'friends', 'guys']);

/** ISO 13616 check: the number with its first four characters moved to the end, letters as 10–35, is 1 mod 97. */
function ibanValid(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  let remainder = 0;
  for (const char of iban.slice(4) + iban.slice(0, 4)) {
    const value = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

/** Luhn checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Replaces personal data in a text by placeholder tokens; the counts say what was found. */
export function redactDetailed(text: string): RedactionResult {
  const counts: Record<RedactionKind, number> = { email: 0, iban: 0, card: 0, phone: 0, address: 0, name: 0 };
  let result = text.replace(EMAIL, () => {
    counts.email++;
    return REDACTION_TOKENS.email;
  });
  result = result.replace(IBAN, (match) => {
    if (!ibanValid(match.replace(/ /g, ''))) return match;
    counts.iban++;
    return REDACTION_TOKENS.iban;
  });
  result = result.replace(DIGIT_RUN, (match) => {
    const digits = match.replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || !luhnValid(digits)) return match;
    counts.card++;
    return REDACTION_TOKENS.card;
  });
  for (const pattern of PHONE_PATTERNS) {
    result = result.replace(pattern, () => {
      counts.phone++;
      return REDACTION_TOKENS.phone;
    });
  }
  for (const pattern of ADDRESS_PATTERNS) {
    result = result.replace(pattern, () => {
      counts.address++;
      return REDACTION_TOKENS.address;
    });
  }
  result = result.replace(ADDRESS_TAIL, REDACTION_TOKENS.address);
  result = result.replace(GREETING_NAME, (match, greeting: string, name: string) => {
    if (NOT_NAMES.has(name.toLowerCase())) return match;
    counts.name++;
    return `${greeting}${REDACTION_TOKENS.name}`;
  });
  return { text: result, counts };
}

export function redact(text: string): string {
  return redactDetailed(text).text;
}
