// A process's copies of model versions' files, under DATA_DIR/models/<version name>: a cache of the
// artifact store (Postgres by default), so that a process on another machine, with an empty
// DATA_DIR, serves any version the trainer registered.
//
// A copy is written into a staging folder of its own beside the target and renamed into place once
// every file is complete and matches the stored sha256: a crash never leaves a half-written version
// where a loader looks, and processes sharing one DATA_DIR may fetch the same version at once (the
// first rename wins, the others find a verified copy and drop theirs). A copy is checked against the
// stored sha256 every time a version is loaded, so a damaged or foreign one is fetched again.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import type { ArtifactFile, ArtifactStore } from '../store/artifact-store.ts';

/** A stored file whose bytes do not match its recorded sha256 or size: the version is not loaded. */
export class ArtifactIntegrityError extends Error {
  readonly code = 'ARTIFACT_INTEGRITY';
}

/** A version with no files in the artifact store (trained before they moved there, and never imported). */
export class MissingArtifactError extends Error {
  readonly code = 'ARTIFACT_MISSING';
  constructor(version: VersionRef) {
    super(
      `model version "${version.name}" has no files in the artifact store` +
        (version.legacyArtifactPath ? `: they were at ${version.legacyArtifactPath} on the machine that trained it; start a server there once to import them` : ''),
    );
  }
}

interface VersionRef {
  id: string;
  name: string;
  legacyArtifactPath?: string | null;
}

/** Where a process keeps (or the trainer writes) a version's files. */
export function modelDir(dataDir: string, name: string): string {
  // The name becomes one folder name: nothing that could point elsewhere or hide among staging folders.
  if (name !== basename(name) || name.startsWith('.') || name === '') throw new Error(`"${name}" cannot name a model folder`);
  return join(dataDir, 'models', name);
}

/** Every file under `dir` (recursively) with its bytes, sha256 and size: what registering a version stores. */
export async function readArtifactDir(dir: string): Promise<Array<ArtifactFile & { bytes: Uint8Array }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
  if (paths.length === 0) throw new Error(`${dir} holds no model files`);
  return Promise.all(
    paths.map(async (path) => {
      const bytes = await readFile(join(dir, path));
      return { path, bytes, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
}

export class ModelFiles {
  constructor(
    private readonly store: ArtifactStore,
    private readonly dataDir: string,
    private readonly logger?: Logger,
  ) {}

  /**
   * The local folder of a version, with every file checked against the store's sha256; fetched from
   * the store first when it is missing here or differs.
   */
  async localDir(version: VersionRef): Promise<string> {
    const dir = modelDir(this.dataDir, version.name);
    const files = await this.store.files(version.id);
    if (files.length === 0) throw new MissingArtifactError(version);
    if (await holds(dir, files)) return dir;
    const started = performance.now();
    await this.fetch(version, files, dir);
    this.logger?.info({ model: version.name, files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0), ms: Math.round(performance.now() - started) }, 'model version fetched from the artifact store');
    return dir;
  }

  private async fetch(version: VersionRef, files: readonly ArtifactFile[], dir: string): Promise<void> {
    await mkdir(dirname(dir), { recursive: true });
    // Beside the target, so that the rename stays on one file system and is atomic.
    const staging = await mkdtemp(join(dirname(dir), `.${version.name}.`));
    try {
      for (const file of files) await this.fetchFile(version, file, staging);
      await install(staging, dir, files);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async fetchFile(version: VersionRef, file: ArtifactFile, staging: string): Promise<void> {
    const target = join(staging, file.path);
    const inside = relative(staging, target);
    if (isAbsolute(file.path) || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new ArtifactIntegrityError(`model version "${version.name}": the stored file "${file.path}" would be written outside its folder`);
    }
    await mkdir(dirname(target), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(target, 'wx');
    try {
      for await (const part of this.store.read(version.id, file.path)) {
        hash.update(part);
        size += part.byteLength;
        await handle.write(part);
      }
    } finally {
      await handle.close();
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256 || size !== file.size) {
      throw new ArtifactIntegrityError(
        `model version "${version.name}": ${file.path} from the artifact store is ${size} bytes with sha256 ${sha256}, expected ${file.size} bytes with sha256 ${file.sha256}; the version is not loaded`,
      );
    }
  }
}

/** Renames the complete staging folder into place, unless a verified copy got there first. */
async function install(staging: string, dir: string, files: readonly ArtifactFile[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    // Another process's copy is there: keep it if it is complete and right.
    if (await holds(dir, files)) return;
    if (attempt === 3) throw new Error(`${dir} keeps being replaced by a copy that does not match the artifact store`);
    // A damaged copy: moved aside in one step (no loader sees it half-deleted), then removed.
    const aside = `${staging}.damaged`;
    await rename(dir, aside).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rm(aside, { recursive: true, force: true });
  }
}

/** Whether `dir` holds every file with the stored size and sha256 (extra files do not matter). */
async function holds(dir: string, files: readonly ArtifactFile[]): Promise<boolean> {
  for (const file of files) {
    const path = join(dir, file.path);
    const size = await stat(path).then((info) => (info.isFile() ? info.size : -1), () => -1);
    if (size !== file.size || (await sha256Of(path)) !== file.sha256) return false;
  }
  return true;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
