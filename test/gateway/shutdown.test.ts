import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { temporaryDirectory } from '../helpers/temp.ts';
import { sleep, spawnServer } from '../faults/helpers.ts';

const root = join(import.meta.dirname, '../..');
const GRACE_MS = 2_000;

test('SIGTERM after the embedded Postgres died ends within the grace period plus a few seconds, leaving no lock', async () => {
  const dataDir = temporaryDirectory();
  const server = await spawnServer({ DATA_DIR: dataDir.path, SHUTDOWN_GRACE_MS: String(GRACE_MS) });
  try {
    const postmaster = Number(readFileSync(join(dataDir.path, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    await sleep(500);
    const started = Date.now();
    server.child.kill('SIGTERM');
    const code = await Promise.race([server.exited, sleep(GRACE_MS + 5_000).then(() => 'still running')]);
    assert.notEqual(code, 'still running', `no exit within ${GRACE_MS + 5_000} ms:\n${server.output().slice(-3000)}`);
    assert.ok(Date.now() - started < GRACE_MS + 5_000);
    assert.equal(existsSync(join(dataDir.path, 'frontdesk.lock')), false, 'the DATA_DIR lock is released');
    assert.match(server.output(), /embedded postgres exited unexpectedly/);
    assert.match(server.output(), /frontdesk stopped/);
  } finally {
    await server.stop();
    dataDir.remove();
  }
});

test('a taken PORT is reported at once with PORT_IN_USE, before the database is set up', async () => {
  const dataDir = temporaryDirectory();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as { port: number };
  try {
    const child = spawn(process.execPath, ['bin/frontdesk.js', 'serve'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir.path, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(output, /port \d+ on 127\.0\.0\.1 is already in use.*\(PORT_IN_USE\)/);
    assert.equal(existsSync(join(dataDir.path, 'postgres')), false, 'no database was set up');
  } finally {
    taken.close();
    dataDir.remove();
  }
});
