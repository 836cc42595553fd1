import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { temporaryDirectory } from '../helpers/temp.ts';

const root = join(import.meta.dirname, '../..');

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/frontdesk.js', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

test('invalid configuration stops the CLI with a clear message and exit code 1', async () => {
  const run = runCli(['serve'], { PORT: 'not-a-port', LOG_LEVEL: 'silent' });
  assert.equal(await run.exited, 1);
  assert.match(run.output(), /Invalid configuration/);
  assert.match(run.output(), /PORT/);
});

test('`frontdesk serve` serves, then shuts down cleanly on SIGTERM and stops the embedded database', async () => {
  const dataDir = temporaryDirectory();
  try {
    const run = runCli(['serve'], { PORT: '0', DATA_DIR: dataDir.path, LOG_LEVEL: 'info' });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${run.output()}`)), 120_000);
      run.child.stdout.on('data', () => {
        const match = /"url":"(http:\/\/[^"]+)".*frontdesk is serving/.exec(run.output());
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void run.exited.then(() => reject(new Error(`server exited:\n${run.output()}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    const socket = io(`${url}/chat`, { transports: ['websocket'], reconnection: false });
    const session = await new Promise<any>((resolve) => socket.once('session', resolve));
    const ack = await socket.timeout(10_000).emitWithAck('message', { clientId: 'one', text: 'hello' });
    assert.equal(ack.ok, true);
    assert.equal(ack.conversationId, session.conversationId);
    socket.close();

    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    assert.match(run.output(), /frontdesk stopped/);
    assert.equal(existsSync(join(dataDir.path, 'postgres', 'postmaster.pid')), false, 'postgres stopped cleanly');
    assert.doesNotMatch(run.output(), /hello/, 'message texts never reach the logs');
  } finally {
    dataDir.remove();
  }
});
