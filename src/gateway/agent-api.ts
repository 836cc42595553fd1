import type { FastifyInstance, FastifyRequest } from 'fastify';
import { applyApiConventions, signedInAgent } from './api-conventions.ts';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { AgentPrincipal } from '../agents/auth.ts';
import { conversationFilters, uuid } from '../agents/payloads.ts';
import type { AgentServices } from '../agents/services.ts';
import type { ConversationAction } from '../agents/workspace.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';
import { reportCsv, reportFileName } from '../reports/csv.ts';
import { parseReportQuery } from '../reports/query.ts';
import { agentReplyPayload } from './agent-namespace.ts';
import { registerDataRightsRoutes } from './data-rights-api.ts';

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
export async function registerAgentApi(app: FastifyInstance, services: AgentServices, logger: Logger): Promise<void> {
  const { workspace, auth, admin, reuse, reports } = services;

  await app.register(
    async (api) => {
      applyApiConventions(api, { logger, name: 'agent API' });

      // Everything but login needs a valid session.
      api.addHook('preHandler', async (request) => {
        if (request.routeOptions.config && (request.routeOptions.config as { public?: boolean }).public) return;
        request.agent = await signedInAgent(auth, request);
      });

      api.post('/login', { config: { public: true } }, async (request) => {
        const input = parsePayload(loginPayload, request.body);
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
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, conversation: await workspace.transcript(id, agentOf(request)) };
      });

      api.post('/conversations/:id/messages', async (request, reply) => {
        const { id } = parsePayload(idParams, request.params);
        const input = parsePayload(agentReplyPayload, request.body);
        const { message, created } = await workspace.reply(agentOf(request), { conversationId: id, ...input });
        return reply.code(created ? 201 : 200).send({ ok: true, message, duplicate: !created });
      });

      api.post('/conversations/:id/review', async (request) => {
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, conversation: await workspace.markReviewed(agentOf(request), id) };
      });

      api.post('/conversations/:id/:action', async (request) => {
        const { id, action } = parsePayload(actionParams, request.params);
        const conversation = await workspace.act(agentOf(request), id, action.replace('-', '_') as ConversationAction);
        return { ok: true, conversation };
      });

      api.get('/intents', async () => ({ ok: true, intents: workspace.intents() }));

      api.put('/messages/:id/label', async (request) => {
        const { id } = parsePayload(idParams, request.params);
        const { intent } = parsePayload(labelPayload, request.body);
        return { ok: true, label: await workspace.correct(agentOf(request), id, intent) };
      });

      api.delete('/messages/:id/label', async (request) => {
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, removed: await workspace.removeCorrection(agentOf(request), id) };
      });

      api.get('/corrections', async (request) => {
        const { limit } = parsePayload(z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }), request.query);
        return { ok: true, corrections: await workspace.corrections(limit) };
      });

      // The labelled examples the next training run will use.
      api.get('/training-examples', async (request) => ({ ok: true, examples: await admin.actingAs(agentOf(request)).trainingExamples() }));

      // Reuse review: harvested agent answers reach other visitors only once approved (docs/retrieval.md).
      api.get('/harvested-answers', async (request) => ({ ok: true, answers: await reuse.list(parsePayload(harvestedQuery, request.query)) }));

      api.post('/harvested-answers/:id/approve', async (request) => {
        const { id } = parsePayload(idParams, request.params);
        const input = parsePayload(approvePayload, request.body);
        return { ok: true, answer: await reuse.approve(agentOf(request), id, input?.text) };
      });

      api.post('/harvested-answers/:id/reject', async (request) => {
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, answer: await reuse.reject(agentOf(request), id) };
      });

      // The desk's report over a time range (README, "Reports"); `format=csv` downloads it.
      api.get('/reports', async (request, reply) => {
        const query = parseReportQuery(request.query);
        const report = await reports.report(query);
        if (query.format === 'json') return { ok: true, report };
        return reply
          .type('text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="${reportFileName(report)}"`)
          .send(reportCsv(report));
      });

      api.get('/agents', async (request) => ({ ok: true, agents: await admin.actingAs(agentOf(request)).listAgents() }));

      api.post('/agents', async (request, reply) => {
        const principal = agentOf(request);
        const actions = admin.actingAs(principal);
        const agent = await actions.createAgent(parsePayload(newAgentPayload, request.body));
        logger.info({ agentId: agent.id, by: principal.id }, 'agent account created');
        return reply.code(201).send({ ok: true, agent });
      });

      api.patch('/agents/:id', async (request) => {
        const actions = admin.actingAs(agentOf(request));
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, agent: await actions.changeAgent(id, parsePayload(agentChanges, request.body)) };
      });

      // Admin: a visitor's data (find, export, erase) and the audit log.
      registerDataRightsRoutes(api, admin, agentOf);
    },
    { prefix: '/api/agent' },
  );
}

function agentOf(request: FastifyRequest): AgentPrincipal {
  if (!request.agent) throw new ProtocolError('UNAUTHORIZED', 'Sign in first.');
  return request.agent;
}
