import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from 'socket.io';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { Message } from '../generated/prisma/client.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { AgentStore } from '../store/agent-store.ts';
import { KnowledgeStore } from '../store/knowledge-store.ts';
import { ReuseReview } from '../agents/reuse-review.ts';
import { AgentAuth, toPublicAgent, type AgentPrincipal } from '../agents/auth.ts';
import { AgentError, isExpectedAgentError, toAgentError } from '../agents/errors.ts';
import { conversationFilters, parseAgentPayload, uuid } from '../agents/payloads.ts';
import { AgentWorkspace, type ConversationAction, type IntentOption } from '../agents/workspace.ts';
import { agentReplyPayload, attachAgentNamespace } from './agent-namespace.ts';

export interface AgentApiOptions {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  logger: Logger;
  reuse: ReuseReview;
}

declare module 'fastify' {
  interface FastifyRequest {
    agent?: AgentPrincipal;
  }
}

const loginPayload = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) });
const labelPayload = z.object({ intent: z.string().min(1).max(64) });
const idParams = z.object({ id: uuid });
const harvestedQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const approvePayload = z.object({ text: z.string().max(10_000).optional() }).optional();
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
 * The agent REST API under `/api/agent` (Bearer token from `POST /api/agent/login`); the console
 * page at `/console` is one of the static files (static.ts). Answers are `{ ok: true, … }` or `{ ok: false, error: { code, message } }`
 * with a matching HTTP status.
 */
export async function registerAgentApi(app: FastifyInstance, options: AgentApiOptions): Promise<void> {
  const { workspace, auth, logger, reuse } = options;

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
        const input = parseAgentPayload(agentReplyPayload, request.body);
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

      // Reuse review: harvested agent answers reach other visitors only once approved (docs/retrieval.md).
      api.get('/harvested-answers', async (request) => ({ ok: true, answers: await reuse.list(parseAgentPayload(harvestedQuery, request.query)) }));

      api.post('/harvested-answers/:id/approve', async (request) => {
        const { id } = parseAgentPayload(idParams, request.params);
        const input = parseAgentPayload(approvePayload, request.body);
        return { ok: true, answer: await reuse.approve(agentOf(request), id, input?.text) };
      });

      api.post('/harvested-answers/:id/reject', async (request) => {
        const { id } = parseAgentPayload(idParams, request.params);
        return { ok: true, answer: await reuse.reject(agentOf(request), id) };
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
        return { ok: true, agent: await auth.changeAgent(principal, id, changes) };
      });
    },
    { prefix: '/api/agent' },
  );
}

export interface AgentWorkspaceWiring {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  /** For `attachChatNamespace({ onVisitorMessage })`: visitor messages reach agents live. */
  onVisitorMessage(message: Message): void;
}

/**
 * Everything agents need, attached to a running HTTP server and Socket.IO server: the REST API
 * and the `/agent` namespace. `server.ts` calls this once.
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
  attachAgentNamespace(options.io, { workspace, auth, logger });
  await registerAgentApi(options.app, { workspace, auth, logger, reuse: new ReuseReview(new KnowledgeStore(options.prisma)) });
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

