// The Discover tab's API, for admins: `/api/agent/discovery/…` (Bearer token of an agent session,
// role admin). Runs of intent discovery over the conversations in Postgres, and the review decisions
// on their clusters (src/discovery/review.ts). Answers are `{ ok: true, … }` or
// `{ ok: false, error: { code, message } }`, as the rest of the agent API.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { applyApiConventions, signedInAgent } from './api-conventions.ts';
import { z } from 'zod';
import type { AgentAuth, AgentPrincipal } from '../agents/auth.ts';
import { ReviewError, type DiscoveryReview } from '../discovery/review.ts';
import type { Logger } from '../observability/logger.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';

const runParams = z.object({ id: z.string().uuid() });
const clusterParams = z.object({ id: z.string().uuid(), cluster: z.string().regex(/^c\d{1,6}$/) });
const startPayload = z
  .object({
    k: z.number().int().min(2).max(1000).optional(),
    granularity: z.number().min(0.1).max(10).optional(),
    seed: z.number().int().min(0).max(2 ** 31).optional(),
    limit: z.number().int().min(1).max(10_000_000).optional(),
    languages: z.array(z.string().regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/)).max(20).optional(),
  })
  .strict();
const text = z.string().trim().min(1).max(1000);
const acceptPayload = z
  .object({
    name: z.string().min(1).max(64),
    label: z.string().trim().min(1).max(40),
    description: z.string().trim().max(1000).optional(),
    examples: z.array(text).min(1).max(200),
    answer: text,
  })
  .strict();
const addPayload = z.object({ intent: z.string().min(1).max(64) }).strict();
const mergePayload = z.object({ clusters: z.array(z.string().regex(/^c\d{1,6}$/)).min(2).max(20) }).strict();
const splitPayload = z.object({ parts: z.number().int().min(2).max(10).default(2) }).strict();
const movePayload = z.object({ from: z.string().regex(/^c\d{1,6}$/), to: z.string().regex(/^c\d{1,6}$/), examples: z.array(text).min(1).max(200) }).strict();


function reviewerOf(principal: AgentPrincipal) {
  return { id: principal.id, name: principal.email };
}

function translate(error: unknown): unknown {
  if (error instanceof ReviewError) return new ProtocolError(error.code, error.message);
  return error;
}

export async function registerDiscoveryApi(app: FastifyInstance, options: { auth: AgentAuth; review: DiscoveryReview; logger: Logger }): Promise<void> {
  const { auth, review, logger } = options;
  await app.register(
    async (api) => {
      applyApiConventions(api, { logger, name: 'discovery API', translate });
      api.addHook('preHandler', async (request) => {
        request.agent = await signedInAgent(auth, request, 'Only admins review discovered intents: accepting one changes the catalogue.');
      });
      const principalOf = (request: FastifyRequest) => request.agent!;

      api.get('/runs', async () => ({ ok: true, runs: await review.list() }));
      api.post('/runs', async (request, reply) => {
        const input = parsePayload(startPayload, request.body ?? {});
        const run = await review.start({ ...input, ...(input.languages ? { languages: input.languages } : {}) }, principalOf(request).email);
        logger.info({ run: run.id, by: principalOf(request).id }, 'intent discovery started');
        return reply.code(202).send({ ok: true, run: { id: run.id, status: run.status, createdAt: run.createdAt } });
      });
      api.get('/runs/:id', async (request) => {
        const { id } = parsePayload(runParams, request.params);
        return { ok: true, run: await review.get(id) };
      });
      api.post('/runs/:id/clusters/:cluster/accept', async (request) => {
        const { id, cluster } = parsePayload(clusterParams, request.params);
        const input = parsePayload(acceptPayload, request.body);
        return { ok: true, cluster: await review.accept(id, cluster, input, reviewerOf(principalOf(request))) };
      });
      api.post('/runs/:id/clusters/:cluster/add', async (request) => {
        const { id, cluster } = parsePayload(clusterParams, request.params);
        const { intent } = parsePayload(addPayload, request.body);
        return { ok: true, cluster: await review.addToIntent(id, cluster, intent, reviewerOf(principalOf(request))) };
      });
      api.post('/runs/:id/clusters/:cluster/noise', async (request) => {
        const { id, cluster } = parsePayload(clusterParams, request.params);
        return { ok: true, cluster: await review.markNoise(id, cluster, reviewerOf(principalOf(request))) };
      });
      api.post('/runs/:id/clusters/:cluster/split', async (request) => {
        const { id, cluster } = parsePayload(clusterParams, request.params);
        const { parts } = parsePayload(splitPayload, request.body ?? {});
        return { ok: true, clusters: await review.split(id, cluster, parts, reviewerOf(principalOf(request))) };
      });
      api.post('/runs/:id/merge', async (request) => {
        const { id } = parsePayload(runParams, request.params);
        const { clusters } = parsePayload(mergePayload, request.body);
        return { ok: true, cluster: await review.merge(id, clusters, reviewerOf(principalOf(request))) };
      });
      api.post('/runs/:id/move', async (request) => {
        const { id } = parsePayload(runParams, request.params);
        const { from, to, examples } = parsePayload(movePayload, request.body);
        return { ok: true, clusters: await review.move(id, from, to, examples) };
      });
    },
    { prefix: '/api/agent/discovery' },
  );
}
