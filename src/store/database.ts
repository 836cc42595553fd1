import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { initialiseCluster, postgresRuntime, startCluster, type PostgresProcess } from './embedded-postgres.ts';

export interface DatabaseHandle {
  /** The application's connection: a role that owns the `frontdesk` database but is not superuser. */
  url: string;
  /** True when this process started the database itself. */
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DATABASE = 'frontdesk';
const APP_ROLE = 'frontdesk_app';

interface Credential {
  user: string;
  password: string;
}

/** The embedded cluster's credentials, kept in DATA_DIR (mode 0600). The superuser is only for setting up the app role. */
interface EmbeddedCredentials {
  superuser: Credential;
  app: Credential;
}

/** Data directories created before credentials were generated had this fixed superuser; it is rotated on the next start. */
const LEGACY_SUPERUSER: Credential = { user: 'frontdesk', password: 'frontdesk' };

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

export function credentialsFile(dataDir: string): string {
  return join(dataDir, 'postgres-credentials.json');
}

/**
 * The application's URL of the embedded Postgres running on DATA_DIR (for tools and tests beside a
 * server); read anew on each call, as a restart may change the port (line 4 of postmaster.pid).
 */
export function runningEmbeddedUrl(dataDir: string): string {
  const port = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3];
  const credentials = readCredentials(dataDir);
  if (!credentials || !port) throw new Error(`no embedded Postgres is running on ${dataDir}`);
  return appUrl(port, credentials);
}

function appUrl(port: number | string, credentials: EmbeddedCredentials): string {
  return `postgresql://${APP_ROLE}:${encodeURIComponent(credentials.app.password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
}

async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<DatabaseHandle> {
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  let postgres: PostgresProcess | null = null;
  // Whatever ends this process, the lock goes and the database is asked to stop.
  const onExit = () => {
    lock.release();
    if (postgres && !postgres.hasExited()) process.kill(postgres.pid, 'SIGINT');
  };
  process.on('exit', onExit);
  try {
    const databaseDir = join(dataDir, 'postgres');
    const runtime = await postgresRuntime(logger);
    await stopOrphanedPostmaster(databaseDir, logger);
    let credentials = readCredentials(dataDir);
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
      logger.info({ databaseDir }, 'initialising embedded postgres');
      credentials = generateCredentials('postgres');
      // Written first: a cluster must never exist whose password is not on disk.
      writeCredentials(dataDir, credentials);
      await initialiseCluster(runtime, databaseDir, credentials.superuser);
    } else if (!credentials) {
      credentials = generateCredentials(LEGACY_SUPERUSER.user);
      writeCredentials(dataDir, credentials);
    }
    const port = await freePort();
    postgres = await startCluster(runtime, databaseDir, port, logger);
    await setUpAppRole(port, credentials, logger);
    const url = appUrl(port, credentials);
    lock.publish(url);
    logger.info({ port, databaseDir }, 'embedded postgres started');
    const running = postgres;
    let stopping = false;
    void running.exited.then(() => {
      if (!stopping) logger.error('the embedded postgres exited unexpectedly; database requests fail until frontdesk is restarted');
    });
    return {
      url,
      embedded: true,
      stop: async () => {
        stopping = true;
        await running.stop();
        lock.release();
        process.off('exit', onExit);
        logger.info('embedded postgres stopped');
      },
    };
  } catch (error) {
    await postgres?.stop();
    lock.release();
    process.off('exit', onExit);
    throw error;
  }
}

function generateCredentials(superuser: string): EmbeddedCredentials {
  const password = () => randomBytes(24).toString('base64url');
  return { superuser: { user: superuser, password: password() }, app: { user: APP_ROLE, password: password() } };
}

function readCredentials(dataDir: string): EmbeddedCredentials | null {
  try {
    return JSON.parse(readFileSync(credentialsFile(dataDir), 'utf8')) as EmbeddedCredentials;
  } catch {
    return null;
  }
}

function writeCredentials(dataDir: string, credentials: EmbeddedCredentials): void {
  writeFileSync(credentialsFile(dataDir), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

/**
 * As the superuser: the app role (login, not superuser) with the password on disk, owning the
 * `frontdesk` database and everything in its public schema, so that migrations run as the app.
 * A legacy cluster's fixed superuser password is rotated to the generated one on the way.
 */
async function setUpAppRole(port: number, credentials: EmbeddedCredentials, logger: Logger): Promise<void> {
  const connect = (credential: Credential, database: string) => connectAs(port, credential, database);
  let admin = await connect(credentials.superuser, 'postgres').catch(async (error: unknown) => {
    if ((error as { code?: string }).code !== '28P01' || credentials.superuser.user !== LEGACY_SUPERUSER.user) throw error;
    const legacy = await connect(LEGACY_SUPERUSER, 'postgres').catch(() => {
      throw new Error('cannot sign in to the embedded Postgres with the credentials in DATA_DIR/postgres-credentials.json', { cause: error });
    });
    await legacy.query(`ALTER ROLE ${legacy.escapeIdentifier(LEGACY_SUPERUSER.user)} PASSWORD ${legacy.escapeLiteral(credentials.superuser.password)}`);
    logger.warn('the embedded Postgres had the old fixed superuser password; it is now a random one kept in DATA_DIR');
    return legacy;
  });
  const role = admin.escapeIdentifier(APP_ROLE);
  try {
    const roleExists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE])).rowCount! > 0;
    await admin.query(`${roleExists ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${admin.escapeLiteral(credentials.app.password)}`);
    const databaseExists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE])).rowCount! > 0;
    await admin.query(databaseExists ? `ALTER DATABASE ${EMBEDDED_DATABASE} OWNER TO ${role}` : `CREATE DATABASE ${EMBEDDED_DATABASE} OWNER ${role}`);
  } finally {
    await admin.end();
  }
  // Tables and types created by the superuser in older data directories now belong to the app.
  admin = await connect(credentials.superuser, EMBEDDED_DATABASE);
  try {
    await admin.query(`DO $$
      DECLARE object record;
      BEGIN
        FOR object IN SELECT oid::regclass AS name FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f') AND relowner <> '${APP_ROLE}'::regrole LOOP
          EXECUTE format('ALTER TABLE %s OWNER TO ${APP_ROLE}', object.name);
        END LOOP;
        FOR object IN SELECT oid::regtype AS name FROM pg_type
          WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd') AND typowner <> '${APP_ROLE}'::regrole LOOP
          EXECUTE format('ALTER TYPE %s OWNER TO ${APP_ROLE}', object.name);
        END LOOP;
      END $$`);
  } finally {
    await admin.end();
  }
}

async function connectAs(port: number, credential: Credential, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: credential.user, password: credential.password, database });
  await client.connect();
  return client;
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
