// The full metadata: the small one takes "1.250" for a German phone number.
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';

export interface ContactSpan {
  value: string;
  start: number;
  end: number;
}

// ASCII local part, so that the word before an address in Chinese ("邮箱是anna@…") stays out of it.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@((?:[\p{L}\p{N}-]+\.)+[A-Za-z]{2,})(?![A-Za-z0-9-])/gu;

/** E-mail addresses; the domain is lower-cased (it is case-insensitive, the local part may not be). */
export function findEmails(text: string): ContactSpan[] {
  return [...text.matchAll(EMAIL)].map((match) => {
    const domain = match[1]!;
    return { value: `${match[0].slice(0, -domain.length)}${domain.toLowerCase()}`, start: match.index, end: match.index + match[0].length };
  });
}

/** Valid phone numbers in E.164 form; one without a country code is read in `region`, else only international ones count. */
export function findPhones(text: string, region: CountryCode | undefined): ContactSpan[] {
  return findPhoneNumbersInText(text, region ? { defaultCountry: region } : {}).map((found) => ({
    value: found.number.number,
    start: found.startsAt,
    end: found.endsAt,
  }));
}
