// A visitor's data rights: find them, hand them everything stored about them, erase it. The admin API
// and console (through AgentAdmin) and `frontdesk visitors` call this; who may is decided there.
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { AuditStore, type AuditActor } from '../store/audit-store.ts';
import { DataRightsStore, VISITOR_ERASED_CHANNEL, type ErasureCounts, type FinderKind, type VisitorExport, type VisitorFinder, type VisitorMatch } from '../store/data-rights-store.ts';
import { listen, type Subscription } from '../store/notifications.ts';

export type { ErasureCounts, FinderKind, VisitorExport, VisitorFinder, VisitorMatch };

const FINDER_KINDS = ['email', 'customerId', 'conversationId', 'visitorId'] as const satisfies readonly FinderKind[];
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID').transform((id) => id.toLowerCase());

/**
 * Exactly one of `email`, `customerId`, `conversationId`, `visitorId`: the query string of
 * `GET /api/agent/visitors`, the body of `POST /api/agent/visitors/erase`, the CLI's options.
 */
export const visitorFinderPayload = z
  .object({
    email: z.string().trim().min(3).max(254).regex(/^[^\s@]+@[^\s@]+$/, 'must be an e-mail address'),
    customerId: z.string().trim().min(1).max(256),
    conversationId: uuid,
    visitorId: uuid,
  })
  .partial()
  .transform((fields, context): VisitorFinder => {
    const given = FINDER_KINDS.filter((kind) => fields[kind] !== undefined);
    if (given.length !== 1) {
      context.addIssue({ code: 'custom', message: `give exactly one of ${FINDER_KINDS.join(', ')}` });
      return z.NEVER;
    }
    const kind = given[0]!;
    return { kind, value: fields[kind]! };
  });

/** No visitor matches the finder: nothing was exported or erased. */
export class NoVisitorFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor() {
    super('No visitor matches.');
  }
}

export interface DataExport {
  exportedAt: string;
  /** How the visitors were found (never the value searched for, which the audit log does not keep either). */
  finder: FinderKind;
  visitors: VisitorExport[];
}

export type Erasure = ErasureCounts & { visitorIds: string[]; conversationIds: string[] };

/**
 * Finding, exporting and erasing a visitor's data. An export and an erasure cover every visitor the
 * finder matches (a customer who chatted from two devices is two visitors), and each writes an audit
 * event naming the visitors by id and how they were found, never the e-mail or customer id searched for.
 */
export class DataRights {
  private readonly store: DataRightsStore;
  private readonly audit: AuditStore;

  constructor(prisma: PrismaClient) {
    this.store = new DataRightsStore(prisma);
    this.audit = new AuditStore(prisma);
  }

  find(finder: VisitorFinder): Promise<VisitorMatch[]> {
    return this.store.findVisitors(finder);
  }

  async export(finder: VisitorFinder, actor: AuditActor): Promise<DataExport> {
    const visitorIds = await this.matching(finder);
    const visitors = await this.store.exportVisitors(visitorIds);
    await this.audit.record({
      actor,
      action: 'visitor.export',
      target: targetOf(visitorIds),
      details: { finder: finder.kind, visitorIds, conversations: visitors.reduce((sum, visitor) => sum + visitor.conversations.length, 0) },
    });
    return { exportedAt: new Date().toISOString(), finder: finder.kind, visitors };
  }

  async erase(finder: VisitorFinder, actor: AuditActor): Promise<Erasure> {
    const visitorIds = await this.matching(finder);
    const erased = await this.store.eraseVisitors(visitorIds, { actor, action: 'visitor.erase', target: targetOf(visitorIds), details: { finder: finder.kind, visitorIds } });
    return { ...erased, visitorIds };
  }

  private async matching(finder: VisitorFinder): Promise<string[]> {
    const matches = await this.store.findVisitors(finder);
    if (matches.length === 0) throw new NoVisitorFoundError();
    return matches.map((match) => match.id);
  }
}

function targetOf(visitorIds: string[]): { kind: string; id: string } | null {
  return visitorIds.length === 1 ? { kind: 'visitor', id: visitorIds[0]! } : null;
}

/**
 * Follows erasures made by any process or CLI (NOTIFY on VISITOR_ERASED_CHANNEL): `onErased` closes
 * the visitor's connections to this process. Tokens are revoked in the erasing transaction, so a
 * notification lost while the listener reconnects leaves at most a connection that can write nothing.
 */
export function followErasures(options: { databaseUrl: string; logger: Logger; onErased: (visitorId: string) => void }): Promise<Subscription> {
  return listen({
    databaseUrl: options.databaseUrl,
    channel: VISITOR_ERASED_CHANNEL,
    logger: options.logger,
    onNotification: (visitorId) => options.onErased(visitorId),
    onReconnect: () => options.logger.info('following visitor erasures again'),
  });
}
