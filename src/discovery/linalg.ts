// The dense linear algebra discovery needs, on Float32Arrays in row-major order: products with a
// sparse matrix, a randomized truncated SVD (Halko, Martinsson and Tropp 2011: a Gaussian sketch,
// power iterations with re-orthonormalization, then the small exact problem), row normalization.
// Everything is seeded, so the same input and seed give the same numbers.
import { createRandom, normalDeviate } from '../fitting/random.ts';
import type { SparseMatrix } from './text-features.ts';

/** A dense matrix, row-major. */
export interface DenseMatrix {
  rows: number;
  columns: number;
  data: Float32Array;
}

export function dense(rows: number, columns: number): DenseMatrix {
  return { rows, columns, data: new Float32Array(rows * columns) };
}

/** X · D (X sparse n×V, D dense V×l) → n×l. */
export function sparseTimesDense(x: SparseMatrix, d: DenseMatrix): DenseMatrix {
  const l = d.columns;
  const out = dense(x.rows, l);
  const o = out.data;
  const dd = d.data;
  for (let i = 0; i < x.rows; i++) {
    const offset = i * l;
    for (let k = x.rowStart[i]!; k < x.rowStart[i + 1]!; k++) {
      const w = x.value[k]!;
      const source = x.column[k]! * l;
      for (let j = 0; j < l; j++) o[offset + j]! += w * dd[source + j]!;
    }
  }
  return out;
}

/** Xᵀ · Y (X sparse n×V, Y dense n×l) → V×l. */
export function sparseTransposeTimesDense(x: SparseMatrix, y: DenseMatrix): DenseMatrix {
  const l = y.columns;
  const out = dense(x.columns, l);
  const o = out.data;
  const yd = y.data;
  for (let i = 0; i < x.rows; i++) {
    const source = i * l;
    for (let k = x.rowStart[i]!; k < x.rowStart[i + 1]!; k++) {
      const w = x.value[k]!;
      const target = x.column[k]! * l;
      for (let j = 0; j < l; j++) o[target + j]! += w * yd[source + j]!;
    }
  }
  return out;
}

/** Aᵀ · A of a dense n×l matrix, in float64 (l×l). */
function gram(a: DenseMatrix): Float64Array {
  const l = a.columns;
  const g = new Float64Array(l * l);
  const row = new Float64Array(l);
  for (let i = 0; i < a.rows; i++) {
    const offset = i * l;
    for (let j = 0; j < l; j++) row[j] = a.data[offset + j]!;
    for (let p = 0; p < l; p++) {
      const v = row[p]!;
      if (v === 0) continue;
      const gp = p * l;
      for (let q = p; q < l; q++) g[gp + q]! += v * row[q]!;
    }
  }
  for (let p = 0; p < l; p++) for (let q = 0; q < p; q++) g[p * l + q] = g[q * l + p]!;
  return g;
}

/**
 * Orthonormal columns spanning those of `a` (in place): Cholesky QR, twice for accuracy. Columns
 * that are (nearly) dependent on earlier ones become zero instead of failing.
 */
export function orthonormalize(a: DenseMatrix): void {
  for (let pass = 0; pass < 2; pass++) {
    const l = a.columns;
    const g = gram(a);
    let trace = 0;
    for (let p = 0; p < l; p++) trace += g[p * l + p]!;
    const jitter = Math.max(trace, 1e-30) * 1e-12;
    // Cholesky G = Rᵀ R, R upper triangular (stored in g's upper part).
    const r = new Float64Array(l * l);
    for (let j = 0; j < l; j++) {
      let diagonal = g[j * l + j]! + jitter;
      for (let k = 0; k < j; k++) diagonal -= r[k * l + j]! * r[k * l + j]!;
      const rjj = diagonal > jitter ? Math.sqrt(diagonal) : 0;
      r[j * l + j] = rjj;
      for (let i = j + 1; i < l; i++) {
        let s = g[j * l + i]!;
        for (let k = 0; k < j; k++) s -= r[k * l + j]! * r[k * l + i]!;
        r[j * l + i] = rjj > 0 ? s / rjj : 0;
      }
    }
    // A ← A R⁻¹, row by row (forward substitution on each row).
    const row = new Float64Array(l);
    for (let i = 0; i < a.rows; i++) {
      const offset = i * l;
      for (let j = 0; j < l; j++) {
        let s = a.data[offset + j]!;
        for (let k = 0; k < j; k++) s -= row[k]! * r[k * l + j]!;
        row[j] = r[j * l + j]! > 0 ? s / r[j * l + j]! : 0;
      }
      for (let j = 0; j < l; j++) a.data[offset + j] = row[j]!;
    }
  }
}

