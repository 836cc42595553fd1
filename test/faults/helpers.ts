import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.ts';
import { createLogger } from '../../src/observability/logger.ts';
import pg from 'pg';

const root = join(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  url: string;
  query<T = any>(sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/** A Postgres owned by the test, outside every server process: it survives their kill -9. */
export async function startTestPostgres(dir: string): Promise<TestPostgres> {
  const database = await openDatabase({ dataDir: join(dir, 'external-postgres'), logger: createLogger('silent') });
  return {
    url: database.url,
    async query(sql, values = []) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    stop: () => database.stop(),
  };
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  /** SIGTERM, and SIGKILL if it has not exited within 20 s. */
  stop(): Promise<void>;
}

/** `node bin/frontdesk.js serve` as a child process on a loopback port; resolves once /readyz is 200. */
export async function spawnServer(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, ['bin/frontdesk.js', 'serve'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '2000', ...env, PORT: String(chosen), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (done) throw new Error(`server exited before it was ready:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within 120 s:\n${output.slice(-4000)}`);
    }
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    port: chosen,
    child,
    exited,
    output: () => output,
    stop: async () => {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true (bounded). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
