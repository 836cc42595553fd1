import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/postgres.ts';
import pg from 'pg';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, request, startTestServer, temporaryDirectory } from '../helpers/server.ts';

// A database that goes away under a running server: clear errors, never a false ok, and service
// resumes by itself when the database is back.
const dir = temporaryDirectory();
let postgres: TestCluster;
let server: RunningServer;
let databaseUrl: string;
const DATABASE_TIMEOUT_MS = 2_000;

before(async () => {
  postgres = await startTestCluster(join(dir.path, 'external-postgres'), { user: 'outage', password: 'outage' });
  databaseUrl = postgres.url;
  ({ server } = await startTestServer({ DATA_DIR: join(dir.path, 'data'), DATABASE_URL: databaseUrl, DATABASE_TIMEOUT_MS: String(DATABASE_TIMEOUT_MS) }));
});

after(async () => {
  await server?.close().catch(() => {});
  await postgres?.stop().catch(() => {});
  dir.remove();
});

async function ready(): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: await response.json() };
}

test('while the database is down messages are refused with DATABASE_UNAVAILABLE, then accepted again', async () => {
  const { socket, session } = await connectVisitor(server.url);
  try {
    const before = await ask(socket, 'where is my order?');
    assert.equal(before.ack.ok, true);

    await postgres.stop();
    const refused = await request(socket, 'message', { clientId: 'during-outage', text: 'can I get a refund?' });
    assert.equal(refused.ok, false, 'never a false ok');
    assert.equal(refused.error.code, 'DATABASE_UNAVAILABLE');
    const history = await request(socket, 'history');
    assert.equal(history.error.code, 'DATABASE_UNAVAILABLE');
    const readiness = await ready();
    assert.equal(readiness.status, 503);
    assert.equal(readiness.body.checks.database, 'failing');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the process itself stays up');
    // A returning visitor's connection reads the visitor (a new one touches nothing until it writes).
    await assert.rejects(connectVisitor(server.url, { visitorToken: session.visitorToken }), (error: any) => error.data?.code === 'DATABASE_UNAVAILABLE');

    await postgres.start();
    // The client resends what was refused, with the same clientId, until it is accepted.
    let accepted: any;
    for (let attempt = 0; attempt < 50 && !accepted?.ok; attempt++) {
      accepted = await request(socket, 'message', { clientId: 'during-outage', text: 'can I get a refund?' });
      if (!accepted.ok) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(accepted.ok, true);
    assert.equal((await ready()).status, 200);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const rows = (await client.query(`SELECT count(*)::int AS n FROM "Message" WHERE "clientId" = 'during-outage'`)).rows;
    await client.end();
    assert.equal(rows[0].n, 1, 'stored exactly once');
    const after = await ask(socket, 'thanks');
    assert.equal(after.ack.ok, true);
  } finally {
    socket.close();
  }
});

/** The postmaster of the test's Postgres and its children (backends, background workers). */
function postgresProcesses(): number[] {
  const postmaster = Number(readFileSync(join(dir.path, 'external-postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  return [postmaster, ...children];
}

test('while the database is frozen a message is refused with DATABASE_UNAVAILABLE within the timeout, and the next one works once it thaws', async () => {
  const { socket } = await connectVisitor(server.url);
  const frozen = postgresProcesses();
  const signal = (name: NodeJS.Signals) => {
    for (const pid of frozen) {
      try {
        process.kill(pid, name);
      } catch {
        // A backend whose client went away may exit as soon as it thaws.
      }
    }
  };
  const thaw = () => signal('SIGCONT');
  try {
    assert.equal((await ask(socket, 'where is my order?')).ack.ok, true);
    signal('SIGSTOP');
    const started = Date.now();
    const refused = await request(socket, 'message', { clientId: 'while-frozen', text: 'can I get a refund?' });
    const waited = Date.now() - started;
    thaw();
    assert.equal(refused.ok, false, 'never a false ok');
    assert.equal(refused.error.code, 'DATABASE_UNAVAILABLE');
    assert.ok(waited < DATABASE_TIMEOUT_MS + 1_500, `refused after ${waited} ms`);
    const after = await ask(socket, 'thanks');
    assert.equal(after.ack.ok, true);
  } finally {
    thaw();
    socket.close();
  }
});
