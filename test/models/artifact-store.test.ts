// Model artifacts in Postgres (issue 22): a version is registered with its files, and any process
// fetches it into its own DATA_DIR: bytes intact, a corrupted copy refused, concurrent fetches on one
// DATA_DIR safe, and versions from before the migration imported where their files still are.
// Real Postgres (embedded), real files, a real ONNX model.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/observability/logger.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { ARTIFACT_PART_BYTES } from '../../src/store/artifact-store.ts';
import { ModelRegistry, type ModelVersion } from '../../src/models/registry.ts';
import { ArtifactIntegrityError, MissingArtifactError, ModelFiles, modelDir } from '../../src/models/model-files.ts';
import { loadAnyModel } from '../../src/nlu/index.ts';
import { readDataset } from '../../src/corpus/datasets.ts';
import { trainModel } from '../../src/fitting/train-builtin.ts';
import { temporaryDirectory } from '../helpers/temp.ts';

const MIGRATION = '20261202100000_model_artifacts';
const logger = createLogger('silent');
const root = temporaryDirectory();
let database: DatabaseHandle;
let prisma: PrismaClient;
let registry: ModelRegistry;
let legacyId: string;
const legacyDir = join(root.path, 'old-data', 'models', 'builtin-legacy');

/** A fresh DATA_DIR, as on a machine that never saw the version. */
const freshDataDir = () => {
  const dir = join(root.path, `data-${randomUUID()}`);
  mkdirSync(dir);
  return dir;
};

before(async () => {
  database = await openDatabase({ dataDir: join(root.path, 'postgres-data'), logger });
  // The schema as it was before this migration, with a version whose files are on this machine.
  const earlier = join(root.path, 'earlier-migrations');
  for (const name of readdirSync(MIGRATIONS_DIR).filter((name) => name < MIGRATION)) cpSync(join(MIGRATIONS_DIR, name), join(earlier, name), { recursive: true });
  await applyMigrations(database.url, logger, earlier);
  mkdirSync(legacyDir, { recursive: true });
  writeFileSync(join(legacyDir, 'meta.json'), '{"encoder":"builtin"}\n');
  writeFileSync(join(legacyDir, 'model.onnx'), randomBytes(1000));
  legacyId = randomUUID();
  const client = createPrismaClient(database.url, 1);
  await client.$executeRaw`INSERT INTO "ModelVersion" (id, name, encoder, status, "artifactPath", metrics, thresholds)
    VALUES (${legacyId}::uuid, 'builtin-legacy', 'builtin', 'retired', ${legacyDir}, '{}', '{}'),
           (${randomUUID()}::uuid, 'builtin-gone', 'builtin', 'retired', '/nowhere/models/builtin-gone', '{}', '{}')`;
  await client.$disconnect();
  await applyMigrations(database.url, logger);
  prisma = createPrismaClient(database.url, 4);
  registry = new ModelRegistry(prisma);
});

after(async () => {
  await prisma?.$disconnect();
  await database?.stop();
  root.remove();
});

/** A version folder with files of every kind: several parts, an empty file, a nested one. */
function writeVersionFolder(): { dir: string; contents: Map<string, Buffer> } {
  const dir = join(root.path, `trained-${randomUUID()}`);
  const contents = new Map<string, Buffer>([
    ['model.onnx', randomBytes(2 * ARTIFACT_PART_BYTES + 12_345)],
    ['meta.json', Buffer.from('{"formatVersion":1}\n')],
    ['empty.bin', Buffer.alloc(0)],
    ['tokenizer/vocab.txt', Buffer.from('a\nb\nc\n')],
  ]);
  for (const [path, bytes] of contents) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return { dir, contents };
}

async function registerFolder(): Promise<{ version: ModelVersion; contents: Map<string, Buffer> }> {
  const { dir, contents } = writeVersionFolder();
  const version = await registry.register({ name: `test-${randomUUID()}`, encoder: 'builtin', artifactDir: dir, metrics: {}, thresholds: {} });
  return { version, contents };
}

