// An approximate nearest-neighbour index over sentence vectors (hnswlib-node's HierarchicalNSW,
// cosine space), keyed by the integer labels of the rows they came from (KnowledgeChunk.label).
//
// Persistence: `<dir>/manifest.json` names the index file it belongs to (`index-<generation>.hnsw`)
// and says which encoder, dimension and graph parameters built it. A save writes a NEW index file,
// then replaces the manifest by write-temp-and-rename; that rename is the single commit point, so a
// crash at any moment leaves either the old pair or the new pair on disk, never a torn one. The
// manifest also carries the file's sha256, which is checked before hnswlib parses it: a damaged
// file leads to a rebuild from the caller's vectors instead of a crash in native code.
//
// Concurrency (Node runs JavaScript on one thread):
// - search, add, remove and resize are synchronous native calls on the main thread, so a query can
//   never observe a half-applied insert or a half-resized graph.
// - Capacity grows by `growthFactor` (doubling by default) when a new slot is needed, so the
//   O(n) copy of a resize is paid rarely and amortises to O(1) per insert; a query arriving during
//   a resize waits for that single reallocation (about 10 ms from 131k to 262k slots of dimension
//   256 on this project's 2-core machines), never for a rebuild.
// - Saving runs in libuv's thread pool (hnswlib-node's async writeIndex) while the main thread keeps
//   answering queries, which only read the graph. Mutations must not race that background reader,
//   so every mutation and save goes through one serial queue: writes wait, reads never do.
// - Deleted items are tombstoned with markDelete (hnswlib keeps the flag in the file) and their
//   slots are reused by later inserts (allowReplaceDeleted), so churn does not grow memory.
// - One directory belongs to one process. Changes made after the last save are lost in a crash;
//   `reconcile` against the source of truth (Postgres) on start repairs that, and lets several
//   processes each keep their own index in step with the shared rows.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import { z } from 'zod';

const { HierarchicalNSW } = hnswlib;
type Graph = InstanceType<typeof HierarchicalNSW>;

export interface HnswParams {
  /** Graph degree: more links, better recall, more memory. */
  m: number;
  /** Candidate list size while inserting: higher builds a better graph, more slowly. */
  efConstruction: number;
  /** Candidate list size while searching (raised to k when k is larger). */
  efSearch: number;
  /** Slots allocated up front by a new, empty index. */
  initialCapacity: number;
  /** Capacity multiplier applied when the index is full. */
  growthFactor: number;
}

/** Tuned with bench/retrieval-hnsw.ts: recall@10 >= 0.99 at 100k x 256 with a sub-millisecond median. */
export const DEFAULT_HNSW_PARAMS: HnswParams = {
  m: 16,
  efConstruction: 200,
  efSearch: 160,
  initialCapacity: 1024,
  growthFactor: 2,
};

export type Vector = Float32Array | readonly number[];

export interface LabeledVector {
  label: number;
  vector: Vector;
}

export interface SearchHit {
  label: number;
  /** Cosine similarity, in [-1, 1]. */
  score: number;
}

export type LabelFilter = (label: number) => boolean;

/** How `VectorIndex.open` obtained its contents: loaded from disk, or rebuilt and why. */
export type OpenOutcome =
  | { kind: 'loaded' }
  | {
      kind: 'rebuilt';
      reason: 'missing' | 'corrupt' | 'encoder-changed' | 'dimension-changed' | 'params-changed';
      detail?: string;
    };

/** The subset of pino's logger this module uses. */
export interface IndexLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface CreateIndexOptions {
  dimension: number;
  /** Identifies the encoder (model version) that produced the vectors; a change forces a rebuild. */
  encoderId: string;
  params?: Partial<HnswParams>;
  logger?: IndexLogger;
}

export interface OpenIndexOptions extends CreateIndexOptions {
  /** Directory holding manifest.json and the index file; created when absent. */
  dir: string;
  /** Every current vector (e.g. streamed from Postgres), used when the file cannot be used. */
  rebuildFrom: () => AsyncIterable<LabeledVector> | Iterable<LabeledVector>;
}

const MANIFEST_FILE = 'manifest.json';
const INDEX_FILE_PATTERN = /^index-\d+\.hnsw$/;
const MAX_LABEL = 0xffff_ffff; // hnswlib-node passes labels as uint32

