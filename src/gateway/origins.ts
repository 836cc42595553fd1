import type { IncomingMessage } from 'node:http';

/**
 * Browsers send an Origin header with every cross-site WebSocket or polling request. Allowed:
 * the origins in ALLOWED_ORIGINS, or when it is unset only the server's own origin. Requests
 * without an Origin (server-side clients, curl) are not browser pages and are let through.
 */
export function originAllowed(request: IncomingMessage, allowedOrigins: string[] | undefined): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins) return allowedOrigins.includes(origin) || isSameOrigin(origin, request);
  return isSameOrigin(origin, request);
}

function isSameOrigin(origin: string, request: IncomingMessage): boolean {
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
