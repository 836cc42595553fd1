// The neighbourhood graph of the requests and its spectral embedding: every request is linked to
// its nearest neighbours (cosine of the LSA vectors), the links made symmetric, and the top
// eigenvectors of the normalized adjacency D^-1/2 A D^-1/2 (found by subspace iteration on the
// sparse graph) give each request coordinates in which requests that are connected by many short
// paths sit together (Ng, Jordan and Weiss 2001). Eigenvalues near 1 count well-separated groups
// (the eigengap), which is how the number of clusters is chosen when none is given.
import { createRandom, normalDeviate } from '../fitting/random.ts';
import { instantiateKernels } from '../fitting/simd-kernels.ts';
import { inSharedMemory } from '../fitting/training-kernel.ts';
import { dense, normalizeRows, orthonormalize, symmetricEigen, type DenseMatrix } from './linalg.ts';
import type { SparseMatrix } from './text-features.ts';

export interface Neighbours {
  k: number;
  index: Int32Array;
  similarity: Float32Array;
}

/** Rows whose similarities to every row are computed at once (a multiple of 4). */
const BLOCK_ROWS = 64;

/**
 * The `k` nearest rows of every row by dot product (rows unit length: cosine), by exact search: the
 * similarities of a block of rows to all rows by the trainer's blocked SIMD product (rows and
 * depth zero-padded to its multiples of 4), then the best k of each row.
 */
export function nearestNeighbours(points: DenseMatrix, k: number, onRow?: (done: number, total: number) => void): Neighbours {
  const n = points.rows;
  const d = points.columns;
  const kk = Math.min(k, n - 1);
  const index = new Int32Array(n * kk);
  const similarity = new Float32Array(n * kk).fill(-Infinity);
  const depth = Math.ceil(d / 4) * 4;
  const padded = Math.ceil(n / BLOCK_ROWS) * BLOCK_ROWS;
  const { value: buffers, memory } = inSharedMemory((alloc) => ({ points: alloc.float32(padded * depth), zeros: alloc.float32(padded), block: alloc.float32(BLOCK_ROWS * padded) }));
  for (let i = 0; i < n; i++) buffers.points.set(points.data.subarray(i * d, (i + 1) * d), i * depth);
  const simd = instantiateKernels(memory);
  const { block } = buffers;
  for (let first = 0; first < n; first += BLOCK_ROWS) {
    simd.multiply(buffers.points.byteOffset + first * depth * 4, BLOCK_ROWS, buffers.points.byteOffset, padded, depth, buffers.zeros.byteOffset, block.byteOffset);
    for (let i = first; i < Math.min(first + BLOCK_ROWS, n); i++) {
      const row = (i - first) * padded;
      const base = i * kk;
      // A small sorted list (descending) of the best so far.
      let worst = -Infinity;
      let filled = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const s = block[row + j]!;
        if (filled === kk && s <= worst) continue;
        let at = filled < kk ? filled++ : kk - 1;
        while (at > 0 && similarity[base + at - 1]! < s) {
          similarity[base + at] = similarity[base + at - 1]!;
          index[base + at] = index[base + at - 1]!;
          at--;
        }
        similarity[base + at] = s;
        index[base + at] = j;
        worst = similarity[base + kk - 1]!;
      }
    }
    onRow?.(Math.min(first + BLOCK_ROWS, n), n);
  }
  return { k: kk, index, similarity };
}

/** Symmetric weighted adjacency: i–j linked when either is among the other's neighbours (weight: the cosine, at least a small floor). */
export function neighbourGraph(neighbours: Neighbours, n: number): SparseMatrix {
  const links: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < neighbours.k; q++) {
      const j = neighbours.index[i * neighbours.k + q]!;
      const w = Math.max(neighbours.similarity[i * neighbours.k + q]!, 1e-3);
      links[i]!.set(j, Math.max(links[i]!.get(j) ?? 0, w));
      links[j]!.set(i, Math.max(links[j]!.get(i) ?? 0, w));
    }
  }
  const rowStart = new Int32Array(n + 1);
  let nnz = 0;
  for (let i = 0; i < n; i++) nnz += links[i]!.size;
  const column = new Int32Array(nnz);
  const value = new Float32Array(nnz);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (const [j, w] of [...links[i]!].sort((a, b) => a[0] - b[0])) {
      column[at] = j;
      value[at] = w;
      at++;
    }
    rowStart[i + 1] = at;
  }
  return { rows: n, columns: n, rowStart, column, value };
}