/** Eigen-decomposition of a symmetric l×l matrix by cyclic Jacobi: eigenvalues descending, eigenvectors as columns. */
export function symmetricEigen(matrix: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += a[p * l + q]! * a[p * l + q]!;
    if (off < 1e-22) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * l + q]! - a[p * l + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = a[k * l + p]!;
          const akq = a[k * l + q]!;
          a[k * l + p] = c * akp - s * akq;
          a[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = a[p * l + k]!;
          const aqk = a[q * l + k]!;
          a[p * l + k] = c * apk - s * aqk;
          a[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p]!;
          const vkq = v[k * l + q]!;
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((x, y) => a[y * l + y]! - a[x * l + x]! || x - y);
  const values = Float64Array.from(order, (i) => a[i * l + i]!);
  const vectors = new Float64Array(l * l);
  order.forEach((source, target) => {
    for (let k = 0; k < l; k++) vectors[k * l + target] = v[k * l + source]!;
  });
  return { values, vectors };
}

export interface TruncatedSvd {
  /** Right singular vectors as a V×r matrix: a text's LSA vector is its TF-IDF row times this. */
  components: DenseMatrix;
  singularValues: Float64Array;
}

/** Randomized truncated SVD of a sparse matrix: the top `rank` right singular vectors. */
export function randomizedSvd(x: SparseMatrix, rank: number, options: { oversample?: number; iterations?: number; seed?: number } = {}): TruncatedSvd {
  const l = Math.min(rank + (options.oversample ?? 10), x.rows, x.columns);
  const r = Math.min(rank, l);
  const random = createRandom((options.seed ?? 1) ^ 0x5eed);
  const omega = dense(x.columns, l);
  for (let i = 0; i < omega.data.length; i++) omega.data[i] = normalDeviate(random);
  let y = sparseTimesDense(x, omega);
  orthonormalize(y);
  for (let iteration = 0; iteration < (options.iterations ?? 4); iteration++) {
    const z = sparseTransposeTimesDense(x, y);
    orthonormalize(z);
    y = sparseTimesDense(x, z);
    orthonormalize(y);
  }
  // B = Qᵀ X (l×V); held as Bᵀ = Xᵀ Q. B Bᵀ = W Λ Wᵀ gives σ = √λ and V = Bᵀ W Σ⁻¹.
  const bt = sparseTransposeTimesDense(x, y);
  const { values, vectors } = symmetricEigen(gram(bt), l);
  const components = dense(x.columns, r);
  const singularValues = new Float64Array(r);
  for (let j = 0; j < r; j++) singularValues[j] = Math.sqrt(Math.max(values[j]!, 0));
  const row = new Float64Array(l);
  for (let v = 0; v < x.columns; v++) {
    for (let k = 0; k < l; k++) row[k] = bt.data[v * l + k]!;
    for (let j = 0; j < r; j++) {
      const sigma = singularValues[j]!;
      if (sigma <= 0) continue;
      let s = 0;
      for (let k = 0; k < l; k++) s += row[k]! * vectors[k * l + j]!;
      components.data[v * r + j] = s / sigma;
    }
  }
  return { components, singularValues };
}

/** Scales every row to unit length (rows of zeros stay zero). */
export function normalizeRows(m: DenseMatrix): DenseMatrix {
  const c = m.columns;
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += m.data[i * c + j]! * m.data[i * c + j]!;
    if (s === 0) continue;
    const scale = 1 / Math.sqrt(s);
    for (let j = 0; j < c; j++) m.data[i * c + j]! *= scale;
  }
  return m;
}

/** Dot product of row i of a and row j of b (same width). */
export function rowDot(a: DenseMatrix, i: number, b: DenseMatrix, j: number): number {
  const c = a.columns;
  let s = 0;
  const ao = i * c;
  const bo = j * c;
  for (let k = 0; k < c; k++) s += a.data[ao + k]! * b.data[bo + k]!;
  return s;
}
