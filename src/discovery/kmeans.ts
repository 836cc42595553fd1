// k-means on dense rows (Lloyd's algorithm, greedy k-means++ seeding as in scikit-learn, the best
// of several seeded restarts by inertia). Points may carry weights (a deduplicated text stands for
// all of its copies).
import { createRandom } from '../fitting/random.ts';
import type { DenseMatrix } from './linalg.ts';

export interface KMeansResult {
  k: number;
  labels: Int32Array;
  centroids: DenseMatrix;
  /** Weighted sum of squared distances to the assigned centroid. */
  inertia: number;
  iterations: number;
}

export interface KMeansOptions {
  seed?: number;
  restarts?: number;
  maxIterations?: number;
  weights?: Float32Array;
}

function squaredNorms(m: DenseMatrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.columns; j++) s += m.data[i * m.columns + j]! * m.data[i * m.columns + j]!;
    out[i] = s;
  }
  return out;
}

function distance(points: DenseMatrix, i: number, pointNorm: number, centroids: DenseMatrix, c: number, centroidNorm: number): number {
  const d = points.columns;
  let dot = 0;
  const po = i * d;
  const co = c * d;
  for (let j = 0; j < d; j++) dot += points.data[po + j]! * centroids.data[co + j]!;
  return Math.max(0, pointNorm - 2 * dot + centroidNorm);
}

/** Greedy k-means++: each next centre is the best of 2 + ln k candidates drawn by D² weighting. */
function seedCentroids(points: DenseMatrix, norms: Float64Array, weights: Float32Array | undefined, k: number, random: () => number): DenseMatrix {
  const n = points.rows;
  const d = points.columns;
  const centroids: DenseMatrix = { rows: k, columns: d, data: new Float32Array(k * d) };
  const weightOf = (i: number) => (weights ? weights[i]! : 1);
  const pick = (cumulative: Float64Array, total: number) => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const uniform = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) uniform[i] = acc += weightOf(i);
  const first = pick(uniform, acc);
  centroids.data.set(points.data.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n);
  const one: DenseMatrix = { rows: 1, columns: d, data: centroids.data.subarray(0, d) };
  const oneNorm = norms[first]!;
  for (let i = 0; i < n; i++) closest[i] = distance(points, i, norms[i]!, one, 0, oneNorm);
  const trials = 2 + Math.floor(Math.log(k));
  const cumulative = new Float64Array(n);
  const candidateDistances = new Float64Array(n);
  const bestDistances = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) cumulative[i] = total += closest[i]! * weightOf(i);
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const candidate = total > 0 ? pick(cumulative, total) : Math.floor(random() * n);
      const candidateRow: DenseMatrix = { rows: 1, columns: d, data: points.data.subarray(candidate * d, candidate * d + d) };
      let potential = 0;
      for (let i = 0; i < n; i++) {
        const value = Math.min(closest[i]!, distance(points, i, norms[i]!, candidateRow, 0, norms[candidate]!));
        candidateDistances[i] = value;
        potential += value * weightOf(i);
      }
      if (potential < bestPotential) {
        bestPotential = potential;
        bestCandidate = candidate;
        bestDistances.set(candidateDistances);
      }
    }
    centroids.data.set(points.data.subarray(bestCandidate * d, bestCandidate * d + d), c * d);
    closest.set(bestDistances);
  }
  return centroids;
}

function lloyd(points: DenseMatrix, norms: Float64Array, weights: Float32Array | undefined, centroids: DenseMatrix, maxIterations: number): KMeansResult {
  const n = points.rows;
  const d = points.columns;
  const k = centroids.rows;
  const labels = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * d);
  const mass = new Float64Array(k);
  const pointDistance = new Float64Array(n);
  let inertia = 0;
  let iteration = 0;
  for (; iteration < maxIterations; iteration++) {
    const centroidNorms = squaredNorms(centroids);
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        const value = distance(points, i, norms[i]!, centroids, c, centroidNorms[c]!);
        if (value < bestDistance) {
          bestDistance = value;
          best = c;
        }
      }
      if (labels[i] !== best) changed++;
      labels[i] = best;
      pointDistance[i] = bestDistance;
      inertia += bestDistance * (weights ? weights[i]! : 1);
    }
    if (changed === 0 && iteration > 0) break;
    sums.fill(0);
    mass.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      const w = weights ? weights[i]! : 1;
      mass[c]! += w;
      for (let j = 0; j < d; j++) sums[c * d + j]! += w * points.data[i * d + j]!;
    }
    // An empty cluster takes the point farthest from its centroid.
    for (let c = 0; c < k; c++) {
      if (mass[c]! > 0) {
        for (let j = 0; j < d; j++) centroids.data[c * d + j] = sums[c * d + j]! / mass[c]!;
        continue;
      }
      let far = 0;
      let farDistance = -1;
      for (let i = 0; i < n; i++) {
        const value = mass[labels[i]!]! > 0 ? pointDistance[i]! : -1;
        if (value > farDistance) {
          farDistance = value;
          far = i;
        }
      }
      centroids.data.set(points.data.subarray(far * d, far * d + d), c * d);
      pointDistance[far] = -1;
    }
  }
  return { k, labels, centroids, inertia, iterations: iteration };
}

/** k-means with `restarts` seeded k-means++ starts; the lowest inertia wins. */
export function kmeans(points: DenseMatrix, k: number, options: KMeansOptions = {}): KMeansResult {
  const clusters = Math.max(1, Math.min(k, points.rows));
  const norms = squaredNorms(points);
  const random = createRandom((options.seed ?? 1) * 2654435761);
  let best: KMeansResult | null = null;
  for (let restart = 0; restart < (options.restarts ?? 4); restart++) {
    const centroids = seedCentroids(points, norms, options.weights, clusters, random);
    const result = lloyd(points, norms, options.weights, centroids, options.maxIterations ?? 100);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/** Index of the nearest centroid for each row of `points`. */
export function assignNearest(points: DenseMatrix, centroids: DenseMatrix): Int32Array {
  const norms = squaredNorms(points);
  const centroidNorms = squaredNorms(centroids);
  const labels = new Int32Array(points.rows);
  for (let i = 0; i < points.rows; i++) {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < centroids.rows; c++) {
      const value = distance(points, i, norms[i]!, centroids, c, centroidNorms[c]!);
      if (value < bestDistance) {
        bestDistance = value;
        best = c;
      }
    }
    labels[i] = best;
  }
  return labels;
}
