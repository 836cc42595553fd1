import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRandom } from '../../src/fitting/random.ts';
import { createSharedMemory, instantiateKernels } from '../../src/fitting/simd-kernels.ts';
import { createKernelState, Kernel, type KernelSettings, type MessageFeatures } from '../../src/fitting/training-kernel.ts';
import { trainModel } from '../../src/fitting/train-builtin.ts';
import { readDataset } from '../../src/corpus/datasets.ts';

const random = createRandom(3);
const uniform = () => random() - 0.5;
const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * (1 + Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

describe('SIMD training kernels', () => {
  const memory = createSharedMemory(1 << 20);
  const simd = instantiateKernels(memory);
  const f32 = new Float32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  /** Fills `length` floats from element `at` with uniform values; returns `at`. */
  const fill = (at: number, length: number) => {
    for (let i = 0; i < length; i++) f32[at + i] = uniform();
    return at;
  };

  it('axpy and dot equal the plain loops, including lengths that are not multiples of four', () => {
    for (const n of [0, 1, 3, 4, 7, 48, 77, 130]) {
      const x = fill(1000, n);
      const y = fill(2000, n);
      const before = f32.slice(y, y + n);
      let expected = 0;
      for (let i = 0; i < n; i++) expected += f32[x + i]! * f32[y + i]!;
      near(simd.dot(n, x * 4, y * 4), expected, 1e-5, `dot ${n}`);
      simd.axpy(n, 0.75, x * 4, y * 4);
      for (let i = 0; i < n; i++) near(f32[y + i]!, before[i]! + 0.75 * f32[x + i]!, 1e-6, `axpy ${n}`);
    }
  });

  it('sums embedding rows into a bag and scatters a gradient to row slots', () => {
    const width = 13;
    const table = fill(10_000, 40 * width);
    const rows = [3, 39, 0, 3];
    const weights = [0.5, -2, 1, 0.25];
    rows.forEach((row, k) => {
      i32[3000 + k] = row;
      f32[3100 + k] = weights[k]!;
    });
    simd.bag(width, table * 4, 3000 * 4, 3100 * 4, rows.length, 3200 * 4);
    for (let d = 0; d < width; d++) {
      const expected = rows.reduce((sum, row, k) => sum + Math.fround(weights[k]!) * f32[table + row * width + d]!, 0);
      near(f32[3200 + d]!, expected, 1e-5, 'bag');
    }
    const slots = 20_000;
    f32.fill(0, slots, slots + 3 * width);
    const source = fill(3300, width);
    [0, 2, 0].forEach((slot, k) => {
      i32[3400 + k] = (slots + slot * width) * 4;
      f32[3500 + k] = k + 1;
    });
    simd.scatter(width, 3400 * 4, 3500 * 4, 3, source * 4);
    for (let d = 0; d < width; d++) {
      near(f32[slots + d]!, 4 * f32[source + d]!, 1e-6, 'slot 0');
      near(f32[slots + width + d]!, 0, 0, 'slot 1');
      near(f32[slots + 2 * width + d]!, 2 * f32[source + d]!, 1e-6, 'slot 2');
    }
  });

  it('multiplies whole 4 × 2 blocks like the plain triple loop', () => {
    for (const [rows, columns, depth] of [[16, 256, 128], [4, 2, 4], [8, 6, 48]] as const) {
      const a = fill(40_000, rows * depth);
      const b = fill(80_000, columns * depth);
      const bias = fill(120_000, columns);
      simd.multiply(a * 4, rows, b * 4, columns, depth, bias * 4, 130_000 * 4);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < columns; j++) {
          let expected = f32[bias + j]!;
          for (let k = 0; k < depth; k++) expected += f32[a + i * depth + k]! * f32[b + j * depth + k]!;
          near(f32[130_000 + i * columns + j]!, expected, 1e-5, `multiply ${rows}×${columns}×${depth}`);
        }
      }
    }
  });

  it('runs the optimizers: row-wise AdaGrad with one or two gradients, and AdamW', () => {
    for (const both of [true, false]) {
      const width = 50;
      const [g0, g1, table] = [fill(150_000, width), fill(151_000, width), fill(152_000, width)];
      const before = f32.slice(table, table + width);
      f32[153_000] = 0.3;
      const [learningRate, scale] = [0.05, 1 / 32];
      const gradient = (d: number) => f32[g0 + d]! + (both ? f32[g1 + d]! : 0);
      let squared = 0;
      for (let d = 0; d < width; d++) squared += (gradient(d) * scale) ** 2;
      const accumulator = 0.3 + squared / width;
      simd.adagradRow(width, g0 * 4, both ? g1 * 4 : 0, table * 4, 153_000 * 4, learningRate, scale);
      near(f32[153_000]!, accumulator, 1e-5, 'accumulator');
      const step = (learningRate / (Math.sqrt(accumulator) + 1e-8)) * scale;
      for (let d = 0; d < width; d++) near(f32[table + d]!, before[d]! - step * gradient(d), 1e-5, 'AdaGrad row');
    }
    const n = 37;
    const [parameters, g0, g1, first, second] = [fill(160_000, n), fill(161_000, n), fill(162_000, n), fill(163_000, n), 164_000];
    for (let i = 0; i < n; i++) f32[second + i] = random() * 0.01;
    const [scale, rate, decay, c1, c2] = [1 / 32, 1e-3, 1e-4, 1 - 0.9 ** 5, 1 - 0.999 ** 5];
    const expected = Array.from({ length: n }, (_, i) => {
      const g = (f32[g0 + i]! + f32[g1 + i]!) * scale;
      const m = 0.9 * f32[first + i]! + 0.1 * g;
      const v = 0.999 * f32[second + i]! + 0.001 * g * g;
      return f32[parameters + i]! - rate * (m / c1 / (Math.sqrt(v / c2) + 1e-8) + decay * f32[parameters + i]!);
    });
    simd.adamw(n, parameters * 4, g0 * 4, g1 * 4, first * 4, second * 4, scale, rate, decay, c1, c2);
    expected.forEach((value, i) => near(f32[parameters + i]!, value, 1e-5, 'AdamW'));
  });
});

