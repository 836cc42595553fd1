import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster } from '../helpers/postgres.ts';
import pg from 'pg';
import type { RunningServer } from '../../src/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { credentialsFile, openDatabase } from '../../src/store/database.ts';
import { applyMigrations } from '../../src/store/migrate.ts';
import { embeddedDatabaseUrl, queryEmbedded, startTestServer, temporaryDirectory } from '../helpers/server.ts';

// A server whose DATA_DIR lies two private (0700) folders deep, as in a checkout under /root or in
// `mktemp -d`: as root, Postgres runs as the `postgres` user, who cannot pass through either.
const outer = mkdtempSync(join(tmpdir(), 'frontdesk-private-'));
const inner = join(outer, 'private');
mkdirSync(inner, { mode: 0o700 });
const dataDir = join(inner, 'data');
let server: RunningServer;

before(async () => {
  ({ server } = await startTestServer({ DATA_DIR: dataDir }));
});

after(async () => {
  await server?.close();
  rmSync(outer, { recursive: true, force: true });
});

const port = () => Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]);

async function connectAs(user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: port(), user, password, database: 'frontdesk' });
  await client.connect();
  return client;
}

test('as root, the server starts and is ready with DATA_DIR inside private (0700) folders', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('only meaningful as root, where Postgres runs as the postgres user (CI runs as root)');
    return;
  }
  assert.equal(statSync(outer).mode & 0o777, 0o700);
  assert.equal(statSync(inner).mode & 0o777, 0o700, 'no folder outside DATA_DIR was loosened');
  const ready = await fetch(`${server.url}/readyz`);
  assert.equal(ready.status, 200);
});

test('the embedded Postgres has a random password kept in DATA_DIR with mode 0600, and the old fixed one is refused', async () => {
  const file = credentialsFile(dataDir);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const credentials = JSON.parse(readFileSync(file, 'utf8'));
  for (const role of [credentials.superuser, credentials.app]) {
    assert.notEqual(role.password, 'frontdesk');
    assert.ok(role.password.length >= 32);
  }
  await assert.rejects(connectAs('frontdesk', 'frontdesk'), (error: any) => error.code === '28P01' || error.code === '28000');
});

test('the app connects as a role that is not superuser and cannot run programs', async () => {
  const client = new pg.Client({ connectionString: embeddedDatabaseUrl(dataDir) });
  await client.connect();
  try {
    const role = await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    assert.equal(role.rows[0].rolsuper, false);
    await client.query('CREATE TEMP TABLE out (line text)');
    await assert.rejects(client.query(`COPY out FROM PROGRAM 'id'`), (error: any) => error.code === '42501');
  } finally {
    await client.end();
  }
  // Owner of what the migrations created, so future migrations apply as the app.
  const owners = await queryEmbedded(dataDir, `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`);
  assert.deepEqual(owners.map((row) => row.owner), ['frontdesk_app']);
});

test('the embedded Postgres listens on loopback TCP only, with no socket file in /tmp', () => {
  assert.equal(readdirSync('/tmp').filter((name) => name === `.s.PGSQL.${port()}` || name === `.s.PGSQL.${port()}.lock`).length, 0);
  const settings = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
  assert.equal(settings[5], '127.0.0.1', 'listen address in postmaster.pid');
  assert.equal(settings[4], '', 'no socket directory in postmaster.pid');
});

test('a data directory from before (superuser frontdesk/frontdesk) is upgraded: password rotated, tables handed to the app role', async () => {
  const dir = temporaryDirectory();
  try {
    const legacyDataDir = join(dir.path, 'data');
    // A cluster as earlier versions left it: superuser frontdesk/frontdesk, the schema applied as that superuser.
    const legacy = await startTestCluster(join(legacyDataDir, 'postgres'), { user: 'frontdesk', password: 'frontdesk' });
    await applyMigrations(legacy.url, createLogger('silent'));
    await legacy.stop();

    const database = await openDatabase({ dataDir: legacyDataDir, logger: createLogger('silent') });
    try {
      assert.match(database.url, /^postgresql:\/\/frontdesk_app:/);
      assert.deepEqual(await applyMigrations(database.url, createLogger('silent')), [], 'the schema is kept');
      const owners = await queryEmbedded(legacyDataDir, `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`);
      assert.deepEqual(owners.map((row) => row.owner), ['frontdesk_app']);
      const newPort = Number(readFileSync(join(legacyDataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]);
      const old = new pg.Client({ host: '127.0.0.1', port: newPort, user: 'frontdesk', password: 'frontdesk', database: 'frontdesk' });
      await assert.rejects(old.connect(), (error: any) => error.code === '28P01');
      assert.equal(statSync(credentialsFile(legacyDataDir)).mode & 0o777, 0o600);
    } finally {
      await database.stop();
    }
    assert.equal(existsSync(join(legacyDataDir, 'frontdesk.lock')), false);
  } finally {
    dir.remove();
  }
});
