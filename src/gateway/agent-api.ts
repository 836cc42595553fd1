import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'socket.io';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { Message } from '../generated/prisma/client.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { AgentStore } from '../store/agent-store.ts';
import { AgentAuth, toPublicAgent, type AgentPrincipal } from '../agents/auth.ts';
import { AgentError, isExpectedAgentError, toAgentError } from '../agents/errors.ts';
import { conversationFilters, parseAgentPayload, uuid } from '../agents/payloads.ts';
import { AgentWorkspace, type ConversationAction, type IntentOption } from '../agents/workspace.ts';
import { attachAgentNamespace } from './agent-namespace.ts';
import { listFiles } from './static.ts';

export interface AgentApiOptions {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  logger: Logger;
  /** Signs out live sockets when a session ends or an account is disabled. */
  sockets?: { disconnectSession(sessionId: string): void; disconnectAgent(agentId: string): void };
  /** Defaults to the repository's `public/console`. */
  consoleDir?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    agent?: AgentPrincipal;
  }
}

const loginPayload = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) });
const replyPayload = z.object({ text: z.string().max(100_000), clientId: z.string().min(1).max(128).optional() });
const labelPayload = z.object({ intent: z.string().min(1).max(64) });
const idParams = z.object({ id: uuid });
const actionParams = z.object({ id: uuid, action: z.enum(['take-over', 'release', 'hand-back', 'resolve', 'request-agent']) });
const newAgentPayload = z.object({
  email: z.string().min(3).max(254),
  name: z.string().min(1).max(120),
  password: z.string().min(1).max(1024),
  role: z.enum(['agent', 'admin']).optional(),
});
const agentChanges = z.object({
  name: z.string().min(1).max(120).optional(),
  role: z.enum(['agent', 'admin']).optional(),
  disabled: z.boolean().optional(),
  password: z.string().min(1).max(1024).optional(),
});

/**
 * The agent REST API under `/api/agent` (Bearer token from `POST /api/agent/login`) and the agent
 * console at `/console`. Answers are `{ ok: true, … }` or `{ ok: false, error: { code, message } }`
 * with a matching HTTP status.
 */
export async function registerAgentApi(app: FastifyInstance, options: AgentApiOptions): Promise<void> {
  const { workspace, auth, logger } = options;

  await app.register(
    async (api) => {
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('Cache-Control', 'no-store');
        return payload;
      });

      api.setErrorHandler((error, request, reply) => {
        // Fastify's own refusals (malformed JSON, wrong content type, body too large) are bad payloads.
        const fastifyRefusal = typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('FST_ERR');
        const failure = fastifyRefusal
          ? toAgentError(new AgentError('INVALID_PAYLOAD', `The request was refused: ${(error as Error).message.slice(0, 200)}`))
          : toAgentError(error);
        if (failure.status === 500) logger.error({ err: error, url: request.url }, 'agent API request failed');
        if (failure.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="frontdesk-agent"');
        return reply.code(failure.status).send(failure.body);
      });

      api.setNotFoundHandler((_request, reply) => reply.code(404).send({ ok: false, error: { code: 'NOT_FOUND', message: 'No such agent API route.' } }));

      // Everything but login needs a valid session.
      api.addHook('preHandler', async (request) => {
        if (request.routeOptions.config && (request.routeOptions.config as { public?: boolean }).public) return;
        const principal = await auth.authenticate(bearer(request));
        if (!principal) throw new AgentError('UNAUTHORIZED', 'Sign in first: send Authorization: Bearer <token from POST /api/agent/login>.');
        request.agent = principal;
      });

      api.post('/login', { config: { public: true } }, async (request) => {
        const input = parseAgentPayload(loginPayload, request.body);
        const result = await auth.login({ ...input, address: request.ip, userAgent: request.headers['user-agent'] ?? null });
        logger.info({ agentId: result.agent.id }, 'agent signed in');
        return { ok: true, token: result.token, expiresAt: result.expiresAt.toISOString(), agent: result.agent };
      });

      api.post('/logout', async (request) => {
        const principal = agentOf(request);
        await auth.logout(principal);
        options.sockets?.disconnectSession(principal.sessionId);
        return { ok: true };
      });

      api.get('/me', async (request) => {
        const principal = agentOf(request);
        return { ok: true, agent: { id: principal.id, email: principal.email, name: principal.name, role: principal.role }, expiresAt: principal.expiresAt.toISOString() };
      });

      api.get('/queue', async () => ({ ok: true, ...(await workspace.queue()) }));

      api.get('/conversations', async (request) => ({ ok: true, ...(await workspace.list(conversationFilters(request.query, agentOf(request)))) }));

      api.get('/conversations/:id', async (request) => {
        const { id } = parseAgentPayload(idParams, request.params);
        return { ok: true, conversation: await workspace.transcript(id, agentOf(request)) };
      });

      api.post('/conversations/:id/messages', async (request, reply) => {
        const { id } = parseAgentPayload(idParams, request.params);
        const input = parseAgentPayload(replyPayload, request.body);
        const { message, created } = await workspace.reply(agentOf(request), { conversationId: id, ...input });
        return reply.code(created ? 201 : 200).send({ ok: true, message, duplicate: !created });
      });

      api.post('/conversations/:id/review', async (request) => {
        const { id } = parseAgentPayload(idParams, request.params);
        return { ok: true, conversation: await workspace.markReviewed(agentOf(request), id) };
      });

      api.post('/conversations/:id/:action', async (request) => {
        const { id, action } = parseAgentPayload(actionParams, request.params);
        const conversation = await workspace.act(agentOf(request), id, action.replace('-', '_') as ConversationAction);
        return { ok: true, conversation };
      });

      api.get('/intents', async () => ({ ok: true, intents: workspace.intents() }));

      api.put('/messages/:id/label', async (request) => {
        const { id } = parseAgentPayload(idParams, request.params);
        const { intent } = parseAgentPayload(labelPayload, request.body);
        return { ok: true, label: await workspace.correct(agentOf(request), id, intent) };
      });

      api.delete('/messages/:id/label', async (request) => {
        const { id } = parseAgentPayload(idParams, request.params);
        return { ok: true, removed: await workspace.removeCorrection(id) };
      });

      api.get('/corrections', async (request) => {
        const { limit } = parseAgentPayload(z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }), request.query);
        return { ok: true, corrections: await workspace.corrections(limit) };
      });

      // The labelled examples the next training run will use (admins; they include visitor texts in bulk).
      api.get('/training-examples', async (request) => {
        requireAdmin(request);
        return { ok: true, examples: await workspace.labelledExamples() };
      });

      api.get('/agents', async (request) => {
        requireAdmin(request);
        return { ok: true, agents: (await auth.store.listAgents()).map(toPublicAgent) };
      });

      api.post('/agents', async (request, reply) => {
        requireAdmin(request);
        const input = parseAgentPayload(newAgentPayload, request.body);
        const agent = await auth.createAgent(input);
        logger.info({ agentId: agent.id, by: agentOf(request).id }, 'agent account created');
        return reply.code(201).send({ ok: true, agent });
      });

      api.patch('/agents/:id', async (request) => {
        const principal = requireAdmin(request);
        const { id } = parseAgentPayload(idParams, request.params);
        const changes = parseAgentPayload(agentChanges, request.body);
        if (id === principal.id && (changes.disabled === true || changes.role === 'agent')) {
          throw new AgentError('FORBIDDEN', 'An admin cannot disable or demote their own account.');
        }
        if (changes.password !== undefined) await auth.setPassword(id, changes.password);
        const updated = await auth.store.updateAgent(id, {
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.role !== undefined ? { role: changes.role } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
        });
        if (!updated) throw new AgentError('NOT_FOUND', 'No such agent.');
        if (changes.disabled === true) {
          await auth.store.revokeAgentSessions(id);
          options.sockets?.disconnectAgent(id);
        }
        return { ok: true, agent: toPublicAgent(updated) };
      });
    },
    { prefix: '/api/agent' },
  );

  await registerConsole(app, options.consoleDir ?? defaultConsoleDir);
}

