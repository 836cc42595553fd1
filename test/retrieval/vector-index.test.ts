import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { VectorIndex, type LabeledVector, type OpenIndexOptions } from '../../src/retrieval/vector-index.ts';

const DIM = 16;

/** Seeded random unit vectors, so failures reproduce. */
function vectors(count: number, seed: number): Float32Array[] {
  let state = seed >>> 0;
  const random = () => {
    // xorshift32: 32-bit integer arithmetic keeps the sequence exact and repeatable.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const vector = Float32Array.from({ length: DIM }, random);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  });
}

const labeled = (items: Float32Array[], firstLabel = 0): LabeledVector[] =>
  items.map((vector, i) => ({ label: firstLabel + i, vector }));

const topLabel = (index: VectorIndex, vector: Float32Array) => index.search(vector, 1)[0]?.label;

const neverRebuild = () => {
  throw new Error('rebuildFrom must not be called when the saved index is usable');
};

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdesk-index-'));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('VectorIndex in memory', () => {
  test('finds each vector as its own nearest neighbour, scores sorted by cosine similarity', async () => {
    const items = vectors(50, 1);
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await index.upsertMany(labeled(items));
    assert.equal(index.size, 50);
    for (const [label, vector] of items.entries()) {
      const hits = index.search(vector, 5);
      assert.equal(hits[0]?.label, label);
      assert.ok(Math.abs((hits[0]?.score ?? 0) - 1) < 1e-5);
      for (let i = 1; i < hits.length; i++) assert.ok((hits[i - 1]?.score ?? 0) >= (hits[i]?.score ?? 0));
    }
  });

  test('returns at most as many hits as live vectors, and none from an empty index', async () => {
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    const [query] = vectors(1, 2) as [Float32Array];
    assert.deepEqual(index.search(query, 3), []);
    await index.upsertMany(labeled(vectors(2, 3)));
    assert.equal(index.search(query, 10).length, 2);
    assert.throws(() => index.search(query, 0), RangeError);
  });

  test('returns k hits even when k exceeds efSearch', async () => {
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test', params: { efSearch: 4 } });
    await index.upsertMany(labeled(vectors(200, 4)));
    assert.equal(index.search(vectors(1, 5)[0] as Float32Array, 50).length, 50);
  });

  test('upsert of an existing label replaces its vector', async () => {
    const [before, replacement, other] = vectors(3, 6) as [Float32Array, Float32Array, Float32Array];
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await index.upsertMany([
      { label: 7, vector: before },
      { label: 8, vector: other },
    ]);
    await index.upsert(7, replacement);
    assert.equal(index.size, 2);
    assert.equal(topLabel(index, replacement), 7);
    const hits = index.search(before, 2);
    assert.equal(hits.filter((hit) => hit.label === 7).length, 1, 'one entry per label');
    assert.ok((hits.find((hit) => hit.label === 7)?.score ?? 1) < 0.999, 'the old vector is gone');
  });

  test('removed labels never come back, and can be added again', async () => {
    const items = vectors(20, 7);
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await index.upsertMany(labeled(items));
    assert.equal(await index.remove(3), true);
    assert.equal(await index.remove(3), false, 'already removed');
    assert.equal(await index.remove(999), false, 'never added');
    assert.equal(index.size, 19);
    assert.equal(index.has(3), false);
    assert.ok(index.search(items[3] as Float32Array, 20).every((hit) => hit.label !== 3));

    await index.upsert(3, items[3] as Float32Array);
    assert.equal(topLabel(index, items[3] as Float32Array), 3);
    assert.equal(index.size, 20);
  });

  test('reuses the slots of removed vectors, and a label whose slot was reused stays manageable', async () => {
    const items = vectors(12, 8);
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test', params: { initialCapacity: 10 } });
    await index.upsertMany(labeled(items.slice(0, 10)));
    await index.remove(0);
    await index.remove(1);
    await index.upsert(10, items[10] as Float32Array); // takes the slot of label 0 or 1
    await index.upsert(11, items[11] as Float32Array); // takes the other one
    assert.equal(index.capacity, 10, 'no growth while tombstones are free');

    // Labels 0 and 1 lost their slots; adding them back must create clean, deletable entries.
    await index.upsert(0, items[0] as Float32Array);
    await index.upsert(1, items[1] as Float32Array);
    assert.equal(index.size, 12);
    for (const label of [0, 1, 10, 11]) assert.equal(topLabel(index, items[label] as Float32Array), label);
    assert.equal(await index.remove(0), true);
    assert.ok(index.search(items[0] as Float32Array, 12).every((hit) => hit.label !== 0));
  });

  test('grows past its initial capacity while staying searchable between inserts', async () => {
    const items = vectors(300, 9);
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test', params: { initialCapacity: 8, growthFactor: 2 } });
    for (const [label, vector] of items.entries()) {
      await index.upsert(label, vector);
      assert.equal(topLabel(index, vector), label);
    }
    assert.equal(index.size, 300);
    assert.equal(index.capacity, 512, 'doubled from 8 until it fit');
    const found = items.filter((vector, label) => topLabel(index, vector) === label).length;
    assert.equal(found, 300);
  });

  test('restricts hits to labels accepted by the filter', async () => {
    const items = vectors(40, 10);
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await index.upsertMany(labeled(items));
    const hits = index.search(items[4] as Float32Array, 5, (label) => label % 2 === 1);
    assert.equal(hits.length, 5);
    assert.ok(hits.every((hit) => hit.label % 2 === 1));
  });

  test('rejects wrong dimensions and invalid labels without changing the index', async () => {
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await assert.rejects(index.upsert(1, new Float32Array(DIM + 1)), RangeError);
    await assert.rejects(index.upsert(-1, new Float32Array(DIM)), RangeError);
    await assert.rejects(index.upsert(1.5, new Float32Array(DIM)), RangeError);
    assert.equal(index.size, 0);
    await index.upsert(1, vectors(1, 11)[0] as Float32Array); // the queue keeps working after a failure
    assert.equal(index.size, 1);
  });

  test('reconcile drops labels the source no longer has and fetches the ones it lacks', async () => {
    const items = vectors(10, 12);
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await index.upsertMany(labeled(items.slice(0, 6)));
    const requested: number[][] = [];
    const result = await index.reconcile([2, 3, 4, 5, 6, 7], (labels) => {
      requested.push(labels);
      return labels.map((label) => ({ label, vector: items[label] as Float32Array }));
    });
    assert.deepEqual(result, { added: 2, removed: 2 });
    assert.deepEqual(requested, [[6, 7]]);
    assert.deepEqual([...index.labels()].sort((a, b) => a - b), [2, 3, 4, 5, 6, 7]);
  });
});

