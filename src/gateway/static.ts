import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidOrigins, isOriginAllowed } from './origins.ts';
import { RETRYABLE_ERROR_CODES } from './protocol.ts';

export interface StaticRoutesOptions {
  /** ALLOWED_ORIGINS: the sites that embed the widget (CORS of `/widget.js`). */
  allowedOrigins: readonly string[] | undefined;
  /** Defaults to the repository's `public/`. */
  publicDir?: string;
}

interface Asset {
  type: string;
  cacheControl: string;
  /** CORS by the origin policy, and loadable by other sites' `<script>` tags despite helmet's CORP default. */
  crossOrigin: boolean;
  variants: { identity: Variant; gzip?: Variant; br?: Variant };
}

interface Variant {
  body: Buffer;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.css', '.js', '.mjs', '.json', '.txt', '.svg']);

/** The widget URL is not versioned (hosts paste it once), so caches revalidate it after 5 minutes. */
const WIDGET_CACHE = 'public, max-age=300, stale-while-revalidate=86400';
/**
 * Pages and their assets (demo, console) are revalidated on every use (a 304 with the ETag): their
 * URLs are not fingerprinted, and a cached `app.js` from before a deploy would run against the new API.
 */
const REVALIDATE = 'no-cache';

const defaultPublicDir = fileURLToPath(new URL('../../public/', import.meta.url));

/**
 * Serves everything under `public/`: the embeddable widget (`/widget.js`, from `public/widget/`), the demo shop page (`/`,
 * from `public/demo/index.html`), the agent console (`/console`, with the Socket.IO client at
 * `/console/vendor/socket.io.min.js` and Chart.js at `/console/vendor/chart.umd.min.js`) and their files (`public/demo/x.css` at `/demo/x.css`); a
 * folder's `index.html` is also its URL (`/console/`, `/console`). Every file is read and compressed
 * once at start: the set of URLs is fixed, so no request path ever reaches the file system.
 */
export async function registerStaticRoutes(app: FastifyInstance, options: StaticRoutesOptions): Promise<void> {
  const publicDir = options.publicDir ?? defaultPublicDir;
  const allowedOrigins = options.allowedOrigins;
  for (const entry of invalidOrigins(allowedOrigins)) {
    app.log.warn({ origin: entry }, 'ALLOWED_ORIGINS entry is not an origin (scheme://host[:port]) and never matches');
  }

  // Read once: the console serves it as it is, the widget bundles it.
  const client = await socketIoClient();
  const routes = new Map<string, Asset>();
  for (const file of await listFiles(publicDir)) {
    const path = relative(publicDir, file).split(sep).join('/');
    const extension = extname(path).toLowerCase();
    const type = CONTENT_TYPES[extension];
    if (!type) continue;
    if (path.startsWith('widget/')) {
      // The widget's parts, served as one script.
      if (path === 'widget/widget.js') routes.set('/widget.js', asset(await widgetBundle(dirname(file), client), type, WIDGET_CACHE, true, true));
      continue;
    }
    const entry = asset(await readFile(file), type, REVALIDATE, false, COMPRESSIBLE.has(extension));
    for (const url of urlsOf(path)) routes.set(url, entry);
  }
  // The console's copy of the Socket.IO client that ships with the server (the widget bundles its own).
  routes.set('/console/vendor/socket.io.min.js', asset(client, CONTENT_TYPES['.js']!, REVALIDATE, false, true));
  // The charts of the console's Reports tab: Chart.js's UMD build as the package ships it (it defines `Chart`).
  routes.set('/console/vendor/chart.umd.min.js', asset(await chartJs(), CONTENT_TYPES['.js']!, REVALIDATE, false, true));

  for (const [url, entry] of routes) {
    app.get(url, (request, reply) => send(request, reply, entry, allowedOrigins));
  }
}

/**
 * `/widget.js` is the Socket.IO client that ships with the server (so the two always speak the same
 * protocol version) followed by the widget's parts in `public/widget/`: its texts (`i18n.js`), its
 * style sheet (`widget.css`) as `WIDGET_CSS`, the error codes it retries (`RETRYABLE_ERROR_CODES`
 * from protocol.ts), the drawing of formatted messages it shares with the console
 * (`public/shared/rich-text.js`) and the widget (`widget.js`), all in one function scope: the client is taken
 * through its CommonJS branch, so neither `io` nor anything else leaks into the host page, and a
 * host page with its own Socket.IO or AMD loader is left alone. `public/browser-globals.d.ts`
 * declares these names for the type check.
 */
async function widgetBundle(widgetDir: string, client: Buffer): Promise<Buffer> {
  const [texts, css, richText, widget] = await Promise.all(['i18n.js', 'widget.css', '../shared/rich-text.js', 'widget.js'].map((name) => readFile(join(widgetDir, name), 'utf8')));
  return Buffer.from(
    [
      '/*! frontdesk chat widget. Includes the Socket.IO client (MIT licence, see below). */',
      '(function () {',
      'var module = { exports: {} }, exports = module.exports, define;',
      client.toString(),
      'var io = module.exports;',
      texts,
      `var WIDGET_CSS = ${JSON.stringify(css)};`,
      `var RETRYABLE_ERROR_CODES = ${JSON.stringify(RETRYABLE_ERROR_CODES)};`,
      richText,
      widget,
      '})();',
      '',
    ].join('\n'),
  );
}

/** The Socket.IO client that ships with the server, so the two always speak the same protocol version. */
async function socketIoClient(): Promise<Buffer> {
  const socketIoDir = dirname(dirname(createRequire(import.meta.url).resolve('socket.io')));
  return withoutSourceMap(await readFile(join(socketIoDir, 'client-dist', 'socket.io.min.js'), 'utf8'));
}

/** Chart.js's UMD build, from the package's dist/ folder (where its CommonJS entry point lives). */
async function chartJs(): Promise<Buffer> {
  const distDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  return withoutSourceMap(await readFile(join(distDir, 'chart.umd.min.js'), 'utf8'));
}

/** A vendor script without its last-line source map comment: the map is not served. */
function withoutSourceMap(script: string): Buffer {
  return Buffer.from(script.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
}

/** `demo/x.css` at `/demo/x.css`; `console/index.html` at `/console/` and `/console`; the demo page also at `/`. */
function urlsOf(path: string): string[] {
  if (path !== 'index.html' && !path.endsWith('/index.html')) return [`/${path}`];
  const folder = `/${path.slice(0, -'index.html'.length)}`;
  const urls = folder === '/' ? ['/'] : [folder, folder.slice(0, -1)];
  return folder === '/demo/' ? [...urls, '/'] : urls;
}

function asset(body: Buffer, type: string, cacheControl: string, crossOrigin: boolean, compressible: boolean): Asset {
  const variants: Asset['variants'] = { identity: variant(body, '') };
  if (compressible && body.length > 1024) {
    variants.gzip = variant(gzipSync(body, { level: 9 }), '-gz');
    variants.br = variant(
      brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
      '-br',
    );
  }
  return { type, cacheControl, crossOrigin, variants };

  function variant(content: Buffer, suffix: string): Variant {
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    return { body: content, etag: `"${hash}${suffix}"` };
  }
}

function send(request: FastifyRequest, reply: FastifyReply, entry: Asset, allowedOrigins: readonly string[] | undefined): FastifyReply {
  const encoding = chooseEncoding(request.headers['accept-encoding'], entry);
  const chosen = encoding === 'identity' ? entry.variants.identity : entry.variants[encoding]!;
  const vary = ['Accept-Encoding'];

  reply.header('Content-Type', entry.type).header('Cache-Control', entry.cacheControl).header('ETag', chosen.etag);
  if (entry.crossOrigin) {
    // Any site may load the script (it holds no secret; the Socket.IO handshake is what is guarded),
    // but only allowed origins get CORS access, e.g. for <script crossorigin> or fetch().
    reply.header('Cross-Origin-Resource-Policy', 'cross-origin');
    vary.push('Origin');
    const origin = request.headers.origin;
    if (origin !== undefined && isOriginAllowed(origin, request.headers.host, allowedOrigins)) {
      reply.header('Access-Control-Allow-Origin', origin);
    }
  }
  reply.header('Vary', vary.join(', '));

  if (matchesEtag(request.headers['if-none-match'], chosen.etag)) return reply.code(304).send();
  if (encoding !== 'identity') reply.header('Content-Encoding', encoding);
  return reply.send(chosen.body);
}

function chooseEncoding(header: string | undefined, entry: Asset): 'identity' | 'gzip' | 'br' {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...parameters] = part.trim().toLowerCase().split(';');
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name) accepted.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  const wants = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (entry.variants.br && wants('br')) return 'br';
  if (entry.variants.gzip && wants('gzip')) return 'gzip';
  return 'identity';
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** Every file under `dir` (hidden ones excluded), sorted; none when it does not exist. */
async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}
