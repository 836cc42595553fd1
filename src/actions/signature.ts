import { createHmac, timingSafeEqual } from 'node:crypto';

// Webhook signatures as Stripe makes them: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
// The timestamp is signed with the body, so a captured request cannot be replayed after the
// tolerance window, nor its body changed.

export const SIGNATURE_HEADER = 'frontdesk-signature';
/** How far a signature's timestamp may be from the receiver's clock (either way), in seconds. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'missing' | 'malformed' | 'outside_tolerance' | 'mismatch' };

function digest(secret: string, timestamp: number, body: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

const nowInSeconds = () => Math.floor(Date.now() / 1000);

/** The `Frontdesk-Signature` header value for `body`, signed now (or at `timestamp`). */
export function signatureHeader(body: string | Buffer, secret: string, timestamp = nowInSeconds()): string {
  return `t=${timestamp},v1=${digest(secret, timestamp, body).toString('hex')}`;
}

/**
 * Checks a received `Frontdesk-Signature` against the exact bytes of the body. Several secrets
 * may be given while one is being rotated; any `v1` made with any of them is accepted.
 */
export function verifySignature(options: {
  header: string | string[] | undefined;
  body: string | Buffer;
  secret: string | readonly string[];
  toleranceSeconds?: number;
  now?: number;
}): SignatureCheck {
  const { header, body } = options;
  if (header === undefined || header === '') return { valid: false, reason: 'missing' };
  if (Array.isArray(header)) return { valid: false, reason: 'malformed' };
  const fields = String(header).split(',').map((field) => field.trim().split('='));
  const timestamps = fields.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = fields.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0]!) || signatures.length === 0) return { valid: false, reason: 'malformed' };
  const timestamp = Number(timestamps[0]);
  if (Math.abs((options.now ?? nowInSeconds()) - timestamp) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) {
    return { valid: false, reason: 'outside_tolerance' };
  }
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const expected = secrets.map((secret) => digest(secret, timestamp, body));
  const matches = signatures
    .filter((signature) => /^[0-9a-f]{64}$/.test(signature))
    .some((signature) => expected.some((candidate) => timingSafeEqual(candidate, Buffer.from(signature, 'hex'))));
  return matches ? { valid: true, timestamp } : { valid: false, reason: 'mismatch' };
}
