import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { corsOrigin, invalidOrigins, isOriginAllowed, normalizeOrigin, originAllowed } from '../../src/gateway/origins.ts';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

test('without ALLOWED_ORIGINS only the server’s own origin is allowed', () => {
  assert.equal(originAllowed(request({ origin: 'http://127.0.0.1:3000', host: '127.0.0.1:3000' }), undefined), true);
  assert.equal(originAllowed(request({ origin: 'http://127.0.0.1:4000', host: '127.0.0.1:3000' }), undefined), false);
  assert.equal(originAllowed(request({ origin: 'https://evil.example', host: 'chat.example.com' }), undefined), false);
});

test('listed origins are allowed, others refused, and the own origin stays allowed', () => {
  const allowed = ['https://shop.example.com', 'http://localhost:8080'];
  assert.equal(isOriginAllowed('https://shop.example.com', 'chat.example.com', allowed), true);
  assert.equal(isOriginAllowed('http://localhost:8080', 'chat.example.com', allowed), true);
  assert.equal(isOriginAllowed('https://chat.example.com', 'chat.example.com', allowed), true);
  assert.equal(isOriginAllowed('http://shop.example.com', 'chat.example.com', allowed), false, 'the scheme is part of the origin');
  assert.equal(isOriginAllowed('https://shop.example.com:8443', 'chat.example.com', allowed), false, 'so is the port');
  assert.equal(isOriginAllowed('https://evil.shop.example.com', 'chat.example.com', allowed), false, 'no implicit subdomains');
  assert.equal(isOriginAllowed('https://shop.example.com.evil.example', 'chat.example.com', allowed), false);
});

test('configured entries are compared as origins: case, trailing slash and default ports do not matter', () => {
  const allowed = ['https://Shop.Example.com/', 'http://localhost:80'];
  assert.equal(isOriginAllowed('https://shop.example.com', 'chat.example.com', allowed), true);
  assert.equal(isOriginAllowed('http://localhost', 'chat.example.com', allowed), true);
  assert.equal(normalizeOrigin('https://shop.example.com:443'), 'https://shop.example.com');
});

test('the opaque origin, non-http schemes and malformed values are refused', () => {
  for (const origin of ['null', 'file://', 'chrome-extension://abc', 'not a url', '', 'https://shop.example.com/path']) {
    assert.equal(isOriginAllowed(origin, 'shop.example.com', ['https://shop.example.com', 'null']), false, origin);
  }
});

test('requests without an Origin header (not a browser page) are let through', () => {
  assert.equal(originAllowed(request({ host: '127.0.0.1:3000' }), undefined), true);
  assert.equal(originAllowed(request({ host: '127.0.0.1:3000' }), ['https://shop.example.com']), true);
});

test('the own origin matches Host with or without the default port', () => {
  assert.equal(isOriginAllowed('https://chat.example.com', 'chat.example.com:443', undefined), true);
  assert.equal(isOriginAllowed('http://chat.example.com', 'CHAT.example.com', undefined), true);
  assert.equal(isOriginAllowed('http://chat.example.com', undefined, undefined), false);
});

test('invalid ALLOWED_ORIGINS entries are reported', () => {
  assert.deepEqual(invalidOrigins(['https://ok.example', 'https://*.example.com', 'ok.example', 'https://a.example/path']), [
    'https://*.example.com',
    'ok.example',
    'https://a.example/path',
  ]);
  assert.deepEqual(invalidOrigins(undefined), []);
});

test('corsOrigin answers CORS with the same list', async () => {
  const ask = (allowed: string[] | undefined, origin: string | undefined) =>
    new Promise<boolean | undefined>((resolve) => corsOrigin(allowed)(origin, (_error, allow) => resolve(allow)));
  assert.equal(await ask(['https://shop.example.com/'], 'https://shop.example.com'), true);
  assert.equal(await ask(['https://shop.example.com'], 'https://other.example'), false);
  assert.equal(await ask(undefined, 'https://shop.example.com'), false);
  assert.equal(await ask(undefined, undefined), true);
});
