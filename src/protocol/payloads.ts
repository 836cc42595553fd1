import type { z } from 'zod';
import { ProtocolError } from './errors.ts';

/**
 * Validates what a client sent against `schema`, or throws `INVALID_PAYLOAD` naming where. A NUL in
 * any string is refused too: Postgres text cannot hold U+0000, so it failed the query as INTERNAL.
 */
export function parsePayload<T extends z.ZodType>(schema: T, payload: unknown): z.infer<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidPayload(issue?.path ?? [], issue?.message ?? 'unexpected shape');
  }
  const nul = nulPath(parsed.data);
  if (nul) throw invalidPayload(nul, 'must not contain NUL characters');
  return parsed.data;
}

/** Trims a message text and enforces its limits; Unicode code points are counted, not UTF-16 units. */
export function checkText(text: string, maxChars: number): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ProtocolError('TEXT_EMPTY', 'The message text is empty.');
  // More than twice as many UTF-16 units are more code points for sure; only shorter texts are counted.
  if (trimmed.length > maxChars * 2 || [...trimmed].length > maxChars) {
    throw new ProtocolError('TEXT_TOO_LONG', `The message text is longer than ${maxChars} characters.`);
  }
  return trimmed;
}

function invalidPayload(path: readonly PropertyKey[], problem: string): ProtocolError {
  const where = path.length > 0 ? ` at ${path.map(String).join('.')}` : '';
  return new ProtocolError('INVALID_PAYLOAD', `Invalid payload${where}: ${problem}`);
}

/** Where a string with U+0000 sits in a parsed payload, or null. */
function nulPath(value: unknown, path: PropertyKey[] = []): PropertyKey[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) return value.reduce<PropertyKey[] | null>((found, item, index) => found ?? nulPath(item, [...path, index]), null);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      const found = nulPath(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
