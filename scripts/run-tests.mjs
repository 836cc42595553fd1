// Runs every test file under test/ with Node's test runner (TypeScript through tsx), one file at a
// time: integration tests start their own Postgres and servers and must not compete for 2 cores.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
if (filters.length === 0) {
  // The whole suite starts with the type check (the server's code, then the browser's): a type error
  // fails the run like a failing test.
  for (const project of ['tsconfig.json', 'tsconfig.browser.json']) {
    const typecheck = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], { stdio: 'inherit' });
    if (typecheck.status !== 0) {
      console.error(`type check failed (${project})`);
      process.exit(typecheck.status ?? 1);
    }
  }
}
const files = testFiles('test')
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec',
    // A file whose tests and hooks are done exits even if something still keeps its event loop
    // alive: once, test/gateway/database-outage.test.ts hung after passing (issue 22's note; the
    // leak itself is still to find), and a hung file would hold the whole run forever.
    '--test-force-exit',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
