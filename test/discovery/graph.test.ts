import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestNeighbours } from '../../src/discovery/graph.ts';
import { normalizeRows, rowDot, type DenseMatrix } from '../../src/discovery/linalg.ts';
import { createRandom } from '../../src/fitting/random.ts';

test('nearest neighbours by the blocked product equal a plain scan, with rows and width not multiples of 4', () => {
  const random = createRandom(11);
  const points: DenseMatrix = normalizeRows({ rows: 150, columns: 10, data: Float32Array.from({ length: 1500 }, () => random() - 0.5) });
  const found = nearestNeighbours(points, 4);
  assert.equal(found.k, 4);
  for (let i = 0; i < points.rows; i++) {
    const expected = Array.from({ length: points.rows }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => ({ j, s: rowDot(points, i, points, j) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 4);
    assert.deepEqual([...found.index.subarray(i * 4, i * 4 + 4)], expected.map((e) => e.j), `row ${i}`);
    expected.forEach((e, q) => assert.ok(Math.abs(found.similarity[i * 4 + q]! - e.s) < 1e-5));
  }
});
