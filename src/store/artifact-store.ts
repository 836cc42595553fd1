import type { Prisma, PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';

/** One file of a model version's folder: its path inside the folder ('/'-separated), sha256 (hex) and size. */
export interface ArtifactFile {
  path: string;
  sha256: string;
  size: number;
}

/**
 * Where model versions' files live, so that any process can get a version it has not got on its
 * own disk. Postgres by default (PostgresArtifactStore); an object store (S3 …) implements the same
 * three calls, with the files of a version under its id.
 */
export interface ArtifactStore {
  /**
   * Stores a version's files. Called inside `tx`, the transaction that registers the version, so
   * that a registered version always has them; a store outside Postgres uploads before the commit
   * (a failed registration then leaves objects that no version names).
   */
  put(tx: Prisma.TransactionClient, versionId: string, files: ReadonlyArray<ArtifactFile & { bytes: Uint8Array }>): Promise<void>;
  /** The files of a version (empty when it has none). */
  files(versionId: string): Promise<ArtifactFile[]>;
  /** One file's bytes, in order, in pieces of bounded size. */
  read(versionId: string, path: string): AsyncIterable<Uint8Array>;
}

/** Largest piece of a file in one row and one statement. */
export const ARTIFACT_PART_BYTES = 1024 * 1024;

/** Files in "ModelArtifact", their bytes in 1 MiB rows of "ModelArtifactPart". */
export class PostgresArtifactStore implements ArtifactStore {
  constructor(private readonly prisma: PrismaClient) {}

  async put(tx: Prisma.TransactionClient, versionId: string, files: ReadonlyArray<ArtifactFile & { bytes: Uint8Array }>): Promise<void> {
    for (const file of files) {
      await tx.modelArtifact.create({ data: { modelVersionId: versionId, path: file.path, sha256: file.sha256, size: file.size } });
      // An empty file has no parts.
      for (let seq = 0; seq * ARTIFACT_PART_BYTES < file.bytes.byteLength; seq++) {
        const bytes = file.bytes.subarray(seq * ARTIFACT_PART_BYTES, (seq + 1) * ARTIFACT_PART_BYTES);
        await tx.$executeRaw`INSERT INTO "ModelArtifactPart" ("modelVersionId", path, seq, bytes) VALUES (${versionId}::uuid, ${file.path}, ${seq}, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)})`;
      }
    }
  }

  async files(versionId: string): Promise<ArtifactFile[]> {
    const rows = await guarded(() => this.prisma.modelArtifact.findMany({ where: { modelVersionId: versionId }, orderBy: { path: 'asc' } }));
    return rows.map((row) => ({ path: row.path, sha256: row.sha256, size: Number(row.size) }));
  }

  async *read(versionId: string, path: string): AsyncIterable<Uint8Array> {
    // One part per statement: memory and statement time stay bounded whatever the file's size.
    for (let seq = 0; ; seq++) {
      const rows = await guarded(() =>
        this.prisma.$queryRaw<Array<{ bytes: Uint8Array }>>`SELECT bytes FROM "ModelArtifactPart" WHERE "modelVersionId" = ${versionId}::uuid AND path = ${path} AND seq = ${seq}`,
      );
      if (!rows[0]) return;
      yield rows[0].bytes;
    }
  }
}
