import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

const VERSION = 'v2';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNTER = /^(0|[1-9]\d{0,11})$/;
const DAY_MS = 86_400_000;

/** What a genuine, unexpired token says. */
export interface VisitorClaims {
  visitorId: string;
  /** Compared with the visitor's current token generation: revoking tokens increments it. */
  generation: number;
}

/**
 * Visitor tokens are `v2.<visitorId>.<generation>.<issuedAt seconds>.<hmac>`: possession proves the
 * visitor identity, and without the server's secret nobody can mint one for another visitor id.
 * A token expires `ttlDays` after it was issued; every connection hands out a fresh one, so only a
 * token left unused for that long expires.
 */
export class VisitorTokens {
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly secret: string,
    options: { ttlDays?: number; now?: () => number } = {},
  ) {
    this.ttlMs = (options.ttlDays ?? 30) * DAY_MS;
    this.now = options.now ?? Date.now;
  }

  issue(visitorId: string = randomUUID(), generation = 0): { visitorId: string; token: string } {
    const payload = `${visitorId}.${generation}.${Math.floor(this.now() / 1000)}`;
    return { visitorId, token: `${VERSION}.${payload}.${this.sign(payload)}` };
  }

  /** The claims of a genuine token that has not expired, or null for anything else. */
  verify(token: string): VisitorClaims | null {
    const [version, visitorId, generation, issuedAt, signature, ...rest] = token.split('.');
    if (version !== VERSION || !visitorId || !generation || !issuedAt || !signature || rest.length > 0) return null;
    if (!UUID.test(visitorId) || !COUNTER.test(generation) || !COUNTER.test(issuedAt)) return null;
    const expected = Buffer.from(this.sign(`${visitorId}.${generation}.${issuedAt}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    if (this.now() - Number(issuedAt) * 1000 > this.ttlMs) return null;
    return { visitorId, generation: Number(generation) };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(`visitor:${VERSION}:${payload}`).digest('base64url');
  }
}
