import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'socket.io';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { AgentAuth, AgentPrincipal } from '../agents/auth.ts';
import type { AgentWorkspace } from '../agents/workspace.ts';
import { cannedReplyChanges, cannedReplyPayload, notePayload, type AgentTools } from '../agents/agent-tools.ts';
import { uuid } from '../agents/payloads.ts';
import { tooLarge, type Attachments } from '../attachments/attachments.ts';
import { ProtocolError, errorBody, httpStatus, toErrorBody } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';
import { bearer, signedInAgent } from './api-conventions.ts';
import { watchRoom } from './agent-namespace.ts';
import { isOriginAllowed } from './origins.ts';
import { conversationRoom } from './visitor-delivery.ts';
import type { VisitorTokens } from './visitor-token.ts';

export interface AgentToolsRoutesOptions {
  io: Server;
  auth: AgentAuth;
  workspace: AgentWorkspace;
  tools: AgentTools;
  attachments: Attachments;
  tokens: VisitorTokens;
  /** ALLOWED_ORIGINS: the sites whose widget may upload (CORS of `/api/chat`). */
  allowedOrigins: readonly string[] | undefined;
  logger: Logger;
}

const idParams = z.object({ id: uuid });
const shortcutParams = z.object({ id: uuid, shortcut: z.string().min(1).max(64) });

/**
 * Agents' tools over HTTP (README, "Agents' tools"): canned replies, notes and attachments under
 * `/api/agent`, a visitor's attachments under `/api/chat` (the visitor token as Bearer), and the
 * files themselves at signed `/attachments/<id>` URLs. What agents and visitors must see at once goes
 * out on the `/agent` (`note`, `attachment`) and `/chat` (`attachment`) namespaces.
 */
