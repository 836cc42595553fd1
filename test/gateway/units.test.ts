import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VisitorTokens } from '../../src/gateway/visitor-token.ts';
import { checkText } from '../../src/gateway/protocol.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('visitor tokens', () => {
  const tokens = new VisitorTokens('a'.repeat(40));
  test('a token verifies to its visitor id', () => {
    const { visitorId, token } = tokens.issue();
    assert.equal(tokens.verify(token), visitorId);
  });
  test('another secret, a changed id or a changed signature do not verify', () => {
    const { token } = tokens.issue();
    const [version, id, signature] = token.split('.');
    assert.equal(new VisitorTokens('b'.repeat(40)).verify(token), null);
    assert.equal(tokens.verify(`${version}.${id!.replace(/^./, id![0] === 'a' ? 'b' : 'a')}.${signature}`), null);
    assert.equal(tokens.verify(`${version}.${id}.${signature}x`), null);
    assert.equal(tokens.verify(`v2.${id}.${signature}`), null);
    assert.equal(tokens.verify(`${token}.extra`), null);
  });
});

describe('message text', () => {
  test('is trimmed, and empty or too long text is refused with a code', () => {
    assert.equal(checkText('  hi  ', 10), 'hi');
    assert.throws(() => checkText(' \n ', 10), { code: 'TEXT_EMPTY' });
    assert.throws(() => checkText('x'.repeat(11), 10), { code: 'TEXT_TOO_LONG' });
    // Characters, not UTF-16 units: ten emoji fit a ten-character limit.
    assert.equal(checkText('😀'.repeat(10), 10), '😀'.repeat(10));
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
