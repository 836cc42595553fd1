import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../store/prisma.ts';
import { Prisma } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import { auditInsert, type AuditActor } from '../store/audit-store.ts';
import type { ModelVersion } from '../generated/prisma/client.ts';
import { PostgresArtifactStore, type ArtifactStore } from '../store/artifact-store.ts';
import type { Logger } from '../observability/logger.ts';
import { readArtifactDir } from './model-files.ts';

export type { ModelVersion };

/** Postgres channel on which promotions are announced to every server process. */
export const MODEL_CHANNEL = 'frontdesk_model_promoted';

export interface NewModelVersion {
  name: string;
  encoder: string;
  /** The folder the trainer wrote: its files are stored with the version. */
  artifactDir: string;
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

// A version's files move in the transaction that registers it, one 1 MiB statement at a time.
const REGISTER_TIMEOUT_MS = 10 * 60_000;

/** Model versions in Postgres: candidates, the one active version, and the retired ones, with their files. */
export class ModelRegistry {
  constructor(
    private readonly prisma: PrismaClient,
    readonly artifacts: ArtifactStore = new PostgresArtifactStore(prisma),
  ) {}

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

  /** Registers a version together with its files: no process ever sees a version it cannot fetch. */
  async register(version: NewModelVersion, status: 'candidate' | 'rejected' = 'candidate'): Promise<ModelVersion> {
    const { artifactDir, ...row } = version;
    const files = await readArtifactDir(artifactDir);
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const created = await tx.modelVersion.create({ data: { id: randomUUID(), status, ...row } });
        await this.artifacts.put(tx, created.id, files);
        return created;
      }, { timeout: REGISTER_TIMEOUT_MS }),
    );
  }

  /**
   * Stores the files of versions trained before artifacts moved to Postgres, where their folder
   * still exists on this machine (run at every server start; concurrent starts import each once).
   * Returns how many were imported.
   */
  async importLegacyArtifacts(logger: Logger): Promise<number> {
    const legacy = await guarded(() => this.prisma.modelVersion.findMany({ where: { legacyArtifactPath: { not: null } }, select: { id: true, name: true, legacyArtifactPath: true } }));
    let imported = 0;
    for (const version of legacy) {
      const files = await readArtifactDir(version.legacyArtifactPath!).catch(() => null);
      if (!files) {
        logger.info({ model: version.name, path: version.legacyArtifactPath }, 'the files of a model version from before artifacts moved to Postgres are not on this machine');
        continue;
      }
      const done = await guarded(() =>
        this.prisma.$transaction(async (tx) => {
          // The row lock makes a concurrent start wait here, then find nothing left to import.
          const { count } = await tx.modelVersion.updateMany({ where: { id: version.id, legacyArtifactPath: { not: null } }, data: { legacyArtifactPath: null } });
          if (count === 0) return false;
          await this.artifacts.put(tx, version.id, files);
          return true;
        }, { timeout: REGISTER_TIMEOUT_MS }),
      );
      if (done) {
        imported += 1;
        logger.info({ model: version.name, path: version.legacyArtifactPath }, 'model version files imported into Postgres');
      }
    }
    return imported;
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
