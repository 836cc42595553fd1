import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Visitor tokens are `v1.<visitorId>.<hmac>`: possession proves the visitor identity, and without
 * the server's secret nobody can mint one for another visitor id.
 */
export class VisitorTokens {
  constructor(private readonly secret: string) {}

  issue(visitorId: string = randomUUID()): { visitorId: string; token: string } {
    return { visitorId, token: `${VERSION}.${visitorId}.${this.sign(visitorId)}` };
  }

  /** The visitor id of a genuine token, or null for anything else. */
  verify(token: string): string | null {
    const [version, visitorId, signature, ...rest] = token.split('.');
    if (version !== VERSION || !visitorId || !signature || rest.length > 0 || !UUID.test(visitorId)) return null;
    const expected = Buffer.from(this.sign(visitorId));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given) ? visitorId : null;
  }

  private sign(visitorId: string): string {
    return createHmac('sha256', this.secret).update(`visitor:${visitorId}`).digest('base64url');
  }
}
