import type { IncomingMessage } from 'node:http';

/**
 * The origin policy for browser pages, shared by the Socket.IO handshake (`allowRequest`) and the
 * HTTP CORS headers of `/widget.js`.
 *
 * Allowed: the origins listed in ALLOWED_ORIGINS, and always the server's own origin (the demo page
 * at `/`). When ALLOWED_ORIGINS is unset only the server's own origin is allowed. Every other
 * origin is refused, including the opaque origin `null` (sandboxed frames, `file:` pages).
 * Requests without an Origin header (server-side clients, curl) are not browser pages and are let
 * through: an Origin check protects visitors' browsers, it does not authenticate programs.
 *
 * Entries are compared as origins, so `https://Shop.example.com/` in the configuration matches the
 * `https://shop.example.com` that browsers send, and `https://shop.example.com:443` the same.
 */
export function originAllowed(request: IncomingMessage, allowedOrigins: readonly string[] | undefined): boolean {
  return isOriginAllowed(request.headers.origin, request.headers.host, allowedOrigins);
}

export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowedOrigins: readonly string[] | undefined): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false;
  if (allowedOrigins && normalizedList(allowedOrigins).has(normalized)) return true;
  return isSameOrigin(normalized, host);
}

/**
 * For Socket.IO's `cors.origin` option: answers the CORS question with the same policy, so that the
 * long-polling transport and the WebSocket upgrade agree. Same-origin requests need no CORS headers.
 */
export function corsOrigin(allowedOrigins: readonly string[] | undefined) {
  return (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void): void => {
    if (origin === undefined) return callback(null, true);
    const normalized = normalizeOrigin(origin);
    callback(null, normalized !== null && allowedOrigins !== undefined && normalizedList(allowedOrigins).has(normalized));
  };
}

/** `scheme://host[:port]` in lower case with default ports removed, or null for anything that is not an http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'null') return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname.includes('*')) return null; // wildcards are not supported: list every site
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
  return url.origin;
}

/** Problems with ALLOWED_ORIGINS entries (paths, wildcards, non-http schemes), for a start-up warning. */
export function invalidOrigins(allowedOrigins: readonly string[] | undefined): string[] {
  return (allowedOrigins ?? []).filter((entry) => normalizeOrigin(entry) === null);
}

const cache = new WeakMap<readonly string[], Set<string>>();

function normalizedList(allowedOrigins: readonly string[]): Set<string> {
  let set = cache.get(allowedOrigins);
  if (!set) {
    set = new Set(allowedOrigins.map(normalizeOrigin).filter((origin): origin is string => origin !== null));
    cache.set(allowedOrigins, set);
  }
  return set;
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  const url = new URL(origin);
  // Host carries the port only when it is not the scheme's default, exactly like URL.host.
  return url.host === host.trim().toLowerCase().replace(url.protocol === 'https:' ? /:443$/ : /:80$/, '');
}
