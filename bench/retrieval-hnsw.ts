// HNSW against exact search: builds a VectorIndex over n normalised vectors, then compares its top-10
// with brute-force top-10 for a set of held-out queries, and times single queries of both.
//
//   node --import tsx bench/retrieval-hnsw.ts [--n 100000] [--dim 256] [--queries 500]
//        [--distribution clustered|uniform] [--ef 64] [--m 16] [--ef-construction 200]
// Every flag can also be given as an environment variable: HNSW_N, HNSW_DIM, HNSW_QUERIES, ...
//
// "clustered" (the default) draws points from a mixture of Gaussians in a 64-dimensional subspace
// plus isotropic noise: sentence embeddings have a low intrinsic dimension and form topic clusters.
// "uniform" (random directions on the sphere) is the adversarial case for any graph index.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_HNSW_PARAMS, VectorIndex, type HnswParams } from '../src/retrieval/vector-index.ts';
import { createRandom } from '../src/fitting/random.ts';

export type Distribution = 'clustered' | 'uniform';

export interface HnswBenchOptions {
  n: number;
  dim: number;
  queries: number;
  k: number;
  distribution: Distribution;
  params: Partial<HnswParams>;
  seed: number;
}

export interface HnswBenchResult {
  bench: 'hnsw';
  n: number;
  dim: number;
  queries: number;
  distribution: Distribution;
  m: number;
  ef_construction: number;
  ef_search: number;
  hnsw_recall_at_10: number;
  query_p50_ms: number;
  query_p99_ms: number;
  exact_query_p50_ms: number;
  build_s: number;
}

export const DEFAULT_BENCH_OPTIONS: HnswBenchOptions = {
  n: 100_000,
  dim: 256,
  queries: 500,
  k: 10,
  distribution: 'clustered',
  params: {},
  seed: 42,
};

export async function measureHnsw(overrides: Partial<HnswBenchOptions> = {}): Promise<HnswBenchResult> {
  const options = { ...DEFAULT_BENCH_OPTIONS, ...overrides };
  const { n, dim, k } = options;
  const params = { ...DEFAULT_HNSW_PARAMS, ...options.params };
  const random = createRandom(options.seed);
  const sample = options.distribution === 'clustered' ? clusteredSampler(dim, random) : uniformSampler(dim, random);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) data.set(sample(), i * dim);
  const queries = Array.from({ length: options.queries }, sample);

  // Start small so the build also exercises growth, as a live index does.
  const index = VectorIndex.create({ dimension: dim, encoderId: 'bench', params: { ...params, initialCapacity: 1024 } });
  const buildStart = performance.now();
  await index.upsertMany(rowsOf(data, n, dim));
  const buildSeconds = (performance.now() - buildStart) / 1000;

  // The two searches run in separate loops: interleaved, each 25 ms exact scan would evict the
  // graph from the CPU caches and the HNSW timings would measure cache misses, not the index.
  const hnswTimes: number[] = [];
  const approximate = queries.map((query) => {
    const start = performance.now();
    const hits = index.search(query, k);
    hnswTimes.push(performance.now() - start);
    return hits;
  });
  const exactTimes: number[] = [];
  let found = 0;
  queries.forEach((query, i) => {
    const start = performance.now();
    const truth = new Set(exactTopK(data, n, dim, query, k));
    exactTimes.push(performance.now() - start);
    found += (approximate[i] ?? []).filter((hit) => truth.has(hit.label)).length;
  });

  return {
    bench: 'hnsw',
    n,
    dim,
    queries: queries.length,
    distribution: options.distribution,
    m: params.m,
    ef_construction: params.efConstruction,
    ef_search: params.efSearch,
    hnsw_recall_at_10: round(found / (queries.length * k), 4),
    query_p50_ms: round(percentile(hnswTimes, 0.5), 3),
    query_p99_ms: round(percentile(hnswTimes, 0.99), 3),
    exact_query_p50_ms: round(percentile(exactTimes, 0.5), 3),
    build_s: round(buildSeconds, 1),
  };
}

function* rowsOf(data: Float32Array, n: number, dim: number) {
  for (let label = 0; label < n; label++) yield { label, vector: data.subarray(label * dim, (label + 1) * dim) };
}

