// Issue 14, finding 2 across processes: two server processes on one Postgres. An admin changes an agent's
// password or role through process A; the agent's socket on process B is closed, because the
// disconnect goes through the scale-out adapter (and B's next request would re-check the rights anyway).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { embeddedDatabaseUrl } from '../helpers/server.ts';
import { spawnServer, type ServerProcess } from '../faults/helpers.ts';
import { api, connectAgent, createAgent, login, startAgentTestServer, type AgentTestServer } from './helpers.ts';

// A runs in this process on its embedded Postgres; B is a separate server process on the same database.
let a: AgentTestServer;
let b: ServerProcess;
let adminToken: string;

before(async () => {
  a = await startAgentTestServer([{ email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' }], { SCALE_OUT: 'postgres' });
  adminToken = a.tokens[0]!;
  b = await spawnServer({ DATABASE_URL: embeddedDatabaseUrl(a.dataDir), SCALE_OUT: 'postgres', DATA_DIR: join(a.dataDir, 'b') });
});

after(async () => {
  await b?.stop();
  await a?.close();
});

function closed(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket on the other process stayed open')), 15_000);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

for (const [change, email, body] of [
  ['a password change', 'reset@example.com', { password: 'a brand new password' }],
  ['a demotion', 'demoted@example.com', { role: 'agent' }],
] as const) {
  test(`${change} made on process A closes the agent’s socket on process B`, async () => {
    const agent = await createAgent(a.prisma, { email, name: 'Someone', password: 'old password 1', role: 'admin' });
    const token = await login(b.url, email, 'old password 1');
    const { socket } = await connectAgent(b.url, { token });
    a.sockets.push(socket);
    assert.equal((await socket.timeout(10_000).emitWithAck('queue')).ok, true);

    const dropped = closed(socket);
    const changed = await api(a.url, `/api/agent/agents/${agent.id}`, { token: adminToken, method: 'PATCH', body });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(await dropped, 'io server disconnect');
  });
}
