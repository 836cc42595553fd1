import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgentAuth, AgentPrincipal } from '../agents/auth.ts';
import type { Logger } from '../observability/logger.ts';
import { errorBody, httpStatus, ProtocolError, toErrorBody } from '../protocol/errors.ts';

/**
 * What every agent-facing REST scope answers alike: never cached, errors as `{ ok: false, error }`
 * with the code's HTTP status (Fastify's own refusals, such as malformed JSON, are bad payloads),
 * a Bearer challenge on 401, and NOT_FOUND for unknown routes. `translate` turns a scope's own
 * errors into protocol errors first.
 */
export function applyApiConventions(api: FastifyInstance, options: { logger: Logger; name: string; translate?: (error: unknown) => unknown }): void {
  const translate = options.translate ?? ((error: unknown) => error);
  api.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Cache-Control', 'no-store');
    return payload;
  });
  api.setErrorHandler((error, request, reply) => {
    const fastifyRefusal = typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('FST_ERR');
    const body = toErrorBody(fastifyRefusal ? new ProtocolError('INVALID_PAYLOAD', `The request was refused: ${(error as Error).message.slice(0, 200)}`) : translate(error));
    const status = httpStatus(body.error.code);
    if (status === 500) options.logger.error({ err: error, url: request.url }, `${options.name} request failed`);
    if (status === 401) reply.header('WWW-Authenticate', 'Bearer realm="frontdesk-agent"');
    return reply.code(status).send(body);
  });
  api.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('NOT_FOUND', `No such ${options.name} route.`)));
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * The agent whose session token the request carries, or UNAUTHORIZED; with `adminOnly` (why the
 * scope is for admins, said to anyone else) other roles are FORBIDDEN.
 */
export async function signedInAgent(auth: Pick<AgentAuth, 'authenticate'>, request: FastifyRequest, adminOnly?: string): Promise<AgentPrincipal> {
  const principal = await auth.authenticate(bearer(request));
  if (!principal) throw new ProtocolError('UNAUTHORIZED', 'Sign in first: send Authorization: Bearer <token from POST /api/agent/login>.');
  if (adminOnly !== undefined && principal.role !== 'admin') throw new ProtocolError('FORBIDDEN', adminOnly);
  return principal;
}
