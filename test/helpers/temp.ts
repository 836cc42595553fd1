import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function temporaryDirectory(prefix = 'frontdesk-test-'): { path: string; remove: () => void } {
  // Private (0700) like any mkdtemp folder: the embedded Postgres must start here as it is.
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