function assertHolds(dir: string, contents: Map<string, Buffer>): void {
  for (const [path, bytes] of contents) assert.ok(readFileSync(join(dir, path)).equals(bytes), `${path} differs`);
}

/** What a models folder holds besides the versions: a leftover staging folder would show here. */
const stagingLeftovers = (dataDir: string) => readdirSync(join(dataDir, 'models')).filter((name) => name.startsWith('.'));

describe('the artifact store', () => {
  test('a registered version carries its files, byte for byte, into a fresh DATA_DIR', async () => {
    const { version, contents } = await registerFolder();
    const stored = await registry.artifacts.files(version.id);
    assert.deepEqual(stored.map((file) => [file.path, file.size]), [...contents].map(([path, bytes]) => [path, bytes.length]).sort());
    const parts = await prisma.modelArtifactPart.count({ where: { modelVersionId: version.id, path: 'model.onnx' } });
    assert.equal(parts, 3, 'a file larger than a part is stored in parts');

    const dataDir = freshDataDir();
    const dir = await new ModelFiles(registry.artifacts, dataDir).localDir(version);
    assert.equal(dir, modelDir(dataDir, version.name));
    assertHolds(dir, contents);
    assert.deepEqual(stagingLeftovers(dataDir), []);
  });

  test('a trained model fetched on another machine loads and classifies like the original', async () => {
    const fixtures = join(import.meta.dirname, '../nlu/fixtures');
    const trainedDir = join(root.path, 'trained-model');
    await trainModel(await readDataset(join(fixtures, 'banking-subset-train.csv')), { outDir: trainedDir, seed: 3, hyperparameters: { embedding: 32, hidden: 32, maxEpochs: 4, patience: 2 } });
    const version = await registry.register({ name: `real-${randomUUID()}`, encoder: 'builtin', artifactDir: trainedDir, metrics: {}, thresholds: {} });
    const original = await loadAnyModel(trainedDir, { executionProviders: ['cpu'] });
    const fetched = await loadAnyModel(await new ModelFiles(registry.artifacts, freshDataDir()).localDir(version), { executionProviders: ['cpu'] });
    try {
      for (const text of ['my card has not arrived yet', 'how do I top up by bank transfer']) {
        const [a, b] = [await original.classify(text), await fetched.classify(text)];
        assert.equal(b.intent, a.intent);
        assert.equal(b.confidence, a.confidence);
      }
    } finally {
      await original.close();
      await fetched.close();
    }
  });

  test('bytes that do not match the stored sha256 are refused with a clear error, and nothing is left behind', async () => {
    const { version } = await registerFolder();
    // One byte of the second part flipped, as a damaged disk or a bad copy would.
    await prisma.$executeRaw`UPDATE "ModelArtifactPart" SET bytes = set_byte(bytes, 7, 255 - get_byte(bytes, 7))
      WHERE "modelVersionId" = ${version.id}::uuid AND path = 'model.onnx' AND seq = 1`;
    const dataDir = freshDataDir();
    await assert.rejects(new ModelFiles(registry.artifacts, dataDir).localDir(version), (error: unknown) => {
      assert.ok(error instanceof ArtifactIntegrityError);
      assert.match(error.message, new RegExp(`model version "${version.name}": model\\.onnx from the artifact store is ${2 * ARTIFACT_PART_BYTES + 12_345} bytes with sha256 [0-9a-f]{64}, expected .* the version is not loaded`));
      return true;
    });
    assert.deepEqual(readdirSync(join(dataDir, 'models')), [], 'no half-written or unverified copy where a loader looks');

    // A missing part: the size gives it away.
    const { version: short } = await registerFolder();
    await prisma.modelArtifactPart.delete({ where: { modelVersionId_path_seq: { modelVersionId: short.id, path: 'model.onnx', seq: 2 } } });
    await assert.rejects(new ModelFiles(registry.artifacts, dataDir).localDir(short), /model\.onnx from the artifact store is 2097152 bytes/);
  });

  test('a damaged local copy is fetched again', async () => {
    const { version, contents } = await registerFolder();
    const dataDir = freshDataDir();
    const files = new ModelFiles(registry.artifacts, dataDir);
    const dir = await files.localDir(version);
    truncateSync(join(dir, 'model.onnx'), 100);
    writeFileSync(join(dir, 'meta.json'), '{"formatVersion":2}\n');
    assert.equal(await files.localDir(version), dir);
    assertHolds(dir, contents);
    assert.deepEqual(stagingLeftovers(dataDir), []);
  });

  test('processes fetching one version into one DATA_DIR at once all end with the same complete copy', async () => {
    const { version, contents } = await registerFolder();
    const dataDir = freshDataDir();
    const script = `
      import { createPrismaClient } from './src/store/prisma.ts';
      import { ModelRegistry } from './src/models/registry.ts';
      import { ModelFiles } from './src/models/model-files.ts';
      const prisma = createPrismaClient(process.env.URL, 1);
      const dir = await new ModelFiles(new ModelRegistry(prisma).artifacts, process.env.DATA).localDir({ id: process.env.ID, name: process.env.NAME });
      await prisma.$disconnect();
      console.log(dir);`;
    const child = () =>
      new Promise<string>((resolve, reject) => {
        const process_ = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
          cwd: join(import.meta.dirname, '../..'),
          env: { ...process.env, URL: database.url, DATA: dataDir, ID: version.id, NAME: version.name },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        process_.stdout.on('data', (chunk) => (out += chunk));
        process_.stderr.on('data', (chunk) => (out += chunk));
        process_.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`fetching process failed (${code}): ${out}`))));
      });
    // Four processes and four concurrent calls in this one.
    const inProcess = Array.from({ length: 4 }, () => new ModelFiles(registry.artifacts, dataDir).localDir(version));
    const dirs = await Promise.all([child(), child(), child(), child(), ...inProcess]);
    assert.deepEqual(new Set(dirs), new Set([modelDir(dataDir, version.name)]));
    assertHolds(modelDir(dataDir, version.name), contents);
    assert.deepEqual(stagingLeftovers(dataDir), []);
  });
});

