// The catalogue editor's API, for admins: `/api/agent/catalogue/…` (Bearer token of an agent session,
// role admin). The intents, the bot's own texts and the knowledge documents as kept in Postgres
// (src/catalogue/live.ts): list and search, read, create or change, retire, history, restore (undo),
// a preview of the bot's answer with unsaved drafts, and a gated retraining on demand. Answers are
// `{ ok: true, … }` or `{ ok: false, error: { code, message, problems? } }`, as the rest of the agent API.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AgentAuth, AgentPrincipal } from '../agents/auth.ts';
import { CatalogueError } from '../catalogue/errors.ts';
import { withAnswers } from '../catalogue/edit.ts';
import { documentKind } from '../catalogue/folder.ts';
import { RevisionConflictError, type CatalogueRevisionView, type DocumentDraft, type LiveCatalogue, type StoredDocument } from '../catalogue/live.ts';
import type { Catalogue } from '../catalogue/types.ts';
import type { Preview } from '../dialogue/preview.ts';
import type { Logger } from '../observability/logger.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';
import { applyApiConventions, signedInAgent } from './api-conventions.ts';

const MAX_DOCUMENT_CHARS = 1_000_000;
const path = z.string().min(1).max(300);
const language = z.string().regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/);
const answers = z.record(language, z.array(z.string().max(1000)).min(1).max(20));
const answersPayload = z.object({ answers, baseRevision: z.number().int().min(1) }).strict();
const listQuery = z.object({ q: z.string().max(200).optional(), retired: z.enum(['true', 'false']).optional() });
const savePayload = z.object({ content: z.string().max(MAX_DOCUMENT_CHARS), baseRevision: z.number().int().min(0) }).strict();
const retireQuery = z.object({ baseRevision: z.coerce.number().int().min(1) });
const restorePayload = z.object({ revision: z.number().int().min(1) }).strict();
const previewPayload = z
  .object({
    text: z.string().trim().min(1).max(2000),
    language: z.string().regex(/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/).optional(),
    // `answers` (the console's answer fields) replace the answers of the draft's text.
    drafts: z.array(z.object({ path, content: z.string().max(MAX_DOCUMENT_CHARS).nullable(), answers: answers.optional() }).strict()).max(50).default([]),
  })
  .strict();

export interface RetrainOutcome {
  promoted: boolean;
  version: string;
  decision?: string | undefined;
  reasons?: string[] | undefined;
}

export interface CatalogueApiOptions {
  auth: AgentAuth;
  live: LiveCatalogue;
  /** How the bot would answer `text` with this catalogue (src/dialogue/preview.ts, with the live model). */
  preview: (input: { text: string; language?: string | undefined; catalogue: Catalogue }) => Promise<Preview>;
  /** The active model version and when it was trained; null before the first one. */
  activeModel: () => { name: string; trainedAt: Date } | null;
  /** One gated retraining turn on the current catalogue (`frontdesk train --gate`). */
  retrain: () => Promise<RetrainOutcome>;
  logger: Logger;
}

type RetrainingState =
  | { status: 'idle' }
  | { status: 'running'; startedAt: string; by: string }
  | { status: 'done'; startedAt: string; finishedAt: string; by: string; outcome: RetrainOutcome }
  | { status: 'failed'; startedAt: string; finishedAt: string; by: string; message: string };

function actorOf(principal: AgentPrincipal) {
  return { kind: 'agent', id: principal.id, name: principal.email } as const;
}

function translate(error: unknown): unknown {
  if (error instanceof CatalogueError) return new ProtocolError('CATALOGUE_INVALID', error.message, error.problems);
  if (error instanceof RevisionConflictError) return new ProtocolError('CONFLICT', error.message);
  if ((error as { code?: unknown }).code === 'RETRAIN_BUSY') return new ProtocolError('CONFLICT', 'Another retraining is running on this database: wait for it to finish.');
  return error;
}

function revisionView(revision: CatalogueRevisionView) {
  return { ...revision, at: revision.at.toISOString() };
}

/** A document's line in the list: what it is, and for an intent its name, label and counts. */
function summary(document: StoredDocument, catalogue: Catalogue) {
  const kind = documentKind(document.path);
  const name = kind === 'intent' ? document.path.replace(/\.ya?ml$/, '') : document.path;
  const intent = kind === 'intent' ? catalogue.get(name) : undefined;
  return {
    path: document.path,
    kind,
    name,
    retired: document.content === null,
    revision: document.revision,
    updatedAt: document.updatedAt.toISOString(),
    ...(intent
      ? { label: intent.label, description: intent.description, handoff: intent.handoff, examples: intent.examples.length, languages: Object.keys(intent.answers), action: intent.action?.name ?? null }
      : {}),
  };
}