describe('VectorIndex on disk', () => {
  const items = vectors(60, 20);
  const options = (dir: string, overrides: Partial<OpenIndexOptions> = {}): OpenIndexOptions => ({
    dir,
    dimension: DIM,
    encoderId: 'encoder-v1',
    params: { initialCapacity: 16 },
    rebuildFrom: () => labeled(items),
    ...overrides,
  });

  async function savedIndex(): Promise<{ dir: string; index: VectorIndex }> {
    const dir = await tempDir();
    const index = await VectorIndex.open(options(dir));
    return { dir, index };
  }

  async function indexFiles(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.endsWith('.hnsw'));
  }

  test('builds from the source when nothing is saved, then loads what it saved', async () => {
    const { dir, index } = await savedIndex();
    assert.deepEqual(index.openOutcome, { kind: 'rebuilt', reason: 'missing' });
    assert.equal(index.size, 60);

    const reopened = await VectorIndex.open(options(dir, { rebuildFrom: neverRebuild }));
    assert.deepEqual(reopened.openOutcome, { kind: 'loaded' });
    assert.equal(reopened.size, 60);
    assert.equal(topLabel(reopened, items[42] as Float32Array), 42);
  });

  test('deletions and replacements survive a save and reload', async () => {
    const { dir, index } = await savedIndex();
    await index.remove(5);
    await index.remove(6);
    await index.upsert(7, items[8] as Float32Array);
    await index.save();

    const reopened = await VectorIndex.open(options(dir, { rebuildFrom: neverRebuild }));
    assert.equal(reopened.size, 58);
    assert.equal(reopened.has(5), false);
    for (const removed of [5, 6]) {
      assert.ok(reopened.search(items[removed] as Float32Array, 60).every((hit) => hit.label !== removed));
    }
    const nearEight = reopened.search(items[8] as Float32Array, 2).map((hit) => hit.label).sort();
    assert.deepEqual(nearEight, [7, 8]);

    // Tombstones loaded from disk are reused as well.
    const capacity = reopened.capacity;
    await reopened.upsert(1000, vectors(1, 21)[0] as Float32Array);
    assert.equal(reopened.capacity, capacity);
    assert.equal(reopened.size, 59);
  });

  test('rebuilds when the encoder, the dimension or the graph degree changed', async () => {
    const { dir } = await savedIndex();
    let rebuilt = 0;
    const newEncoder = await VectorIndex.open(
      options(dir, {
        encoderId: 'encoder-v2',
        rebuildFrom: () => {
          rebuilt += 1;
          return labeled(items.slice(0, 10));
        },
      }),
    );
    assert.equal(rebuilt, 1);
    assert.equal(newEncoder.openOutcome.kind === 'rebuilt' && newEncoder.openOutcome.reason, 'encoder-changed');
    assert.equal(newEncoder.size, 10);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.encoderId, 'encoder-v2');
    assert.equal(manifest.count, 10);

    const wider = await VectorIndex.open(
      options(dir, { encoderId: 'encoder-v2', dimension: DIM * 2, rebuildFrom: () => [] }),
    );
    assert.equal(wider.openOutcome.kind === 'rebuilt' && wider.openOutcome.reason, 'dimension-changed');

    const denser = await VectorIndex.open(
      options(dir, { encoderId: 'encoder-v2', dimension: DIM * 2, params: { m: 32 }, rebuildFrom: () => [] }),
    );
    assert.equal(denser.openOutcome.kind === 'rebuilt' && denser.openOutcome.reason, 'params-changed');
  });

  test('a damaged index file leads to a rebuild, not a crash', async () => {
    const { dir } = await savedIndex();
    const [file] = (await indexFiles(dir)) as [string];
    const bytes = await readFile(join(dir, file));
    bytes.fill(0xff, 100, 400);
    await writeFile(join(dir, file), bytes);

    const reopened = await VectorIndex.open(options(dir));
    assert.equal(reopened.openOutcome.kind === 'rebuilt' && reopened.openOutcome.reason, 'corrupt');
    assert.equal(reopened.size, 60);
    assert.equal(topLabel(reopened, items[9] as Float32Array), 9);
  });

  test('a truncated index file, an unreadable manifest or a missing file lead to a rebuild', async () => {
    const truncated = await savedIndex();
    const [file] = (await indexFiles(truncated.dir)) as [string];
    const bytes = await readFile(join(truncated.dir, file));
    await writeFile(join(truncated.dir, file), bytes.subarray(0, bytes.length / 2));
    const afterTruncation = await VectorIndex.open(options(truncated.dir));
    assert.equal(afterTruncation.openOutcome.kind === 'rebuilt' && afterTruncation.openOutcome.reason, 'corrupt');

    const badManifest = await savedIndex();
    await writeFile(join(badManifest.dir, 'manifest.json'), '{"formatVersion": 1, "encoder');
    const afterBadManifest = await VectorIndex.open(options(badManifest.dir));
    assert.equal(afterBadManifest.openOutcome.kind === 'rebuilt' && afterBadManifest.openOutcome.reason, 'corrupt');

    const missing = await savedIndex();
    for (const name of await indexFiles(missing.dir)) await rm(join(missing.dir, name));
    const afterMissing = await VectorIndex.open(options(missing.dir));
    assert.equal(afterMissing.openOutcome.kind === 'rebuilt' && afterMissing.openOutcome.reason, 'missing');
    assert.equal(afterMissing.size, 60);
  });

  test('a crash in the middle of a save leaves the last committed index usable', async () => {
    const { dir, index } = await savedIndex();
    await index.remove(1);
    await index.save();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    // What a crash before the manifest rename leaves behind: a half-written next index file and a
    // half-written temporary manifest.
    await writeFile(join(dir, `index-${manifest.generation + 1}.hnsw`), 'partial');
    await writeFile(join(dir, 'manifest.json.tmp'), '{"half');

    const reopened = await VectorIndex.open(options(dir, { rebuildFrom: neverRebuild }));
    assert.deepEqual(reopened.openOutcome, { kind: 'loaded' });
    assert.equal(reopened.size, 59);
    await reopened.save();
    assert.deepEqual(await indexFiles(dir), [`index-${manifest.generation + 1}.hnsw`], 'leftovers are cleaned up');
    assert.ok(!(await readdir(dir)).includes('manifest.json.tmp'));
  });

  test('queries are answered while a save is in flight; writes issued meanwhile apply after it', async () => {
    const { dir, index } = await savedIndex();
    const extra = vectors(1, 22)[0] as Float32Array;
    const saving = index.save();
    const writing = index.upsert(500, extra);
    assert.equal(topLabel(index, items[3] as Float32Array), 3, 'search does not wait for the save');
    await Promise.all([saving, writing]);
    assert.equal(topLabel(index, extra), 500);

    const reopened = await VectorIndex.open(options(dir, { rebuildFrom: neverRebuild }));
    assert.equal(reopened.has(500), false, 'the upsert was queued behind the save, not written into it');
  });

  test('save is refused for an index without a directory', async () => {
    const index = VectorIndex.create({ dimension: DIM, encoderId: 'test' });
    await assert.rejects(index.save(), /without a directory/);
  });
});
