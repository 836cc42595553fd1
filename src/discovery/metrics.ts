// Clustering against gold labels: normalized mutual information (arithmetic-mean normalization, as
// scikit-learn's default), adjusted Rand index, and clustering accuracy: the share of items right
// under the best one-to-one matching of clusters to labels (Hungarian algorithm).

function contingency(gold: ArrayLike<number>, predicted: ArrayLike<number>): { table: Map<number, Map<number, number>>; goldCounts: Map<number, number>; predictedCounts: Map<number, number>; n: number } {
  const table = new Map<number, Map<number, number>>();
  const goldCounts = new Map<number, number>();
  const predictedCounts = new Map<number, number>();
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = predicted[i]!;
    let row = table.get(g);
    if (!row) table.set(g, (row = new Map()));
    row.set(p, (row.get(p) ?? 0) + 1);
    goldCounts.set(g, (goldCounts.get(g) ?? 0) + 1);
    predictedCounts.set(p, (predictedCounts.get(p) ?? 0) + 1);
  }
  return { table, goldCounts, predictedCounts, n: gold.length };
}

function entropy(counts: Map<number, number>, n: number): number {
  let h = 0;
  for (const count of counts.values()) if (count > 0) h -= (count / n) * Math.log(count / n);
  return h;
}

export function normalizedMutualInformation(gold: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const { table, goldCounts, predictedCounts, n } = contingency(gold, predicted);
  if (n === 0) return 0;
  let mi = 0;
  for (const [g, row] of table) {
    for (const [p, count] of row) mi += (count / n) * Math.log((count * n) / (goldCounts.get(g)! * predictedCounts.get(p)!));
  }
  const hg = entropy(goldCounts, n);
  const hp = entropy(predictedCounts, n);
  if (hg === 0 && hp === 0) return 1;
  const mean = (hg + hp) / 2;
  return mean > 0 ? Math.max(0, mi) / mean : 0;
}

export function adjustedRandIndex(gold: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const { table, goldCounts, predictedCounts, n } = contingency(gold, predicted);
  const pairs = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const row of table.values()) for (const count of row.values()) index += pairs(count);
  let goldPairs = 0;
  for (const count of goldCounts.values()) goldPairs += pairs(count);
  let predictedPairs = 0;
  for (const count of predictedCounts.values()) predictedPairs += pairs(count);
  const expected = (goldPairs * predictedPairs) / pairs(n);
  const max = (goldPairs + predictedPairs) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/**
 * Minimum-cost assignment of rows to columns of a cost matrix (rows ≤ columns), by the Hungarian
 * algorithm with potentials (Kuhn–Munkres, O(rows² · columns)). Returns the column of each row.
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  const m = n === 0 ? 0 : cost[0]!.length;
  if (n > m) throw new Error('hungarian: more rows than columns');
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row (1-based) matched to column j
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const current = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (current < minv[j]!) {
          minv[j] = current;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  const assignment = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) assignment[p[j]! - 1] = j - 1;
  return assignment;
}

/** Share of items whose cluster maps to their gold label under the best one-to-one matching. */
export function clusteringAccuracy(gold: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const { table, n } = contingency(gold, predicted);
  if (n === 0) return 0;
  const goldIds = [...table.keys()];
  const predictedIds = [...new Set(Array.from(predicted))];
  // Rows are the smaller side; the cost is minus the overlap.
  const clustersAsRows = predictedIds.length <= goldIds.length;
  const rows = clustersAsRows ? predictedIds : goldIds;
  const columns = clustersAsRows ? goldIds : predictedIds;
  const overlap = (r: number, c: number) => (clustersAsRows ? table.get(c)?.get(r) : table.get(r)?.get(c)) ?? 0;
  const cost = rows.map((r) => columns.map((c) => -overlap(r, c)));
  const assignment = hungarian(cost);
  let right = 0;
  assignment.forEach((column, row) => {
    if (column >= 0) right += overlap(rows[row]!, columns[column]!);
  });
  return right / n;
}

export interface ClusteringScores {
  nmi: number;
  ari: number;
  accuracy: number;
  clusters: number;
}

/** NMI, ARI and accuracy of predicted clusters against gold labels (any strings or numbers). */
export function scoreClustering(gold: readonly (string | number)[], predicted: ArrayLike<number>): ClusteringScores {
  const ids = new Map<string | number, number>();
  const goldIds = gold.map((label) => {
    let id = ids.get(label);
    if (id === undefined) ids.set(label, (id = ids.size));
    return id;
  });
  return {
    nmi: normalizedMutualInformation(goldIds, predicted),
    ari: adjustedRandIndex(goldIds, predicted),
    accuracy: clusteringAccuracy(goldIds, predicted),
    clusters: new Set(Array.from(predicted)).size,
  };
}
