// HTTP-level checks of what the browser tests load: /widget.js, the demo page and its assets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/gateway/http.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { registerStaticRoutes } from '../../src/gateway/static.ts';
import { RETRYABLE_ERROR_CODES } from '../../src/gateway/protocol.ts';
import { createLogger } from '../../src/observability/logger.ts';

let app: FastifyInstance;
const HOST = 'chat.example.com';

before(async () => {
  app = await createHttpServer({ logger: createLogger('silent'), readiness: [], isShuttingDown: () => false, metrics: new Metrics() });
  await registerStaticRoutes(app, { allowedOrigins: ['https://shop.example.com'] });
  await app.ready();
});
after(() => app.close());

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { host: HOST, ...headers } });

test('/widget.js is JavaScript with the Socket.IO client bundled in one scope', async () => {
  const response = await get('/widget.js');
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  const body = response.body;
  assert.match(body, /^\/\*! frontdesk chat widget/);
  assert.match(body, /Socket\.IO v4/);
  assert.doesNotMatch(body, /sourceMappingURL/, 'no dangling source map reference');
  assert.ok(body.trimEnd().endsWith('})();'), 'one function scope around everything');
  // It must parse as a classic script.
  assert.doesNotThrow(() => new Function(body));
});

test('/widget.js is assembled from public/widget/ with the retryable error codes of the protocol; the parts are not served alone', async () => {
  const body = (await get('/widget.js')).body;
  const css = await readFile(new URL('../../public/widget/widget.css', import.meta.url), 'utf8');
  assert.ok(body.includes(`var WIDGET_CSS = ${JSON.stringify(css)};`), 'the style sheet, as a string');
  assert.ok(body.includes(`var RETRYABLE_ERROR_CODES = ${JSON.stringify(RETRYABLE_ERROR_CODES)};`), "the server's list");
  assert.ok(body.indexOf('const WIDGET_TEXTS = {') < body.indexOf('const t = WIDGET_TEXTS['), 'the texts before the widget');
  for (const url of ['/widget/widget.js', '/widget/i18n.js', '/widget/widget.css', '/browser-globals.d.ts']) {
    assert.equal((await get(url)).statusCode, 404, url);
  }
});

test('/widget.js is loadable by other sites and cached with an ETag', async () => {
  const response = await get('/widget.js');
  assert.equal(response.headers['cross-origin-resource-policy'], 'cross-origin', "helmet's same-origin CORP would block other sites' <script>");
  assert.match(String(response.headers['cache-control']), /max-age=\d+/);
  const etag = String(response.headers.etag);
  assert.match(etag, /^"[\w-]+"$/);

  const revalidated = await get('/widget.js', { 'if-none-match': etag });
  assert.equal(revalidated.statusCode, 304);
  assert.equal(revalidated.body, '');
  assert.equal(revalidated.headers.etag, etag);
  assert.equal((await get('/widget.js', { 'if-none-match': `"other", W/${etag}` })).statusCode, 304);
  assert.equal((await get('/widget.js', { 'if-none-match': '"stale"' })).statusCode, 200);
});

test('/widget.js is served compressed when the client accepts it, with distinct ETags', async () => {
  const plain = await get('/widget.js');
  const gzip = await get('/widget.js', { 'accept-encoding': 'gzip, deflate' });
  const brotli = await get('/widget.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  assert.equal(brotli.headers['content-encoding'], 'br');
  assert.equal(gunzipSync(gzip.rawPayload).toString(), plain.body);
  assert.equal(brotliDecompressSync(brotli.rawPayload).toString(), plain.body);
  assert.ok(brotli.rawPayload.length < 40_000, `widget is small compressed (${brotli.rawPayload.length} bytes)`);
  assert.notEqual(gzip.headers.etag, plain.headers.etag);
  assert.notEqual(brotli.headers.etag, gzip.headers.etag);
  assert.match(String(brotli.headers.vary), /Accept-Encoding/);
  assert.equal((await get('/widget.js', { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip');
});

test('CORS on /widget.js follows the allowed origins', async () => {
  const allowed = await get('/widget.js', { origin: 'https://shop.example.com' });
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://shop.example.com');
  assert.match(String(allowed.headers.vary), /Origin/);

  const own = await get('/widget.js', { origin: `https://${HOST}` });
  assert.equal(own.headers['access-control-allow-origin'], `https://${HOST}`);

  const other = await get('/widget.js', { origin: 'https://evil.example' });
  assert.equal(other.statusCode, 200, 'the script itself is public');
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  assert.equal(other.headers['access-control-allow-credentials'], undefined);
});

test('the demo shop page is served at / and embeds the widget with one script tag', async () => {
  const response = await get('/');
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['cache-control'], 'no-cache');
  assert.ok(response.headers.etag);
  assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
  assert.match(response.body, /Northwind Goods/);
  assert.match(response.body, /<script src="\/widget\.js"[^>]*async><\/script>/);
  assert.doesNotMatch(response.body, /<script>/, 'no inline scripts under the CSP');
});

test('demo assets have their content types; nothing else is reachable', async () => {
  const css = await get('/demo/demo.css');
  assert.equal(css.statusCode, 200);
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const svg = await get('/demo/logo.svg');
  assert.equal(svg.headers['content-type'], 'image/svg+xml');
  assert.equal(svg.headers['cache-control'], 'no-cache');
  for (const url of ['/demo/../package.json', '/demo/%2e%2e/package.json', '/public/widget.js', '/demo/index.html/x', '/demo/missing.css']) {
    assert.equal((await get(url)).statusCode, 404, url);
  }
});

// Issue 14, finding 12: the generic route served /console/app.js `public, max-age=3600`, shadowing the
// console's own `no-cache` handler, so agents ran a stale console for an hour after a deploy.
test('pages and their assets are revalidated with an ETag; the widget is revalidated after 5 minutes', async () => {
  for (const url of ['/console/app.js', '/console/console.css', '/console/vendor/socket.io.min.js', '/console/', '/console', '/demo/', '/', '/demo/demo.css']) {
    const response = await get(url);
    assert.equal(response.statusCode, 200, url);
    assert.equal(response.headers['cache-control'], 'no-cache', url);
    const etag = String(response.headers.etag);
    assert.match(etag, /^"[\w-]+"$/, url);
    const revalidated = await get(url, { 'if-none-match': etag });
    assert.equal(revalidated.statusCode, 304, url);
    assert.equal(revalidated.body, '', url);
  }
  assert.match((await get('/console/app.js')).headers['content-type'] as string, /^text\/javascript/);
  assert.match((await get('/demo/')).body, /Northwind Goods/);
  assert.match((await get('/console')).body, /<script src="\/console\/app\.js"/);

  const widget = await get('/widget.js');
  assert.equal(widget.headers['cache-control'], 'public, max-age=300, stale-while-revalidate=86400');
  assert.equal((await get('/widget.js', { 'if-none-match': String(widget.headers.etag) })).statusCode, 304);
  for (const url of ['/console/nope.js', '/console/../package.json', '/console/vendor/', '/console/index.html/x']) {
    assert.equal((await get(url)).statusCode, 404, url);
  }
});

test('HEAD requests answer the same headers without a body', async () => {
  const response = await app.inject({ method: 'HEAD', url: '/widget.js', headers: { host: HOST } });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(response.body, '');
});
