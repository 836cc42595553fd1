import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { fastifyHelmet as helmet } from '@fastify/helmet';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ProxyTrust } from './client-address.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

/** The HTTP side: health, readiness and (later) the agent API and static pages. */
export async function createHttpServer(options: {
  logger: Logger;
  readiness: ReadinessCheck[];
  isShuttingDown: () => boolean;
  metrics: Metrics;
  /** METRICS_TOKEN: `/metrics` answers only `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** TRUST_PROXY: which peers' X-Forwarded-For / -Proto make `request.ip` and `request.protocol`. */
  trustProxy?: ProxyTrust | false;
}): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1_048_576, trustProxy: options.trustProxy ?? false });
  await app.register(helmet, { contentSecurityPolicy: false });
  // helmet's default CSP has `upgrade-insecure-requests`: served over plain HTTP on any host but
  // localhost, the pages then asked for their scripts over https and broke. Only a page that came
  // over HTTPS (directly, or through a trusted proxy's X-Forwarded-Proto) keeps its requests there.
  const directives = { defaultSrc: ["'self'"], connectSrc: ["'self'", 'ws:', 'wss:'], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] };
  const overHttps = helmet.contentSecurityPolicy({ directives: { ...directives, upgradeInsecureRequests: [] } });
  const overHttp = helmet.contentSecurityPolicy({ directives: { ...directives, upgradeInsecureRequests: null } });
  app.addHook('onRequest', (request, reply, done) => {
    (request.protocol === 'https' ? overHttps : overHttp)(request.raw, reply.raw, (error?: Error) => done(error));
  });

  // Liveness: the process runs and its event loop answers.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: every dependency answers; load balancers stop routing here otherwise.
  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async ({ name, check }) => [name, await check().catch(() => false)] as const),
    );
    const checks = Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'failing']));
    const ready = !options.isShuttingDown() && results.every(([, ok]) => ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', shuttingDown: options.isShuttingDown(), checks });
  });

  const metricsToken = options.metricsToken;
  if (metricsToken === undefined) {
    app.addHook('onListen', async () => {
      const address = app.server.address();
      if (typeof address === 'object' && address && !isLoopback(address.address)) {
        app.log.warn({ address: address.address }, '/metrics is open to everyone who can reach this port: set METRICS_TOKEN');
      }
    });
  }

  app.get('/metrics', async (request, reply) => {
    if (metricsToken !== undefined && !bearerMatches(request, metricsToken)) {
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="metrics"').send({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <METRICS_TOKEN>.' } });
    }
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  return app;
}

/** Compares digests, so the time taken says nothing about the token, not even its length. */
function bearerMatches(request: FastifyRequest, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
