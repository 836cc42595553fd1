// The verification of the shop's customer tokens (src/identity) and its configuration, without a server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { customerTokenVerifier, InvalidCustomerTokenError } from '../../src/identity/customer-token.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

const SECRET = 'x'.repeat(32);
const key = new TextEncoder().encode(SECRET);
const verify = customerTokenVerifier({ key: { algorithm: 'HS256', secret: SECRET }, issuer: 'https://shop.example.com' });
const sign = (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT = (jwt) => jwt.setExpirationTime('5m')) =>
  build(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://shop.example.com')).sign(key);
const refused = (token: Promise<string>, reason: RegExp) =>
  assert.rejects(token.then(verify), (error) => error instanceof InvalidCustomerTokenError && reason.test(error.message));

describe('customer token claims', () => {
  test('sub, e-mail and name; a malformed e-mail or name is dropped, the customer stays verified', async () => {
    assert.deepEqual(await verify(await sign({ sub: '42', email: 'ada@example.com', name: ' Ada ' })), { id: '42', email: 'ada@example.com', name: 'Ada' });
    assert.deepEqual(await verify(await sign({ sub: '42', email: 'not an address', name: 'line\nbreak' })), { id: '42', email: null, name: null });
  });

  test('refused: no expiry, no subject, an empty subject, another issuer, not valid yet', async () => {
    await refused(sign({ sub: '42' }, (jwt) => jwt), /"exp"/);
    await refused(sign({}), /"sub"/);
    await refused(sign({ sub: '' }), /sub/);
    await refused(sign({ sub: '42' }, (jwt) => jwt.setIssuer('https://evil.example.com').setExpirationTime('5m')), /"iss"/);
    await refused(sign({ sub: '42' }, (jwt) => jwt.setNotBefore('10m').setExpirationTime('20m')), /"nbf"/);
  });

  test('a token a few seconds past its expiry is still accepted (clock tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await verify(await sign({ sub: '42' }, (jwt) => jwt.setExpirationTime(now - 5)))).id, '42');
  });
});

describe('CUSTOMER_TOKEN_* configuration', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
  };

  test('none set: customer tokens are refused', () => {
    assert.equal(loadConfig({}).customerTokens, null);
  });

  test('each key selects its one algorithm; issuer and audience come along', async () => {
    const pem = await exportSPKI((await generateKeyPair('RS256')).publicKey);
    assert.deepEqual(loadConfig({ CUSTOMER_TOKEN_SECRET: SECRET, CUSTOMER_TOKEN_AUDIENCE: 'frontdesk' }).customerTokens, {
      key: { algorithm: 'HS256', secret: SECRET }, issuer: undefined, audience: 'frontdesk',
    });
    // An environment file's one-line PEM, with "\n" for the line breaks.
    assert.deepEqual(loadConfig({ CUSTOMER_TOKEN_PUBLIC_KEY: pem.replaceAll('\n', '\\n') }).customerTokens?.key, { algorithm: 'RS256', publicKeyPem: pem });
    assert.deepEqual(loadConfig({ CUSTOMER_TOKEN_JWKS_URL: 'https://shop.example.com/jwks.json' }).customerTokens?.key, { algorithm: 'RS256', jwksUrl: 'https://shop.example.com/jwks.json' });
  });

  test('refused at start: a short secret, a key that is not RSA, a plain-http key set elsewhere, two keys at once', async () => {
    const ecPem = await exportSPKI((await generateKeyPair('ES256')).publicKey);
    assert.match(problems({ CUSTOMER_TOKEN_SECRET: 'short' }).join(), /CUSTOMER_TOKEN_SECRET: must be at least 32/);
    assert.match(problems({ CUSTOMER_TOKEN_PUBLIC_KEY: ecPem }).join(), /CUSTOMER_TOKEN_PUBLIC_KEY: must be an RSA public key/);
    assert.match(problems({ CUSTOMER_TOKEN_PUBLIC_KEY: 'hello' }).join(), /CUSTOMER_TOKEN_PUBLIC_KEY/);
    assert.match(problems({ CUSTOMER_TOKEN_JWKS_URL: 'http://shop.example.com/jwks.json' }).join(), /CUSTOMER_TOKEN_JWKS_URL: must be an https/);
    assert.deepEqual(problems({ CUSTOMER_TOKEN_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' }), []);
    assert.match(problems({ CUSTOMER_TOKEN_SECRET: SECRET, CUSTOMER_TOKEN_JWKS_URL: 'https://shop.example.com/jwks.json' }).join(), /set one of/);
  });
});
