import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgentAdmin } from '../agents/admin.ts';
import type { AgentPrincipal } from '../agents/auth.ts';
import { auditQuery } from '../agents/payloads.ts';
import { visitorFinderPayload } from '../privacy/data-rights.ts';
import { parsePayload } from '../protocol/payloads.ts';

/**
 * The admin's data-rights and audit routes of the agent API (docs/agents.md): registered inside its
 * plugin, so they share its authentication, errors and headers. Everything here is admin only
 * (FORBIDDEN otherwise, before the request is read).
 */
export function registerDataRightsRoutes(api: FastifyInstance, admin: AgentAdmin, agentOf: (request: FastifyRequest) => AgentPrincipal): void {
  const actingAdmin = (request: FastifyRequest) => admin.actingAs(agentOf(request));

  // ?email= | customerId= | conversationId= | visitorId= (exactly one)
  api.get('/visitors', async (request) => {
    const actions = actingAdmin(request);
    return { ok: true, visitors: await actions.findVisitors(parsePayload(visitorFinderPayload, request.query)) };
  });

  api.get('/visitors/export', async (request) => {
    const actions = actingAdmin(request);
    return { ok: true, export: await actions.exportVisitors(parsePayload(visitorFinderPayload, request.query)) };
  });

  api.post('/visitors/erase', async (request) => {
    const actions = actingAdmin(request);
    const { conversationIds: _conversationIds, ...erased } = await actions.eraseVisitors(parsePayload(visitorFinderPayload, request.body));
    return { ok: true, erased };
  });

  api.get('/audit', async (request) => {
    const actions = actingAdmin(request);
    // `actions`: every action the log records, to filter on.
    return { ok: true, ...(await actions.auditLog(parsePayload(auditQuery, request.query))), actions: auditQuery.shape.action.unwrap().options };
  });
}