export async function registerCatalogueApi(app: FastifyInstance, options: CatalogueApiOptions): Promise<void> {
  const { auth, live, logger } = options;
  let retraining: RetrainingState = { status: 'idle' };

  /** Whether examples changed after the active model was trained: it does not know them until a retraining. */
  const modelState = async () => {
    const model = options.activeModel();
    const change = await live.lastExamplesChange();
    return {
      version: model?.name ?? null,
      trainedAt: model?.trainedAt.toISOString() ?? null,
      stale: change !== null && (model === null || change.at > model.trainedAt),
      examplesChangedAt: change?.at.toISOString() ?? null,
      examplesChangedIn: change?.path ?? null,
      retraining,
    };
  };
  /** What a change answers: the new revision, and the model's state (an edit of examples makes it stale). */
  const changed = async (revision: CatalogueRevisionView) => ({ ok: true, revision: revisionView(revision), model: await modelState() });

  await app.register(
    async (api) => {
      applyApiConventions(api, { logger, name: 'catalogue API', translate });
      api.addHook('preHandler', async (request) => {
        request.agent = await signedInAgent(auth, request, 'Only admins edit the catalogue: its answers are what every visitor reads.');
      });
      const principalOf = (request: FastifyRequest) => request.agent!;
      const pathOf = (request: FastifyRequest) => parsePayload(path, (request.params as { '*': string })['*']);
      const existing = (request: FastifyRequest) => {
        const document = live.document(pathOf(request));
        if (!document) throw new ProtocolError('NOT_FOUND', 'The catalogue has no such document.');
        return document;
      };

      api.get('/', async (request) => {
        const query = parsePayload(listQuery, request.query);
        const needle = query.q?.trim().toLowerCase() ?? '';
        const documents = live
          .documents()
          .filter((document) => query.retired === 'true' || document.content !== null)
          .filter((document) => needle === '' || document.path.toLowerCase().includes(needle) || (document.content ?? '').toLowerCase().includes(needle))
          .map((document) => summary(document, live.catalogue));
        return { ok: true, documents, model: await modelState() };
      });

      api.get('/documents/*', async (request) => {
        const document = existing(request);
        const intent = documentKind(document.path) === 'intent' && document.content !== null ? live.catalogue.get(document.path.replace(/\.ya?ml$/, '')) : undefined;
        return { ok: true, document: { ...summary(document, live.catalogue), content: document.content, ...(intent ? { answers: intent.answers } : {}) } };
      });

      // Creates (baseRevision 0) or changes a document; the revision it was read at guards against overwriting another admin's change.
      api.put('/documents/*', async (request) => {
        const { content, baseRevision } = parsePayload(savePayload, request.body);
        const saved = await live.save(pathOf(request), content, baseRevision, actorOf(principalOf(request)));
        logger.info({ path: saved.path, revision: saved.revision, by: principalOf(request).id }, 'catalogue document saved');
        return changed(saved);
      });

      // The console's answer fields: an intent's `answers` replaced, the rest of its text kept as written.
      api.put('/answers/*', async (request) => {
        const { answers, baseRevision } = parsePayload(answersPayload, request.body);
        const document = existing(request);
        if (documentKind(document.path) !== 'intent' || document.content === null) throw new ProtocolError('INVALID_PAYLOAD', 'Only a live intent has answers.');
        const saved = await live.save(document.path, withAnswers(document.path, document.content, answers), baseRevision, actorOf(principalOf(request)));
        return changed(saved);
      });

      api.delete('/documents/*', async (request) => {
        const { baseRevision } = parsePayload(retireQuery, request.query);
        existing(request);
        const retired = await live.retire(pathOf(request), baseRevision, actorOf(principalOf(request)));
        return changed(retired);
      });

      api.get('/history/*', async (request) => {
        existing(request);
        return { ok: true, revisions: (await live.history(pathOf(request))).map(revisionView) };
      });

      // Undo: the document becomes what it was at `revision` (a new revision; the history keeps everything).
      api.post('/restore/*', async (request) => {
        const { revision } = parsePayload(restorePayload, request.body);
        existing(request);
        const restored = await live.restore(pathOf(request), revision, actorOf(principalOf(request)));
        return changed(restored);
      });

      api.post('/preview', async (request) => {
        const input = parsePayload(previewPayload, request.body);
        const drafts: DocumentDraft[] = input.drafts.map((draft) => ({
          path: draft.path,
          content: draft.answers && draft.content !== null ? withAnswers(draft.path, draft.content, draft.answers) : draft.content,
        }));
        const catalogue = live.draft(drafts);
        return { ok: true, preview: await options.preview({ text: input.text, language: input.language, catalogue }) };
      });

      api.get('/model', async () => ({ ok: true, model: await modelState() }));

      // `train --gate` on demand: trains on the catalogue as it is now, promoted only past the gate.
      api.post('/retrain', async (request, reply) => {
        if (retraining.status === 'running') throw new ProtocolError('CONFLICT', 'A retraining started here is running already.');
        const started = { startedAt: new Date().toISOString(), by: principalOf(request).email };
        retraining = { status: 'running', ...started };
        options.retrain().then(
          (outcome) => {
            retraining = { status: 'done', ...started, finishedAt: new Date().toISOString(), outcome };
          },
          (error: unknown) => {
            const known = translate(error);
            if (!(known instanceof ProtocolError)) logger.error({ err: error }, 'retraining on demand failed');
            retraining = { status: 'failed', ...started, finishedAt: new Date().toISOString(), message: known instanceof ProtocolError ? known.message : 'the retraining failed; see the server log' };
          },
        );
        return reply.code(202).send({ ok: true, model: await modelState() });
      });
    },
    { prefix: '/api/agent/catalogue' },
  );
}
