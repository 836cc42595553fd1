import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ActionClient, ActionDefinition } from '../actions/client.ts';
import { DEFAULT_ACTION_RETRIES, DEFAULT_ACTION_TIMEOUT_MS } from '../actions/client.ts';
import { actionRequestSchema } from '../actions/protocol.ts';
import { SIGNATURE_HEADER, verifySignature } from '../actions/signature.ts';
import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { IDEMPOTENT_SHOP_ACTIONS, ReferenceShop, SHOP_ACTIONS, isShopAction } from './shop.ts';
import { seedReferenceShop } from './seed.ts';

/** Larger than any action request the dialogue makes. */
const BODY_LIMIT_BYTES = 65_536;

/** The webhook is for this machine's bot only; the signature is checked as well. */
function fromThisMachine(request: FastifyRequest): boolean {
  const { remoteAddress, localAddress } = request.raw.socket;
  return remoteAddress === localAddress || remoteAddress === '::1' || /^(::ffff:)?127\./.test(remoteAddress ?? '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `POST /shop/actions/:action`: verifies the signature over the body's exact bytes, then answers
 * with the reference shop's response (401 forged or stale, 400 malformed, 404 no such action).
 */
export async function registerShopWebhook(http: FastifyInstance, options: { shop: ReferenceShop; secret: string; logger: Logger }): Promise<void> {
  await http.register(async (scope) => {
    // The signature covers the body as sent: keep it as a string, parse it only once it is verified.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { action: string }; Body: string }>('/shop/actions/:action', async (request, reply) => {
      const { action } = request.params;
      if (!fromThisMachine(request) || !isShopAction(action)) return reply.code(404).send({ error: 'not_found' });
      const signature = verifySignature({ header: request.headers[SIGNATURE_HEADER], body: request.body, secret: options.secret });
      if (!signature.valid) {
        options.logger.warn({ action, reason: signature.reason }, 'reference shop refused a request with a bad signature');
        return reply.code(401).send({ error: 'invalid_signature' });
      }
      const parsed = actionRequestSchema.safeParse(parseJson(request.body));
      if (!parsed.success || parsed.data.action !== action) return reply.code(400).send({ error: 'invalid_request' });
      return reply.send(await options.shop.handle(action, parsed.data));
    });
  });
}

/** The reference shop's actions as the action client calls them, on this server's own port. */
export function shopActionDefinitions(serverUrl: string, secret: string): Record<string, ActionDefinition> {
  const base = new URL(serverUrl);
  // A server listening on every address is reached over the loopback.
  if (base.hostname === '0.0.0.0') base.hostname = '127.0.0.1';
  if (base.hostname === '[::]') base.hostname = '[::1]';
  return Object.fromEntries(SHOP_ACTIONS.map((action) => [action, {
    url: new URL(`/shop/actions/${action}`, base).href,
    secret,
    idempotent: IDEMPOTENT_SHOP_ACTIONS.has(action),
    timeoutMs: DEFAULT_ACTION_TIMEOUT_MS,
    retries: DEFAULT_ACTION_RETRIES,
  }]));
}

/**
 * Starts the reference shop inside this server: demo data, the webhook, and (once the server
 * listens) the actions it answers, unless the configuration points them at a real shop.
 */
export async function mountReferenceShop(http: FastifyInstance, prisma: PrismaClient, logger: Logger): Promise<{ defineActions(client: ActionClient, serverUrl: string): void }> {
  await seedReferenceShop(prisma);
  // Only this process calls its own shop, so a secret of its own is enough.
  const secret = randomBytes(32).toString('hex');
  await registerShopWebhook(http, { shop: new ReferenceShop(prisma), secret, logger });
  return {
    defineActions(client, serverUrl) {
      for (const [name, definition] of Object.entries(shopActionDefinitions(serverUrl, secret))) {
        if (!client.has(name)) client.define(name, definition);
      }
    },
  };
}