describe('training kernel', () => {
  it('computes the gradient of the loss (checked against finite differences)', () => {
    const shape = { vocabulary: 30, embedding: 8, hidden: 6, classes: 4 };
    const settings: KernelSettings = { batchSize: 5, featureDropout: 0, hiddenDropout: 0, labelSmoothing: 0.1, denseLearningRate: 1e-3, embeddingLearningRate: 0.05, weightDecay: 0, seed: 1 };
    const messages: MessageFeatures[] = Array.from({ length: 5 }, (_, i) => {
      const rows = Int32Array.from(new Set(Array.from({ length: 4 }, () => Math.floor(random() * shape.vocabulary))));
      const weights = Float32Array.from(rows, () => random() + 0.1);
      const norm = Math.hypot(...weights);
      return { rows, weights: weights.map((w) => w / norm), label: i === 4 ? -1 : i % shape.classes };
    });
    const state = createKernelState(shape, settings, messages, []);
    for (const parameters of [state.embedding, state.hiddenWeightT, state.hiddenBias, state.outputWeight, state.outputBias]) {
      for (let i = 0; i < parameters.length; i++) parameters[i] = uniform();
    }
    const kernel = new Kernel(state);
    kernel.gradients(0, 0, messages.length, 1);
    kernel.gradients(1, 0, messages.length, 1);

    // The loss in double precision, straight from the definition.
    const loss = () => {
      let total = 0;
      for (const { rows, weights, label } of messages) {
        const bag = new Float64Array(shape.embedding);
        rows.forEach((row, k) => {
          for (let d = 0; d < shape.embedding; d++) bag[d]! += weights[k]! * state.embedding[row * shape.embedding + d]!;
        });
        const hidden = Array.from({ length: shape.hidden }, (_, h) => {
          let z = state.hiddenBias[h]!;
          for (let d = 0; d < shape.embedding; d++) z += bag[d]! * state.hiddenWeightT[h * shape.embedding + d]!;
          return Math.max(z, 0);
        });
        const logits = Array.from({ length: shape.classes }, (_, c) => hidden.reduce((sum, a, h) => sum + a * state.outputWeight[h * shape.classes + c]!, state.outputBias[c]!));
        const max = Math.max(...logits);
        const logSum = Math.log(logits.reduce((sum, value) => sum + Math.exp(value - max), 0)) + max;
        logits.forEach((value, c) => {
          const target = label < 0 ? 1 / shape.classes : (c === label ? 0.9 : 0) + 0.1 / shape.classes;
          total -= target * (value - logSum);
        });
      }
      return total;
    };
    const [shard0, shard1] = state.shards as [typeof state.shards[0], typeof state.shards[0]];
    const rowGradient = (row: number, d: number) =>
      [shard0, shard1].reduce((sum, shard) => (shard.slotOfRow[row]! < 0 ? sum : sum + shard.rowGradients[shard.slotOfRow[row]! * shape.embedding + d]!), 0);
    const checks: Array<[string, Float32Array, number, number]> = [];
    for (let i = 0; i < state.hiddenWeightT.length; i += 5) checks.push(['hidden weight', state.hiddenWeightT, i, shard0.hiddenWeightT[i]! + shard1.hiddenWeightT[i]!]);
    for (let i = 0; i < state.hiddenBias.length; i++) checks.push(['hidden bias', state.hiddenBias, i, shard0.hiddenBias[i]! + shard1.hiddenBias[i]!]);
    for (let i = 0; i < state.outputWeight.length; i += 3) checks.push(['output weight', state.outputWeight, i, shard0.outputWeight[i]! + shard1.outputWeight[i]!]);
    for (let i = 0; i < state.outputBias.length; i++) checks.push(['output bias', state.outputBias, i, shard0.outputBias[i]! + shard1.outputBias[i]!]);
    for (const row of new Set(messages.flatMap((message) => [...message.rows]))) {
      for (let d = 0; d < shape.embedding; d += 3) checks.push([`embedding row ${row}`, state.embedding, row * shape.embedding + d, rowGradient(row, d)]);
    }
    const epsilon = 1e-3;
    for (const [what, parameters, index, analytic] of checks) {
      const original = parameters[index]!;
      parameters[index] = original + epsilon;
      const up = loss();
      parameters[index] = original - epsilon;
      const down = loss();
      parameters[index] = original;
      const numeric = (up - down) / (2 * epsilon);
      assert.ok(Math.abs(numeric - analytic) < 2e-3 + 1e-2 * Math.abs(numeric), `${what}[${index}]: analytic ${analytic}, numeric ${numeric}`);
    }
    assert.ok(checks.length > 40);
  });

  it('trains the same network on one thread as on two', async () => {
    const train = await readDataset(join(import.meta.dirname, '../nlu/fixtures/banking-subset-train.csv'));
    const quick = { embedding: 48, hidden: 64, maxEpochs: 3, patience: 3 };
    const results = [];
    for (const threads of [1, 2]) {
      const outDir = await mkdtemp(join(tmpdir(), 'frontdesk-threads-'));
      try {
        results.push(await trainModel(train, { outDir, seed: 5, hyperparameters: { ...quick, threads } }));
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    }
    const [one, two] = results as [(typeof results)[0], (typeof results)[0]];
    assert.deepEqual(two.network.embedding, one.network.embedding);
    assert.deepEqual(two.network.hiddenWeight, one.network.hiddenWeight);
    assert.deepEqual(two.network.outputWeight, one.network.outputWeight);
    assert.equal(two.meta.threshold, one.meta.threshold);
  });
});