export interface AgentWorkspaceWiring {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  /** For `attachChatNamespace({ onVisitorMessage })`: visitor messages reach agents live. */
  onVisitorMessage(message: Message): void;
}

/**
 * Everything agents need, attached to a running HTTP server and Socket.IO server: the REST API,
 * the console page and the `/agent` namespace. `server.ts` calls this once.
 */
export async function attachAgentWorkspace(options: {
  app: FastifyInstance;
  io: Server;
  prisma: PrismaClient;
  logger: Logger;
  intents?: () => readonly IntentOption[];
  maxMessageChars?: number;
  sessionTtlMs?: number;
}): Promise<AgentWorkspaceWiring> {
  const logger = options.logger.child({ component: 'agents' });
  const workspace = new AgentWorkspace({
    prisma: options.prisma,
    logger,
    ...(options.intents ? { intents: options.intents } : {}),
    ...(options.maxMessageChars ? { maxMessageChars: options.maxMessageChars } : {}),
  });
  const auth = new AgentAuth(new AgentStore(options.prisma), options.sessionTtlMs ? { sessionTtlMs: options.sessionTtlMs } : {});
  const sockets = attachAgentNamespace(options.io, { workspace, auth, logger });
  await registerAgentApi(options.app, { workspace, auth, logger, sockets });
  void auth.store.deleteStaleSessions().catch(() => {});
  return { workspace, auth, onVisitorMessage: (message) => workspace.observeVisitorMessage(message) };
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function agentOf(request: FastifyRequest): AgentPrincipal {
  if (!request.agent) throw new AgentError('UNAUTHORIZED', 'Sign in first.');
  return request.agent;
}

function requireAdmin(request: FastifyRequest): AgentPrincipal {
  const principal = agentOf(request);
  if (principal.role !== 'admin') throw new AgentError('FORBIDDEN', 'Only admins can do this.');
  return principal;
}

// ---------------------------------------------------------------------------------------------
// The console: a few static files, read once at start (no request path reaches the file system).

const defaultConsoleDir = fileURLToPath(new URL('../../public/console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface ConsoleFile {
  body: Buffer;
  type: string;
  etag: string;
}

async function registerConsole(app: FastifyInstance, dir: string): Promise<void> {
  const files = new Map<string, ConsoleFile>();
  const add = (path: string, body: Buffer, type: string) =>
    files.set(path, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  for (const file of await listFiles(dir)) {
    const type = TYPES[extname(file).toLowerCase()];
    if (type) add(relative(dir, file).split(sep).join('/'), await readFile(file), type);
  }
  // The Socket.IO client that ships with the server, so the two always speak the same protocol.
  const socketIoDir = dirname(dirname(createRequire(import.meta.url).resolve('socket.io')));
  const client = (await readFile(join(socketIoDir, 'client-dist', 'socket.io.min.js'), 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  add('vendor/socket.io.min.js', Buffer.from(client), TYPES['.js']!);

  const serve = (path: string) => (request: FastifyRequest, reply: FastifyReply) => {
    const file = files.get(path === '' ? 'index.html' : path);
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    reply.header('Content-Type', file.type).header('Cache-Control', 'no-cache').header('ETag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };
  app.get('/console', serve(''));
  // A wildcard, so that other routes serving public/ files at the same URLs never collide with it.
  app.get('/console/*', (request, reply) => serve((request.params as { '*': string })['*'] ?? '')(request, reply));
}