describe('versions from before the migration', () => {
  test('the migration keeps their path as legacyArtifactPath; a start imports the files that are on its machine, once', async () => {
    const before = await prisma.modelVersion.findUniqueOrThrow({ where: { id: legacyId } });
    assert.equal(before.legacyArtifactPath, legacyDir);
    const [first, second] = await Promise.all([registry.importLegacyArtifacts(logger), registry.importLegacyArtifacts(logger)]);
    assert.equal(first + second, 1, 'imported by exactly one of two concurrent starts');
    const imported = await prisma.modelVersion.findUniqueOrThrow({ where: { id: legacyId } });
    assert.equal(imported.legacyArtifactPath, null);
    const dir = await new ModelFiles(registry.artifacts, freshDataDir()).localDir(imported);
    assert.ok(readFileSync(join(dir, 'model.onnx')).equals(readFileSync(join(legacyDir, 'model.onnx'))));
    assert.equal(await registry.importLegacyArtifacts(logger), 0);
  });

  test('one whose files are nowhere to be found says where they were', async () => {
    const gone = await prisma.modelVersion.findUniqueOrThrow({ where: { name: 'builtin-gone' } });
    assert.equal(gone.legacyArtifactPath, '/nowhere/models/builtin-gone');
    await assert.rejects(new ModelFiles(registry.artifacts, freshDataDir()).localDir(gone), (error: unknown) => {
      assert.ok(error instanceof MissingArtifactError);
      assert.match(error.message, /model version "builtin-gone" has no files in the artifact store: they were at \/nowhere\/models\/builtin-gone/);
      return true;
    });
  });
});

test('a version name cannot point outside DATA_DIR/models', () => {
  for (const name of ['../escape', 'a/b', '.hidden', '']) assert.throws(() => modelDir('/data', name), /cannot name a model folder/);
});
