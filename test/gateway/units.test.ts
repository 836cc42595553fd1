import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VisitorTokens } from '../../src/gateway/visitor-token.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('visitor tokens', () => {
  const tokens = new VisitorTokens('a'.repeat(40));
  test('a token verifies to its visitor id and generation', () => {
    const { visitorId, token } = tokens.issue();
    assert.deepEqual(tokens.verify(token), { visitorId, generation: 0 });
    assert.deepEqual(tokens.verify(tokens.issue(visitorId, 3).token), { visitorId, generation: 3 });
  });
  test('another secret, a changed id, generation, date or signature do not verify', () => {
    const { token } = tokens.issue();
    const [version, id, generation, issuedAt, signature] = token.split('.');
    assert.equal(new VisitorTokens('b'.repeat(40)).verify(token), null);
    assert.equal(tokens.verify(`${version}.${id!.replace(/^./, id![0] === 'a' ? 'b' : 'a')}.${generation}.${issuedAt}.${signature}`), null);
    assert.equal(tokens.verify(`${version}.${id}.1.${issuedAt}.${signature}`), null);
    assert.equal(tokens.verify(`${version}.${id}.${generation}.${Number(issuedAt) + 86_400}.${signature}`), null);
    assert.equal(tokens.verify(`${version}.${id}.${generation}.${issuedAt}.${signature}x`), null);
    assert.equal(tokens.verify(`v1.${id}.${generation}.${issuedAt}.${signature}`), null);
    assert.equal(tokens.verify(`${token}.extra`), null);
  });
  test('a token expires after the TTL', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clocked = new VisitorTokens('a'.repeat(40), { ttlDays: 30, now: () => now });
    const { visitorId, token } = clocked.issue();
    now += 30 * 86_400_000;
    assert.equal(clocked.verify(token)?.visitorId, visitorId, 'valid for the whole TTL');
    now += 1000;
    assert.equal(clocked.verify(token), null);
  });
});

describe('configuration', () => {
  test('defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, undefined);
    assert.ok(config.dataDir.endsWith('/data'));
  });
  test('every invalid variable is reported at once', () => {
    assert.throws(
      () => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        assert.match(error.message, /PORT/);
        assert.match(error.message, /DATABASE_URL/);
        assert.match(error.message, /LOG_LEVEL/);
        return true;
      },
    );
  });
  test('ALLOWED_ORIGINS is a comma-separated list', () => {
    assert.deepEqual(loadConfig({ ALLOWED_ORIGINS: 'https://a.example, https://b.example' }).allowedOrigins, ['https://a.example', 'https://b.example']);
  });
});