export async function registerAgentToolsRoutes(app: FastifyInstance, options: AgentToolsRoutesOptions): Promise<void> {
  const { io, auth, workspace, tools, attachments, tokens, logger } = options;

  tools.on('note', (note) => io.of('/agent').to(watchRoom(note.conversationId)).emit('note', note));
  attachments.on('added', (attachment) => {
    io.of('/agent').to(watchRoom(attachment.conversationId)).emit('attachment', attachment);
    io.of('/chat').to(conversationRoom(attachment.conversationId)).emit('attachment', attachment);
    // New activity: the queue entry and the summary change.
    workspace.emit('changed', attachment.conversationId);
  });

  const agentOf = (request: FastifyRequest): Promise<AgentPrincipal> => signedInAgent(auth, request);

  // JSON routes of agents.
  await app.register(
    async (api) => {
      jsonConventions(api, logger);

      api.get('/canned-replies', async (request) => ({ ok: true, cannedReplies: await tools.cannedReplies(await agentOf(request)) }));

      api.post('/canned-replies', async (request, reply) => {
        const principal = await agentOf(request);
        const cannedReply = await tools.createCannedReply(principal, parsePayload(cannedReplyPayload, request.body));
        return reply.code(201).send({ ok: true, cannedReply });
      });

      api.patch('/canned-replies/:id', async (request) => {
        const principal = await agentOf(request);
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, cannedReply: await tools.changeCannedReply(principal, id, parsePayload(cannedReplyChanges, request.body)) };
      });

      api.delete('/canned-replies/:id', async (request) => {
        const principal = await agentOf(request);
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, removed: await tools.deleteCannedReply(principal, id) };
      });

      // The canned reply filled in for this conversation: the console puts it in the reply box.
      api.get('/conversations/:id/canned-replies/:shortcut', async (request) => {
        const principal = await agentOf(request);
        const { id, shortcut } = parsePayload(shortcutParams, request.params);
        return { ok: true, ...(await tools.render(principal, id, shortcut)) };
      });

      api.get('/conversations/:id/notes', async (request) => {
        await agentOf(request);
        const { id } = parsePayload(idParams, request.params);
        return { ok: true, notes: await tools.notes(id) };
      });

      api.post('/conversations/:id/notes', async (request, reply) => {
        const principal = await agentOf(request);
        const { id } = parsePayload(idParams, request.params);
        const { text } = parsePayload(notePayload, request.body);
        return reply.code(201).send({ ok: true, note: await tools.addNote(principal, id, text) });
      });

      api.get('/conversations/:id/attachments', async (request) => {
        await agentOf(request);
        const { id } = parsePayload(idParams, request.params);
        await workspace.summary(id); // NOT_FOUND for an unknown conversation
        return { ok: true, attachments: await attachments.list(id) };
      });
    },
    { prefix: '/api/agent' },
  );

  // Uploads: the raw bytes as the body (any Content-Type; the type is checked from the content).
  await app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: attachments.maxBytes }, (_request, body, done) => done(null, body));
    // A body over the limit is refused while it arrives, as ATTACHMENT_TOO_LARGE.
    api.setErrorHandler(errorHandler(logger, (error) => ((error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooLarge(attachments.maxBytes) : error)));
    const uploadOptions = { bodyLimit: attachments.maxBytes };

    // An agent's file to the visitor: like a reply, only from the agent holding the conversation.
    api.post('/api/agent/conversations/:id/attachments', uploadOptions, async (request, reply) => {
      const principal = await agentOf(request);
      const { id } = parsePayload(idParams, request.params);
      const summary = await workspace.summary(id);
      if (summary.status !== 'agent' || summary.assignee?.id !== principal.id) {
        throw new ProtocolError('NOT_ASSIGNEE', 'Only the agent holding the conversation sends files in it; take it over first.');
      }
      const attachment = await attachments.add({ conversationId: id, role: 'agent', agent: { id: principal.id, name: principal.name }, fileName: fileNameOf(request), bytes: bodyOf(request) });
      await tools.recordAttachment(principal, id, attachment.id);
      return reply.code(201).send({ ok: true, attachment });
    });

    // A visitor's file: their visitor token as Bearer; the conversation must be theirs (it exists once they wrote).
    const perVisitor = new RateLimiterMemory({ points: 10, duration: 60 });
    api.post('/api/chat/conversations/:id/attachments', uploadOptions, async (request, reply) => {
      cors(request, reply);
      const { id } = parsePayload(idParams, request.params);
      const visitorId = await visitorOf(request, id);
      await perVisitor.consume(visitorId).catch(() => {
        throw new ProtocolError('RATE_LIMITED', 'Too many files; wait a minute.');
      });
      const attachment = await attachments.add({ conversationId: id, role: 'visitor', agent: null, fileName: fileNameOf(request), bytes: bodyOf(request) });
      return reply.code(201).send({ ok: true, attachment });
    });
  });

  // A visitor's list (JSON) and CORS preflights of /api/chat.
  await app.register(
    async (api) => {
      jsonConventions(api, logger);
      api.get('/conversations/:id/attachments', async (request, reply) => {
        cors(request, reply);
        const { id } = parsePayload(idParams, request.params);
        await visitorOf(request, id);
        return { ok: true, attachments: await attachments.list(id) };
      });
      api.options('/*', async (request, reply) => {
        if (!cors(request, reply)) return reply.code(403).send(errorBody('FORBIDDEN', 'This origin may not call the chat API.'));
        return reply
          .header('Access-Control-Allow-Methods', 'GET, POST')
          .header('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-File-Name')
          .header('Access-Control-Max-Age', '600')
          .code(204)
          .send();
      });
    },
    { prefix: '/api/chat' },
  );

  // The files: only through a signed URL, handed to the conversation's visitor and to signed-in agents.
  app.get('/attachments/:id', async (request, reply) => {
    const { id } = parsePayload(z.object({ id: z.string().max(64) }), request.params);
    const query = parsePayload(z.object({ exp: z.string().max(20).default(''), sig: z.string().max(100).default('') }), request.query ?? {});
    const file = await attachments.open(id.toLowerCase(), query.exp, query.sig).catch(() => null);
    reply.header('Cache-Control', 'private, max-age=3600').header('X-Content-Type-Options', 'nosniff');
    if (!file) return reply.code(404).header('Cache-Control', 'no-store').send(errorBody('NOT_FOUND', 'No such file, or the link expired.'));
    return reply
      .type(file.contentType)
      .header('Content-Disposition', contentDisposition(file.image ? 'inline' : 'attachment', file.fileName))
      // Nothing in it runs, and the widget on another site may show it.
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .send(file.bytes);
  });

  /** The visitor the Bearer visitor token names, when the conversation is theirs. */
  async function visitorOf(request: FastifyRequest, conversationId: string): Promise<string> {
    const claims = tokens.verify(bearer(request) ?? '');
    if (!claims) throw new ProtocolError('INVALID_TOKEN', 'Send the visitor token as Authorization: Bearer <visitorToken>.');
    if (!(await attachments.visitorOwns(conversationId, claims.visitorId, claims.generation))) {
      throw new ProtocolError('UNKNOWN_CONVERSATION', 'No such conversation for this visitor (it exists once the visitor has written).');
    }
    return claims.visitorId;
  }

  /** CORS for the widget on an allowed site; false when the origin is not allowed. */
  function cors(request: FastifyRequest, reply: FastifyReply): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    if (!isOriginAllowed(origin, request.headers.host, options.allowedOrigins)) return false;
    reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
    return true;
  }
}

/**
 * As applyApiConventions (never cached, `{ ok: false, error }` with the code's status), without its
 * not-found handler: `/api/agent` has one already (agent-api.ts), and a prefix takes only one.
 */
function jsonConventions(api: FastifyInstance, logger: Logger): void {
  api.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Cache-Control', 'no-store');
    return payload;
  });
  api.setErrorHandler(errorHandler(logger));
}

/** `{ ok: false, error }` with the code's status; Fastify's own refusals (malformed JSON, …) are bad payloads. */
function errorHandler(logger: Logger, translate: (error: unknown) => unknown = (error) => error) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const translated = translate(error);
    const code = (translated as { code?: unknown }).code;
    const body = toErrorBody(typeof code === 'string' && code.startsWith('FST_ERR') ? new ProtocolError('INVALID_PAYLOAD', `The request was refused: ${(translated as Error).message.slice(0, 200)}`) : translated);
    const status = httpStatus(body.error.code);
    if (status === 500) logger.error({ err: error, url: request.url }, 'agent tools request failed');
    if (status === 401) reply.header('WWW-Authenticate', 'Bearer realm="frontdesk-agent"');
    return reply.code(status).header('Cache-Control', 'no-store').send(body);
  };
}

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** `X-File-Name`, URL-encoded by the client (headers are ASCII). */
function fileNameOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-file-name'];
  if (typeof header !== 'string') return undefined;
  try {
    return decodeURIComponent(header).slice(0, 255);
  } catch {
    return undefined;
  }
}

function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