const manifestSchema = z.object({
  formatVersion: z.literal(1),
  encoderId: z.string(),
  dimension: z.number().int().positive(),
  space: z.literal('cosine'),
  params: z.object({ m: z.number().int().positive(), efConstruction: z.number().int().positive() }),
  count: z.number().int().nonnegative(),
  capacity: z.number().int().positive(),
  generation: z.number().int().nonnegative(),
  indexFile: z.string().regex(INDEX_FILE_PATTERN),
  indexSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Tombstoned labels still occupying a slot: they must stay deleted after a reload. */
  deletedLabels: z.array(z.number().int().nonnegative()),
  savedAt: z.string(),
});
export type IndexManifest = z.infer<typeof manifestSchema>;

export class VectorIndex {
  readonly dimension: number;
  readonly encoderId: string;
  readonly params: HnswParams;

  private graph: Graph;
  private readonly live = new Set<number>();
  private readonly dir: string | undefined;
  private readonly logger: IndexLogger | undefined;
  private generation = 0;
  private outcome: OpenOutcome = { kind: 'loaded' };
  /** Serialises mutations and saves; see the header comment. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  private constructor(options: CreateIndexOptions, dir: string | undefined) {
    if (!Number.isInteger(options.dimension) || options.dimension <= 0) {
      throw new RangeError(`dimension must be a positive integer, got ${options.dimension}`);
    }
    this.dimension = options.dimension;
    this.encoderId = options.encoderId;
    this.params = { ...DEFAULT_HNSW_PARAMS, ...options.params };
    if (this.params.growthFactor <= 1) throw new RangeError('growthFactor must be greater than 1');
    this.dir = dir;
    this.logger = options.logger;
    this.graph = this.emptyGraph();
  }

  /** An empty in-memory index (no persistence; `save` is unavailable). */
  static create(options: CreateIndexOptions): VectorIndex {
    return new VectorIndex(options, undefined);
  }

  /**
   * Loads the index saved in `options.dir`, or rebuilds it from `options.rebuildFrom()` and saves it
   * when the files are missing, damaged, or were built by another encoder, dimension or graph degree.
   */
  static async open(options: OpenIndexOptions): Promise<VectorIndex> {
    const index = new VectorIndex(options, options.dir);
    await mkdir(options.dir, { recursive: true });
    const outcome = await index.tryLoad();
    index.outcome = outcome;
    if (outcome.kind === 'rebuilt') {
      // Nothing saved yet is the normal first start; a damaged or outdated index is worth a warning.
      const level = outcome.reason === 'missing' ? 'info' : 'warn';
      index.logger?.[level]({ dir: options.dir, ...outcome }, 'rebuilding vector index');
      await index.upsertMany(options.rebuildFrom());
      await index.save();
    }
    index.logger?.info(
      { dir: options.dir, count: index.size, capacity: index.capacity, outcome: outcome.kind },
      'vector index ready',
    );
    return index;
  }

  /** How `open` obtained the contents; `{ kind: 'loaded' }` for an index made with `create`. */
  get openOutcome(): OpenOutcome {
    return this.outcome;
  }

  /** Number of live (not deleted) vectors. */
  get size(): number {
    return this.live.size;
  }

  /** Slots currently allocated. */
  get capacity(): number {
    return this.graph.getMaxElements();
  }

  has(label: number): boolean {
    return this.live.has(label);
  }

  labels(): IterableIterator<number> {
    return this.live.values();
  }

  /** Adds `vector` under `label`, replacing the vector of an existing label. */
  upsert(label: number, vector: Vector): Promise<void> {
    return this.enqueue(() => this.upsertNow(label, vector));
  }

  /** Adds many vectors as one queued write; returns how many were written. */
  upsertMany(items: AsyncIterable<LabeledVector> | Iterable<LabeledVector>): Promise<number> {
    return this.enqueue(async () => {
      let written = 0;
      for await (const { label, vector } of items) {
        this.upsertNow(label, vector);
        written += 1;
      }
      return written;
    });
  }

  /** Tombstones `label` so it never appears in results again; false when it was not present. */
  remove(label: number): Promise<boolean> {
    return this.enqueue(() => {
      if (!this.live.has(label)) return false;
      this.graph.markDelete(label);
      this.live.delete(label);
      return true;
    });
  }