export interface SpectralEmbedding {
  /** n × width, rows of the top eigenvectors (not yet normalized). */
  vectors: DenseMatrix;
  /** Eigenvalues of the normalized adjacency, descending. */
  eigenvalues: Float64Array;
}

/**
 * The top `width` eigenvectors of D^-1/2 A D^-1/2 by subspace iteration on (M + I)/2 (eigenvalues
 * shifted into [0, 1], so the top ones dominate), with a Rayleigh–Ritz step at the end.
 */
export function spectralEmbedding(graph: SparseMatrix, width: number, options: { iterations?: number; seed?: number; onIteration?: (done: number, total: number) => void } = {}): SpectralEmbedding {
  const n = graph.rows;
  const l = Math.min(width + 8, n);
  const degree = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let p = graph.rowStart[i]!; p < graph.rowStart[i + 1]!; p++) degree[i]! += graph.value[p]!;
  const weight = new Float32Array(graph.value.length);
  for (let i = 0; i < n; i++) {
    for (let p = graph.rowStart[i]!; p < graph.rowStart[i + 1]!; p++) weight[p] = graph.value[p]! / Math.sqrt(degree[i]! * degree[graph.column[p]!]! || 1);
  }
  const multiply = (y: DenseMatrix, shift: boolean): DenseMatrix => {
    const z = dense(n, l);
    for (let i = 0; i < n; i++) {
      const zo = i * l;
      for (let p = graph.rowStart[i]!; p < graph.rowStart[i + 1]!; p++) {
        const w = weight[p]!;
        const yo = graph.column[p]! * l;
        for (let c = 0; c < l; c++) z.data[zo + c]! += w * y.data[yo + c]!;
      }
      if (shift) for (let c = 0; c < l; c++) z.data[zo + c] = (z.data[zo + c]! + y.data[zo + c]!) / 2;
    }
    return z;
  };
  const random = createRandom((options.seed ?? 1) ^ 0xa11ce);
  let y = dense(n, l);
  for (let i = 0; i < y.data.length; i++) y.data[i] = normalDeviate(random);
  orthonormalize(y);
  const iterations = options.iterations ?? 100;
  for (let iteration = 0; iteration < iterations; iteration++) {
    y = multiply(y, true);
    // Re-orthonormalizing every few steps keeps the block's rank (the eigenvalues are in [0, 1], so
    // no column grows out of range) at a fraction of the cost of doing it every step.
    if (iteration % 5 === 4 || iteration === iterations - 1) orthonormalize(y);
    options.onIteration?.(iteration + 1, iterations);
  }
  // Rayleigh–Ritz: eigenpairs of Yᵀ M Y give the eigenvalue order and rotate Y onto eigenvectors.
  const my = multiply(y, false);
  const h = new Float64Array(l * l);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < l; a++) {
      const ya = y.data[i * l + a]!;
      if (ya === 0) continue;
      for (let b = 0; b < l; b++) h[a * l + b]! += ya * my.data[i * l + b]!;
    }
  }
  for (let a = 0; a < l; a++) for (let b = a + 1; b < l; b++) h[a * l + b] = h[b * l + a] = (h[a * l + b]! + h[b * l + a]!) / 2;
  const { values, vectors } = symmetricEigen(h, l);
  const w = Math.min(width, l);
  const out = dense(n, w);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < w; c++) {
      let s = 0;
      for (let a = 0; a < l; a++) s += y.data[i * l + a]! * vectors[a * l + c]!;
      out.data[i * w + c] = s;
    }
  }
  return { vectors: out, eigenvalues: values.slice(0, w) };
}

/** The first `k` columns of a spectral embedding, rows scaled to unit length: what k-means clusters. */
export function spectralCoordinates(embedding: SpectralEmbedding, k: number): DenseMatrix {
  const { vectors } = embedding;
  const w = Math.min(k, vectors.columns);
  const out = dense(vectors.rows, w);
  for (let i = 0; i < vectors.rows; i++) for (let c = 0; c < w; c++) out.data[i * w + c] = vectors.data[i * vectors.columns + c]!;
  return normalizeRows(out);
}