/** Labels of the k rows with the highest dot product (all rows are unit length, so cosine). */
function exactTopK(data: Float32Array, n: number, dim: number, query: Float32Array, k: number): number[] {
  const bestScores = new Float64Array(k).fill(-Infinity); // kept sorted, descending
  const bestLabels = new Int32Array(k).fill(-1);
  for (let row = 0; row < n; row++) {
    let dot = 0;
    const offset = row * dim;
    for (let j = 0; j < dim; j++) dot += (data[offset + j] as number) * (query[j] as number);
    if (dot <= (bestScores[k - 1] as number)) continue;
    let slot = k - 1;
    while (slot > 0 && dot > (bestScores[slot - 1] as number)) {
      bestScores[slot] = bestScores[slot - 1] as number;
      bestLabels[slot] = bestLabels[slot - 1] as number;
      slot--;
    }
    bestScores[slot] = dot;
    bestLabels[slot] = row;
  }
  return [...bestLabels];
}

type Sampler = () => Float32Array;

function uniformSampler(dim: number, random: () => number): Sampler {
  return () => normalize(Float32Array.from({ length: dim }, () => gaussian(random)));
}

function clusteredSampler(dim: number, random: () => number): Sampler {
  // Chosen so that clusters overlap and noise is not negligible: with 32 latent dimensions and
  // tight clusters every configuration scores a recall of 1.0, which would measure nothing.
  const latentDim = 64;
  const clusters = 1000;
  const spread = 1.0; // within-cluster deviation, relative to the spread of the cluster centres
  const noiseRatio = 0.3; // isotropic noise, relative to the norm of the structured part
  const basis = Array.from({ length: latentDim }, () => Float32Array.from({ length: dim }, () => gaussian(random)));
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: latentDim }, () => gaussian(random)));
  const noise = noiseRatio * Math.sqrt(latentDim * (1 + spread * spread));
  return () => {
    const centre = centres[Math.floor(random() * clusters)] as Float32Array;
    const point = new Float32Array(dim);
    for (let l = 0; l < latentDim; l++) {
      const coefficient = (centre[l] as number) + spread * gaussian(random);
      const direction = basis[l] as Float32Array;
      for (let j = 0; j < dim; j++) point[j] = (point[j] as number) + coefficient * (direction[j] as number);
    }
    for (let j = 0; j < dim; j++) point[j] = (point[j] as number) + noise * gaussian(random);
    return normalize(point);
  };
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < vector.length; j++) vector[j] = (vector[j] as number) / norm;
  return vector;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}


function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

export function optionsFromCommandLine(): Partial<HnswBenchOptions> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      dim: { type: 'string' },
      queries: { type: 'string' },
      distribution: { type: 'string' },
      m: { type: 'string' },
      'ef-construction': { type: 'string' },
      ef: { type: 'string' },
    },
  });
  const setting = (flag: keyof typeof values, env: string) => (values[flag] as string | undefined) ?? process.env[env];
  const integer = (flag: keyof typeof values, env: string) => {
    const raw = setting(flag, env);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${flag} must be a positive integer, got ${raw}`);
    return value;
  };
  const distribution = setting('distribution', 'HNSW_DISTRIBUTION');
  if (distribution !== undefined && distribution !== 'clustered' && distribution !== 'uniform') {
    throw new Error(`--distribution must be clustered or uniform, got ${distribution}`);
  }
  const params: Partial<HnswParams> = {};
  const m = integer('m', 'HNSW_M');
  const efConstruction = integer('ef-construction', 'HNSW_EF_CONSTRUCTION');
  const efSearch = integer('ef', 'HNSW_EF');
  if (m !== undefined) params.m = m;
  if (efConstruction !== undefined) params.efConstruction = efConstruction;
  if (efSearch !== undefined) params.efSearch = efSearch;
  const options: Partial<HnswBenchOptions> = { params };
  const n = integer('n', 'HNSW_N');
  const dim = integer('dim', 'HNSW_DIM');
  const queries = integer('queries', 'HNSW_QUERIES');
  if (n !== undefined) options.n = n;
  if (dim !== undefined) options.dim = dim;
  if (queries !== undefined) options.queries = queries;
  if (distribution !== undefined) options.distribution = distribution;
  return options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await measureHnsw(optionsFromCommandLine())));
}
