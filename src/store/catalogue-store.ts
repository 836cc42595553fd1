import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';
import { auditInsert, type AuditActor } from './audit-store.ts';

/** Postgres NOTIFY channel: catalogue documents changed (payload: the newest revision's `seq`). */
export const CATALOGUE_CHANNEL = 'frontdesk_catalogue_changed';

/** One transaction-level advisory lock serialises every change: each is validated against the catalogue it replaces. */
const CATALOGUE_LOCK_KEY = 7_404_120_119;

export type CatalogueChangeKind = 'seed' | 'import' | 'create' | 'update' | 'retire' | 'restore';

/** A file of the catalogue as it is now; `content` null: retired. */
export interface StoredDocument {
  path: string;
  content: string | null;
  revision: number;
  updatedAt: Date;
}

export interface CatalogueRevisionView {
  path: string;
  revision: number;
  change: CatalogueChangeKind;
  content: string | null;
  previous: string | null;
  examplesChanged: boolean;
  actor: { kind: AuditActor['kind']; id: string | null; name: string };
  at: Date;
}

/** One document's change, as a plan decides it from the current documents. */
export interface PlannedChange {
  path: string;
  content: string | null;
  change: CatalogueChangeKind;
  examplesChanged: boolean;
}

/** A change was based on a revision that is not the current one any more (someone saved in between). */
export class RevisionConflictError extends Error {
  readonly code = 'CONFLICT' as const;
  constructor(readonly path: string, readonly current: number) {
    super(`${path} was changed meanwhile (now at revision ${current}): reload it and apply your change again`);
    this.name = 'RevisionConflictError';
  }
}

/**
 * The catalogue's files in Postgres with their whole history (issue 19): `CatalogueDocument` holds
 * each file as it is now, `CatalogueRevision` every change (append-only) with who, when, the text
 * after and before. The store does not know the catalogue's rules: a change's plan (in
 * src/catalogue/live.ts) validates it against the current documents inside the locked transaction.
 */
export class CatalogueStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Every document, retired ones included, and the newest revision's `seq` (0 for none). */
  async documents(): Promise<{ seq: bigint; documents: StoredDocument[] }> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const documents = await tx.catalogueDocument.findMany({ orderBy: { path: 'asc' } });
        const newest = await tx.catalogueRevision.aggregate({ _max: { seq: true } });
        return { seq: newest._max.seq ?? 0n, documents };
      }, { isolationLevel: 'RepeatableRead' }),
    );
  }

  /** The newest revision's `seq` (0 for none): whether a process's copy is behind. */
  async latestSeq(): Promise<bigint> {
    return guarded(async () => (await this.prisma.catalogueRevision.aggregate({ _max: { seq: true } }))._max.seq ?? 0n);
  }

  /**
   * Applies what `plan` decides from the current documents (all of them, retired ones included), one
   * change at a time across every process: new revisions, the audit log's `catalogue.edit` events,
   * and a NOTIFY to every server. `plan` throws to refuse; it returns [] to change nothing.
   */
  async change(actor: AuditActor, plan: (current: ReadonlyMap<string, StoredDocument>) => PlannedChange[]): Promise<CatalogueRevisionView[]> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CATALOGUE_LOCK_KEY}::bigint)`;
        const rows = await tx.catalogueDocument.findMany();
        const current = new Map(rows.map((row) => [row.path, row]));
        const changes = plan(current);
        const at = new Date();
        const views: CatalogueRevisionView[] = [];
        for (const change of changes) {
          const before = current.get(change.path);
          const revision = (before?.revision ?? 0) + 1;
          await tx.catalogueDocument.upsert({
            where: { path: change.path },
            create: { path: change.path, content: change.content, revision, updatedAt: at },
            update: { content: change.content, revision, updatedAt: at },
          });
          const view: CatalogueRevisionView = {
            path: change.path,
            revision,
            change: change.change,
            content: change.content,
            previous: before?.content ?? null,
            examplesChanged: change.examplesChanged,
            actor: { kind: actor.kind, id: actor.kind === 'agent' ? actor.id : null, name: actor.name },
            at,
          };
          await tx.catalogueRevision.create({
            data: {
              id: randomUUID(), path: view.path, revision, change: view.change, content: view.content, previous: view.previous,
              examplesChanged: view.examplesChanged, actorKind: view.actor.kind, actorId: view.actor.id, actorName: view.actor.name, createdAt: at,
            },
          });
          views.push(view);
        }
        if (views.length === 0) return views;
        // The seed and an import are one event each; an editor's change names its document.
        const bulk = changes.length > 1 || changes[0]!.change === 'seed' || changes[0]!.change === 'import';
        await tx.$executeRaw(auditInsert({
          actor,
          action: 'catalogue.edit',
          target: bulk ? { kind: 'catalogue', id: changes[0]!.change } : { kind: 'catalogue_document', id: views[0]!.path },
          details: bulk
            ? { change: changes[0]!.change, documents: views.length, examplesChanged: views.filter((view) => view.examplesChanged).length }
            : { change: views[0]!.change, revision: views[0]!.revision, examplesChanged: views[0]!.examplesChanged },
        }));
        const newest = await tx.catalogueRevision.aggregate({ _max: { seq: true } });
        await tx.$executeRaw`SELECT pg_notify(${CATALOGUE_CHANNEL}, ${String(newest._max.seq ?? 0n)})`;
        return views;
      }, { timeout: 60_000 }),
    );
  }

  /** A document's revisions, newest first. */
  async history(path: string, limit = 50): Promise<CatalogueRevisionView[]> {
    const rows = await guarded(() => this.prisma.catalogueRevision.findMany({ where: { path }, orderBy: { revision: 'desc' }, take: limit }));
    return rows.map((row) => ({
      path: row.path,
      revision: row.revision,
      change: row.change as CatalogueChangeKind,
      content: row.content,
      previous: row.previous,
      examplesChanged: row.examplesChanged,
      actor: { kind: row.actorKind as AuditActor['kind'], id: row.actorId, name: row.actorName },
      at: row.createdAt,
    }));
  }

  /** One revision of a document, or null. */
  async revision(path: string, revision: number): Promise<{ content: string | null } | null> {
    return guarded(() => this.prisma.catalogueRevision.findUnique({ where: { path_revision: { path, revision } }, select: { content: true } }));
  }

  /** The newest change of examples (an intent's, the out-of-scope ones, an intent added or retired), or null. */
  async lastExamplesChange(): Promise<{ path: string; at: Date } | null> {
    const row = await guarded(() =>
      this.prisma.catalogueRevision.findFirst({ where: { examplesChanged: true }, orderBy: { seq: 'desc' }, select: { path: true, createdAt: true } }),
    );
    return row && { path: row.path, at: row.createdAt };
  }
}
