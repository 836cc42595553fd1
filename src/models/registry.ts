import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../store/prisma.ts';
import { Prisma } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import { auditInsert, type AuditActor } from '../store/audit-store.ts';
import type { ModelVersion } from '../generated/prisma/client.ts';

export type { ModelVersion };

/** Postgres channel on which promotions are announced to every server process. */
export const MODEL_CHANNEL = 'frontdesk_model_promoted';

export interface NewModelVersion {
  name: string;
  encoder: string;
  artifactPath: string;
  metrics: Prisma.InputJsonValue;
  thresholds: Prisma.InputJsonValue;
  report?: Prisma.InputJsonValue;
}

export class UnknownModelError extends Error {
  readonly code = 'UNKNOWN_MODEL';
  constructor(reference: string) {
    super(`No model version "${reference}"`);
  }
}

/** Model versions in Postgres: candidates, the one active version, and the retired ones. */
export class ModelRegistry {
  constructor(private readonly prisma: PrismaClient) {}

  active(): Promise<ModelVersion | null> {
    return guarded(() => this.prisma.modelVersion.findFirst({ where: { status: 'active' }, orderBy: { promotedAt: 'desc' } }));
  }

  list(): Promise<ModelVersion[]> {
    return guarded(() => this.prisma.modelVersion.findMany({ orderBy: { createdAt: 'desc' } }));
  }

  async find(reference: string): Promise<ModelVersion> {
    const version = await guarded(() =>
      this.prisma.modelVersion.findFirst({ where: { OR: [{ name: reference }, ...(isUuid(reference) ? [{ id: reference }] : [])] } }),
    );
    if (!version) throw new UnknownModelError(reference);
    return version;
  }

  register(version: NewModelVersion, status: 'candidate' | 'rejected' = 'candidate'): Promise<ModelVersion> {
    return guarded(() => this.prisma.modelVersion.create({ data: { id: randomUUID(), status, ...version } }));
  }

  /**
   * Makes a version the active one: the previous active version is retired in the same transaction,
   * every server process is told through LISTEN/NOTIFY, and the audit log records who did it (the
   * server itself unless told otherwise) and whether it was a rollback.
   */
  async promote(reference: string, audit: { actor?: AuditActor; action?: 'model.promote' | 'model.rollback' } = {}): Promise<ModelVersion> {
    const target = await this.find(reference);
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const previous = await tx.modelVersion.findFirst({ where: { status: 'active', id: { not: target.id } }, orderBy: { promotedAt: 'desc' }, select: { name: true } });
        await tx.modelVersion.updateMany({ where: { status: 'active', id: { not: target.id } }, data: { status: 'retired' } });
        const promoted = await tx.modelVersion.update({ where: { id: target.id }, data: { status: 'active', promotedAt: new Date() } });
        await tx.$executeRaw(auditInsert({
          actor: audit.actor ?? { kind: 'system', name: 'frontdesk' },
          action: audit.action ?? 'model.promote',
          target: { kind: 'model_version', id: promoted.id },
          details: { name: promoted.name, previous: previous?.name ?? null },
        }));
        await tx.$executeRaw`SELECT pg_notify(${MODEL_CHANNEL}, ${promoted.id})`;
        return promoted;
      }),
    );
  }
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
