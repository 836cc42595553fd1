import { createPublicKey } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/** A customer the shop vouches for: the claims of a token the shop signed, checked here. */
export interface VerifiedCustomer {
  /** The shop's customer id (the `sub` claim). */
  id: string;
  email: string | null;
  name: string | null;
}

/**
 * How the shop signs its customer tokens. Each key allows exactly one algorithm, so a token can never
 * choose how it is checked (`none`, or an HS256 token "signed" with the RSA public key).
 */
export type CustomerTokenKey =
  | { algorithm: 'HS256'; secret: string }
  | { algorithm: 'RS256'; publicKeyPem: string }
  | { algorithm: 'RS256'; jwksUrl: string };

export interface CustomerTokenSettings {
  key: CustomerTokenKey;
  /** Required `iss` and `aud` claims, where the shop sets them. */
  issuer?: string | undefined;
  audience?: string | undefined;
}

/** RFC 7518 §3.2: an HS256 key is at least as long as the hash, 256 bits. */
export const MIN_CUSTOMER_TOKEN_SECRET_CHARS = 32;
/** The shop's clock and ours may differ a little; a token is not valid much longer than it says. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** A shop's key set that does not answer must not hold a handshake for long. */
const JWKS_TIMEOUT_MS = 5_000;

/** The token is forged, expired, for another issuer or audience, malformed, or its keys could not be fetched. */
export class InvalidCustomerTokenError extends Error {}

export type CustomerTokenVerifier = (token: string) => Promise<VerifiedCustomer>;

const noControlCharacters = (value: string) => !/\p{Cc}/u.test(value);
const customerClaims = z.object({
  sub: z.string().min(1).max(255).refine(noControlCharacters),
  // The shop's own data, shown to agents: a malformed e-mail or name is dropped, the customer stays verified.
  email: z.email().max(254).optional().catch(undefined),
  name: z.string().trim().min(1).max(120).refine(noControlCharacters).optional().catch(undefined),
});

/** Throws when the PEM is not an RSA public key (checked at start, with the configuration). */
export function rsaPublicKey(pem: string) {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`expected an RSA public key, got ${key.asymmetricKeyType}`);
  return key;
}

function keyResolver(key: CustomerTokenKey): JWTVerifyGetKey {
  // jose caches the fetched set and fetches it again for a key id it does not know (key rotation).
  if ('jwksUrl' in key) return createRemoteJWKSet(new URL(key.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS });
  const staticKey = 'secret' in key ? new TextEncoder().encode(key.secret) : rsaPublicKey(key.publicKeyPem);
  return () => staticKey;
}

export function customerTokenVerifier(settings: CustomerTokenSettings): CustomerTokenVerifier {
  const { key } = settings;
  const getKey = keyResolver(key);
  const options = {
    algorithms: [key.algorithm],
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    // A token without an expiry would identify its customer forever once it leaked.
    requiredClaims: ['exp', 'sub'],
  };
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, getKey, options));
    } catch (error) {
      // jose's messages name the failed check, never a claim's value or the key.
      const reason = error instanceof errors.JOSEError ? error.message : 'the signing keys could not be fetched';
      throw new InvalidCustomerTokenError(reason, { cause: error });
    }
    const claims = customerClaims.safeParse(payload);
    if (!claims.success) throw new InvalidCustomerTokenError('"sub" must be a customer id of 1 to 255 characters');
    return { id: claims.data.sub, email: claims.data.email ?? null, name: claims.data.name ?? null };
  };
}