  /**
   * Brings the index in line with the source of truth after a restart (vectors written or deleted
   * by this or another process since the last save): drops labels absent from `expected` and
   * fetches vectors for the expected labels the index lacks. Labels are assumed immutable: a row
   * whose content changes gets a new label, as KnowledgeChunk rows do.
   */
  reconcile(
    expected: Iterable<number>,
    fetchVectors: (labels: number[]) => AsyncIterable<LabeledVector> | Iterable<LabeledVector>,
  ): Promise<{ added: number; removed: number }> {
    return this.enqueue(async () => {
      const wanted = new Set(expected);
      const stale = [...this.live].filter((label) => !wanted.has(label));
      for (const label of stale) {
        this.graph.markDelete(label);
        this.live.delete(label);
      }
      const missing = [...wanted].filter((label) => !this.live.has(label));
      let added = 0;
      if (missing.length > 0) {
        for await (const { label, vector } of fetchVectors(missing)) {
          this.upsertNow(label, vector);
          added += 1;
        }
      }
      return { added, removed: stale.length };
    });
  }

  /**
   * The `k` nearest live vectors by cosine similarity, best first. `filter` restricts the labels
   * considered (inside the graph walk, so filtered-out items do not use up the k results).
   */
  search(vector: Vector, k: number, filter?: LabelFilter): SearchHit[] {
    if (!Number.isInteger(k) || k <= 0) throw new RangeError(`k must be a positive integer, got ${k}`);
    const wanted = Math.min(k, this.live.size);
    if (wanted === 0) return [];
    // hnswlib returns at most ef candidates, so ef below k would silently truncate the answer.
    this.graph.setEf(Math.max(this.params.efSearch, wanted));
    const query = this.toArray(vector);
    const { distances, neighbors } = filter
      ? this.graph.searchKnn(query, wanted, filter)
      : this.graph.searchKnn(query, wanted);
    // Cosine space distance is 1 - cos; hnswlib returns them nearest first.
    return neighbors.map((label, i) => ({ label, score: 1 - (distances[i] ?? 1) }));
  }

  /** Persists the index atomically (see the header comment). */
  save(): Promise<void> {
    const dir = this.dir;
    if (dir === undefined) return Promise.reject(new Error('this index was created without a directory'));
    return this.enqueue(async () => {
      const generation = this.generation + 1;
      const indexFile = `index-${generation}.hnsw`;
      const indexPath = join(dir, indexFile);
      await this.graph.writeIndex(indexPath);
      await fsyncFile(indexPath);
      const manifest: IndexManifest = {
        formatVersion: 1,
        encoderId: this.encoderId,
        dimension: this.dimension,
        space: 'cosine',
        params: { m: this.params.m, efConstruction: this.params.efConstruction },
        count: this.live.size,
        capacity: this.capacity,
        generation,
        indexFile,
        indexSha256: await sha256OfFile(indexPath),
        deletedLabels: this.graph.getIdsList().filter((label) => !this.live.has(label)),
        savedAt: new Date().toISOString(),
      };
      const manifestPath = join(dir, MANIFEST_FILE);
      const temporaryPath = `${manifestPath}.tmp`;
      await writeFile(temporaryPath, JSON.stringify(manifest, null, 2));
      await fsyncFile(temporaryPath);
      await rename(temporaryPath, manifestPath);
      await fsyncFile(dir);
      this.generation = generation;
      await removeIndexFilesExcept(dir, indexFile);
    });
  }

