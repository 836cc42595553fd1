import type { PrismaClient } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';

/**
 * Where attachments' bytes live. Postgres by default (PostgresBlobStore); an S3-compatible store
 * implements the same three calls (PUT, GET and DELETE of an object under `key`).
 */
export interface BlobStore {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes, or null when there is no such object. */
  get(key: string): Promise<Buffer | null>;
  delete(keys: readonly string[]): Promise<void>;
}

/**
 * Blobs in the "AttachmentBlob" table. An erasure deletes them in its own transaction
 * (src/store/data-rights-store.ts), so nothing of an erased conversation's files is left.
 */
export class PostgresBlobStore implements BlobStore {
  constructor(private readonly prisma: PrismaClient) {}

  async put(key: string, bytes: Buffer): Promise<void> {
    await guarded(() => this.prisma.$executeRaw`INSERT INTO "AttachmentBlob" (key, data) VALUES (${key}, ${bytes})`);
  }

  async get(key: string): Promise<Buffer | null> {
    const rows = await guarded(() => this.prisma.$queryRaw<Array<{ data: Uint8Array }>>`SELECT data FROM "AttachmentBlob" WHERE key = ${key}`);
    const row = rows[0];
    return row ? Buffer.from(row.data) : null;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await guarded(() => this.prisma.$executeRaw`DELETE FROM "AttachmentBlob" WHERE key = ANY(${[...keys]}::text[])`);
  }
}
