import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';

export const MIGRATIONS_DIR = resolve(import.meta.dirname, '../../prisma/migrations');

// Any fixed number works; it only has to be the same for every frontdesk process.
const MIGRATION_LOCK_KEY = 7_404_120_113;

export interface AppliedMigration {
  name: string;
  checksum: string;
}

/**
 * Applies the committed SQL migrations in order, each in its own transaction, and records them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does (same table, sha256 checksums), so the
 * two are interchangeable. An advisory lock keeps concurrent server starts from racing.
 */
export async function applyMigrations(databaseUrl: string, logger: Logger, migrationsDir = MIGRATIONS_DIR): Promise<AppliedMigration[]> {
  const migrations = readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: AppliedMigration[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const doneByName = new Map(done.rows.map((row) => [row.migration_name, row.checksum]));
    for (const migration of migrations) {
      const recorded = doneByName.get(migration.name);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) {
          logger.warn({ migration: migration.name }, 'an applied migration was edited after it ran; it is not applied again');
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      logger.info({ migration: migration.name }, 'migration applied');
      applied.push({ name: migration.name, checksum: migration.checksum });
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
  return applied;
}

function readMigrations(dir: string): Array<{ name: string; sql: string; checksum: string }> {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}
