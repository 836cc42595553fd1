import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { frontdesk as run } from '../helpers/cli.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const dataDir = temporaryDirectory();
after(() => dataDir.remove());

/** Runs `frontdesk …` with its own embedded database under a temporary DATA_DIR. */
function frontdesk(args: string[], stdin?: string) {
  return run(args, { env: { DATA_DIR: dataDir.path, LOG_LEVEL: 'warn' }, ...(stdin === undefined ? {} : { stdin }) });
}

test('agents add reads the password from stdin, refuses to run without one, and agents list shows the account', async () => {
  const added = await frontdesk(['agents', 'add', '--email', 'Ann@Example.com', '--name', 'Ann', '--role', 'admin', '--password-stdin'], 'a long enough password\n');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /Created admin ann@example\.com/);
  assert.doesNotMatch(added.stdout + added.stderr, /long enough password/);

  const noPassword = await frontdesk(['agents', 'add', '--email', 'bob@example.com', '--name', 'Bob']);
  assert.equal(noPassword.code, 1);
  assert.match(noPassword.stderr, /--password-stdin/);

  const duplicate = await frontdesk(['agents', 'add', '--email', 'ann@example.com', '--name', 'Ann again', '--password-stdin'], 'another password\n');
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /exists already/);

  const weak = await frontdesk(['agents', 'add', '--email', 'cy@example.com', '--name', 'Cy', '--password-stdin'], 'short\n');
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /at least 8 characters/);

  const list = await frontdesk(['agents', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const agents = list.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(agents.map((agent) => [agent.email, agent.role, agent.disabled]), [['ann@example.com', 'admin', false]]);
  assert.ok(agents.every((agent) => !('passwordHash' in agent)));
});