  private async tryLoad(): Promise<OpenOutcome> {
    const dir = this.dir as string;
    let manifest: IndexManifest;
    try {
      manifest = manifestSchema.parse(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    } catch (error) {
      if (isNotFound(error)) return { kind: 'rebuilt', reason: 'missing' };
      return { kind: 'rebuilt', reason: 'corrupt', detail: `manifest: ${describe(error)}` };
    }
    // The manifest outlives any index: later saves continue its generation numbering.
    this.generation = manifest.generation;
    if (manifest.encoderId !== this.encoderId) {
      return { kind: 'rebuilt', reason: 'encoder-changed', detail: `${manifest.encoderId} -> ${this.encoderId}` };
    }
    if (manifest.dimension !== this.dimension) {
      return { kind: 'rebuilt', reason: 'dimension-changed', detail: `${manifest.dimension} -> ${this.dimension}` };
    }
    if (manifest.params.m !== this.params.m) {
      // M is baked into the graph's layout; efConstruction only affects future inserts.
      return { kind: 'rebuilt', reason: 'params-changed', detail: `m ${manifest.params.m} -> ${this.params.m}` };
    }
    const indexPath = join(dir, manifest.indexFile);
    try {
      if ((await sha256OfFile(indexPath)) !== manifest.indexSha256) {
        return { kind: 'rebuilt', reason: 'corrupt', detail: 'index checksum mismatch' };
      }
      const graph = new HierarchicalNSW('cosine', this.dimension);
      await graph.readIndex(indexPath, true);
      const deleted = new Set(manifest.deletedLabels);
      const live = graph.getIdsList().filter((label) => !deleted.has(label));
      if (live.length !== manifest.count) {
        return { kind: 'rebuilt', reason: 'corrupt', detail: `holds ${live.length} vectors, manifest says ${manifest.count}` };
      }
      this.graph = graph;
      for (const label of live) this.live.add(label);
      return { kind: 'loaded' };
    } catch (error) {
      if (isNotFound(error)) return { kind: 'rebuilt', reason: 'missing', detail: manifest.indexFile };
      return { kind: 'rebuilt', reason: 'corrupt', detail: describe(error) };
    }
  }

  private upsertNow(label: number, vector: Vector): void {
    if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
      throw new RangeError(`label must be an integer in [0, ${MAX_LABEL}], got ${label}`);
    }
    const point = this.toArray(vector);
    if (this.live.has(label) || this.reviveTombstone(label)) {
      this.graph.addPoint(point, label); // an existing label: hnswlib updates it in place
    } else {
      const tombstones = this.graph.getCurrentCount() - this.live.size;
      if (tombstones === 0) this.ensureFreeSlot();
      // With a tombstone available hnswlib reuses its slot instead of taking a new one.
      this.graph.addPoint(point, label, tombstones > 0);
    }
    this.live.add(label);
  }

  /**
   * Un-deletes `label` if its tombstone still holds a slot, so the caller updates that slot. It must
   * not be inserted as new: the stale tombstone with the same label would, once its slot was reused,
   * erase the new entry from hnswlib's label table and make it impossible to delete.
   */
  private reviveTombstone(label: number): boolean {
    try {
      this.graph.unmarkDelete(label);
      return true;
    } catch (error) {
      // Never added, or its slot was already reused by another label.
      if (describe(error).includes('Label not found')) return false;
      throw error;
    }
  }

  private ensureFreeSlot(): void {
    const capacity = this.graph.getMaxElements();
    if (this.graph.getCurrentCount() < capacity) return;
    const grown = Math.max(capacity + 1, Math.ceil(capacity * this.params.growthFactor));
    this.graph.resizeIndex(grown);
    this.logger?.info({ from: capacity, to: grown }, 'vector index grown');
  }

  private emptyGraph(): Graph {
    const graph = new HierarchicalNSW('cosine', this.dimension);
    graph.initIndex({
      maxElements: this.params.initialCapacity,
      m: this.params.m,
      efConstruction: this.params.efConstruction,
      allowReplaceDeleted: true,
    });
    return graph;
  }

  private toArray(vector: Vector): number[] {
    if (vector.length !== this.dimension) {
      throw new RangeError(`expected a vector of dimension ${this.dimension}, got ${vector.length}`);
    }
    // hnswlib-node accepts only plain arrays.
    return Array.isArray(vector) ? (vector as number[]) : Array.from(vector);
  }

  private enqueue<T>(operation: () => T | Promise<T>): Promise<T> {
    const result = this.writeQueue.then(operation);
    // A failed write must not block the ones queued after it.
    this.writeQueue = result.catch(() => undefined);
    return result;
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Flushes a file's (or directory's) data to disk, so a rename never exposes unwritten bytes. */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeIndexFilesExcept(dir: string, keep: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(
    names
      .filter((name) => name !== keep && (INDEX_FILE_PATTERN.test(name) || name === `${MANIFEST_FILE}.tmp`))
      .map((name) => rm(join(dir, name), { force: true })),
  );
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
