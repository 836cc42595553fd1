// The inner loops of training as a small WebAssembly module with 128-bit SIMD (f32x4), assembled
// here from opcodes at run time: no toolchain, no binary in the repository. JavaScript has no SIMD,
// and these loops (sums of embedding rows, the fused backward pass of each hidden unit, the
// row-wise AdaGrad step) are most of the training time. The module works on one shared
// WebAssembly.Memory, so the worker thread runs the same code on the same arrays.
//
// Every pointer argument is a byte address in that memory; every array is float32 unless named
// otherwise. Sums of four lanes are added in one fixed order, so results do not depend on the thread.

// ---- A minimal assembler -------------------------------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
type ValueType = typeof I32 | typeof F32 | typeof V128;

function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

const encoder = new TextEncoder();
const name = (text: string) => [...uleb(encoder.encode(text).length), ...encoder.encode(text)];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** Instructions, as functions that return their bytes. */
const op = {
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  f32: (value: number) => [0x43, ...new Uint8Array(Float32Array.of(value).buffer)],
  call: (index: number) => [0x10, ...uleb(index)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  f32Ne: [0x5c],
  f32FromI32: [0xb2],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  i32Load: [0x28, 2, 0],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  v128Load: [0xfd, ...uleb(0x00), 4, 0],
  v128Store: [0xfd, ...uleb(0x0b), 4, 0],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32x4Lane: (lane: number) => [0xfd, ...uleb(0x1f), lane],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  end: [0x0b],
  ifThen: [0x04, 0x40],
  else: [0x05],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
};

/** One function under construction: parameters first, then locals, then code. */
class FunctionBuilder {
  readonly code: number[] = [];
  private readonly locals: ValueType[] = [];
  constructor(
    readonly exportName: string,
    readonly params: ValueType[],
    readonly results: ValueType[],
  ) {}

  local(type: ValueType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  emit(...parts: number[][]): void {
    for (const part of parts) this.code.push(...part);
  }

  /** for (counter = from; counter < limit; counter += step) body — all i32 locals or constants. */
  loop(counter: number, from: number[], limit: number[], step: number, body: () => void): void {
    this.emit(from, op.set(counter), op.block, op.loop, op.get(counter), limit, op.i32GeU, op.brIf(1));
    body();
    this.emit(op.get(counter), op.i32(step), op.i32Add, op.set(counter), op.br(0), op.end, op.end);
  }

  /** The four lanes of a v128 local, summed as (0 + 1) + (2 + 3). */
  lanes(vector: number): void {
    this.emit(op.get(vector), op.f32x4Lane(0), op.get(vector), op.f32x4Lane(1), op.f32Add, op.get(vector), op.f32x4Lane(2), op.get(vector), op.f32x4Lane(3), op.f32Add, op.f32Add);
  }

  body(): number[] {
    const groups = this.locals.map((type) => [1, type]);
    const bytes = [...vector(groups), ...this.code, ...op.end];
    return [...uleb(bytes.length), ...bytes];
  }
}

/** Address `base + index * 4` (an f32 element), from i32 locals. */
const element = (base: number, index: number) => [...op.get(base), ...op.get(index), ...op.i32(2), ...op.i32Shl, ...op.i32Add];
/** Address `base + offset` from i32 locals (offset in bytes). */
const at = (base: number, offset: number) => [...op.get(base), ...op.get(offset), ...op.i32Add];
/** `count` rounded down to a multiple of 4, times 4: the bytes covered by whole f32x4 vectors. */
const vectorBytes = (count: number) => [...op.get(count), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl];
const bytesOf = (count: number) => [...op.get(count), ...op.i32(2), ...op.i32Shl];

// ---- The kernels ---------------------------------------------------------------------------------

const FUNCTIONS: FunctionBuilder[] = [];
function define(exportName: string, params: ValueType[], results: ValueType[], build: (f: FunctionBuilder) => void): number {
  const f = new FunctionBuilder(exportName, params, results);
  build(f);
  FUNCTIONS.push(f);
  return FUNCTIONS.length - 1;
}

/** axpy(n, a, x, y): y[0..n) += a · x[0..n). */
const AXPY = define('axpy', [I32, F32, I32, I32], [], (f) => {
  const [n, a, x, y] = [0, 1, 2, 3];
  const i = f.local(I32);
  const end = f.local(I32);
  const scale = f.local(V128);
  f.emit(op.get(a), op.f32x4Splat, op.set(scale), vectorBytes(n), op.set(end));
  f.loop(i, op.i32(0), op.get(end), 16, () => {
    f.emit(at(y, i), at(y, i), op.v128Load, op.get(scale), at(x, i), op.v128Load, op.f32x4Mul, op.f32x4Add, op.v128Store);
  });
  f.emit(bytesOf(n), op.set(end));
  f.loop(i, op.get(i), op.get(end), 4, () => {
    f.emit(at(y, i), at(y, i), op.f32Load, op.get(a), at(x, i), op.f32Load, op.f32Mul, op.f32Add, op.f32Store);
  });
});

/** dot(n, x, y) = Σ x[k] · y[k] over [0, n). */
define('dot', [I32, I32, I32], [F32], (f) => {
  const [n, x, y] = [0, 1, 2];
  const i = f.local(I32);
  const end = f.local(I32);
  const sum = f.local(V128);
  const tail = f.local(F32);
  f.emit(op.f32(0), op.f32x4Splat, op.set(sum), vectorBytes(n), op.set(end));
  f.loop(i, op.i32(0), op.get(end), 16, () => {
    f.emit(op.get(sum), at(x, i), op.v128Load, at(y, i), op.v128Load, op.f32x4Mul, op.f32x4Add, op.set(sum));
  });
  f.emit(bytesOf(n), op.set(end));
  f.loop(i, op.get(i), op.get(end), 4, () => {
    f.emit(op.get(tail), at(x, i), op.f32Load, at(y, i), op.f32Load, op.f32Mul, op.f32Add, op.set(tail));
  });
  f.lanes(sum);
  f.emit(op.get(tail), op.f32Add);
});

/**
 * bag(width, table, rows, weights, count, out): out[0..width) = Σ_k weights[k] · table[rows[k]]
 * (rows: i32 row indices of the [?, width] table).
 */
define('bag', [I32, I32, I32, I32, I32, I32], [], (f) => {
  const [width, table, rows, weights, count, out] = [0, 1, 2, 3, 4, 5];
  const k = f.local(I32);
  f.loop(k, op.i32(0), bytesOf(width), 4, () => f.emit(at(out, k), op.f32(0), op.f32Store));
  f.loop(k, op.i32(0), op.get(count), 1, () => {
    f.emit(op.get(width), element(weights, k), op.f32Load);
    f.emit(op.get(table), element(rows, k), op.i32Load, op.get(width), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add);
    f.emit(op.get(out), op.call(AXPY));
  });
});

/** scatter(width, addresses, weights, count, source): for each k, [addresses[k]] += weights[k] · source. */
define('scatter', [I32, I32, I32, I32, I32], [], (f) => {
  const [width, addresses, weights, count, source] = [0, 1, 2, 3, 4];
  const k = f.local(I32);
  f.loop(k, op.i32(0), op.get(count), 1, () => {
    f.emit(op.get(width), element(weights, k), op.f32Load, op.get(source), element(addresses, k), op.i32Load, op.call(AXPY));
  });
});

/** logits(count, units, hidden, classes, outputWeight, logits): logits += Σ_a hidden[units[a]] · W2[units[a]]. */
define('logits', [I32, I32, I32, I32, I32, I32], [], (f) => {
  const [count, units, hidden, classes, weight, logits] = [0, 1, 2, 3, 4, 5];
  const a = f.local(I32);
  const h = f.local(I32);
  f.loop(a, op.i32(0), op.get(count), 1, () => {
    f.emit(element(units, a), op.i32Load, op.set(h));
    f.emit(op.get(classes), element(hidden, h), op.f32Load);
    f.emit(op.get(weight), op.get(h), op.get(classes), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add, op.get(logits), op.call(AXPY));
  });
});

/**
 * backward(count, units, hidden, keep, outputGradient, classes, outputWeight, outputWeightGradient,
 * width, bag, inputWeight, inputWeightGradient, hiddenBiasGradient, bagGradient): for each active
 * unit h = units[a] (ReLU positive, not dropped: its dropout factor is keep = 1 / (1 − p)), one pass
 * over its output weights (their gradient hidden[h] · g, and the sum s = Σ_c W2[h, c] · g[c]), then
 * with g1 = s · keep one pass over its input weights (their
 * gradient g1 · bag, and bagGradient += g1 · W1ᵀ[h]); hiddenBiasGradient[h] += g1.
 */
define('backward', [I32, I32, I32, F32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], [], (f) => {
  const [count, units, hidden, keep, gradient, classes, w2, dw2, width, bag, w1, dw1, db1, bagGradient] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const a = f.local(I32);
  const h = f.local(I32);
  const row = f.local(I32);
  const i = f.local(I32);
  const end = f.local(I32);
  const value = f.local(F32);
  const tail = f.local(F32);
  const g1 = f.local(F32);
  const valueVector = f.local(V128);
  const sum = f.local(V128);
  const g = f.local(V128);
  f.loop(a, op.i32(0), op.get(count), 1, () => {
    f.emit(element(units, a), op.i32Load, op.set(h));
    f.emit(element(hidden, h), op.f32Load, op.tee(value), op.f32x4Splat, op.set(valueVector));
    // Output weights of unit h: row offset in bytes.
    f.emit(op.get(h), op.get(classes), op.i32Mul, op.i32(2), op.i32Shl, op.set(row));
    f.emit(op.f32(0), op.f32x4Splat, op.set(sum), op.f32(0), op.set(tail), vectorBytes(classes), op.set(end));
    f.loop(i, op.i32(0), op.get(end), 16, () => {
      f.emit(at(gradient, i), op.v128Load, op.set(g));
      // dw2[row + i] += value · g
      f.emit(op.get(dw2), op.get(row), op.i32Add, op.get(i), op.i32Add);
      f.emit(op.get(dw2), op.get(row), op.i32Add, op.get(i), op.i32Add, op.v128Load, op.get(valueVector), op.get(g), op.f32x4Mul, op.f32x4Add, op.v128Store);
      // sum += w2[row + i] · g
      f.emit(op.get(sum), op.get(w2), op.get(row), op.i32Add, op.get(i), op.i32Add, op.v128Load, op.get(g), op.f32x4Mul, op.f32x4Add, op.set(sum));
    });
    f.emit(bytesOf(classes), op.set(end));
    f.loop(i, op.get(i), op.get(end), 4, () => {
      f.emit(op.get(dw2), op.get(row), op.i32Add, op.get(i), op.i32Add);
      f.emit(op.get(dw2), op.get(row), op.i32Add, op.get(i), op.i32Add, op.f32Load, op.get(value), at(gradient, i), op.f32Load, op.f32Mul, op.f32Add, op.f32Store);
      f.emit(op.get(tail), op.get(w2), op.get(row), op.i32Add, op.get(i), op.i32Add, op.f32Load, at(gradient, i), op.f32Load, op.f32Mul, op.f32Add, op.set(tail));
    });
    f.lanes(sum);
    f.emit(op.get(tail), op.f32Add, op.get(keep), op.f32Mul, op.tee(g1), op.f32(0), op.f32Ne, op.ifThen);
    {
      f.emit(element(db1, h), element(db1, h), op.f32Load, op.get(g1), op.f32Add, op.f32Store);
      f.emit(op.get(g1), op.f32x4Splat, op.set(valueVector));
      f.emit(op.get(h), op.get(width), op.i32Mul, op.i32(2), op.i32Shl, op.set(row));
      f.emit(vectorBytes(width), op.set(end));
      f.loop(i, op.i32(0), op.get(end), 16, () => {
        f.emit(op.get(dw1), op.get(row), op.i32Add, op.get(i), op.i32Add);
        f.emit(op.get(dw1), op.get(row), op.i32Add, op.get(i), op.i32Add, op.v128Load, op.get(valueVector), at(bag, i), op.v128Load, op.f32x4Mul, op.f32x4Add, op.v128Store);
        f.emit(at(bagGradient, i), at(bagGradient, i), op.v128Load, op.get(valueVector), op.get(w1), op.get(row), op.i32Add, op.get(i), op.i32Add, op.v128Load, op.f32x4Mul, op.f32x4Add, op.v128Store);
      });
      f.emit(bytesOf(width), op.set(end));
      f.loop(i, op.get(i), op.get(end), 4, () => {
        f.emit(op.get(dw1), op.get(row), op.i32Add, op.get(i), op.i32Add);
        f.emit(op.get(dw1), op.get(row), op.i32Add, op.get(i), op.i32Add, op.f32Load, op.get(g1), at(bag, i), op.f32Load, op.f32Mul, op.f32Add, op.f32Store);
        f.emit(at(bagGradient, i), at(bagGradient, i), op.f32Load, op.get(g1), op.get(w1), op.get(row), op.i32Add, op.get(i), op.i32Add, op.f32Load, op.f32Mul, op.f32Add, op.f32Store);
      });
    }
    f.emit(op.end);
  });
});

/**
 * multiply(a, rows, b, columns, depth, bias, out): out[i, j] = Σ_k a[i, k] · b[j, k] + bias[j] for
 * row-major a [rows, depth], b [columns, depth]. Only whole blocks of 4 rows × 2 columns, with
 * depth a multiple of 4: the caller does the rest with dot.
 */
define('multiply', [I32, I32, I32, I32, I32, I32, I32], [], (f) => {
  const [a, rows, b, columns, depth, bias, out] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32);
  const j = f.local(I32);
  const k = f.local(I32);
  const stride = f.local(I32);
  const a0 = f.local(I32);
  const b0 = f.local(I32);
  const o = f.local(I32);
  const rowLimit = f.local(I32);
  const columnLimit = f.local(I32);
  const s = Array.from({ length: 8 }, () => f.local(V128));
  const x = f.local(V128);
  const y = f.local(V128);
  const p = Array.from({ length: 4 }, () => f.local(V128));
  f.emit(bytesOf(depth), op.set(stride));
  f.emit(op.get(rows), op.i32(-4), op.i32And, op.set(rowLimit), op.get(columns), op.i32(-2), op.i32And, op.set(columnLimit));
  f.loop(i, op.i32(0), op.get(rowLimit), 4, () => {
    f.emit(op.get(a), op.get(i), op.get(stride), op.i32Mul, op.i32Add, op.set(a0));
    f.loop(j, op.i32(0), op.get(columnLimit), 2, () => {
      f.emit(op.get(b), op.get(j), op.get(stride), op.i32Mul, op.i32Add, op.set(b0));
      for (const sum of s) f.emit(op.f32(0), op.f32x4Splat, op.set(sum));
      f.loop(k, op.i32(0), op.get(stride), 16, () => {
        f.emit(at(b0, k), op.v128Load, op.set(x));
        f.emit(op.get(b0), op.get(stride), op.i32Add, op.get(k), op.i32Add, op.v128Load, op.set(y));
        for (let r = 0; r < 4; r++) {
          f.emit(op.get(a0), op.get(stride), op.i32(r), op.i32Mul, op.i32Add, op.get(k), op.i32Add, op.v128Load, op.set(p[r]!));
          f.emit(op.get(s[2 * r]!), op.get(p[r]!), op.get(x), op.f32x4Mul, op.f32x4Add, op.set(s[2 * r]!));
          f.emit(op.get(s[2 * r + 1]!), op.get(p[r]!), op.get(y), op.f32x4Mul, op.f32x4Add, op.set(s[2 * r + 1]!));
        }
      });
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 2; c++) {
          // out[(i + r) · columns + j + c] = lanes(s) + bias[j + c]
          f.emit(op.get(i), op.i32(r), op.i32Add, op.get(columns), op.i32Mul, op.get(j), op.i32Add, op.i32(c), op.i32Add, op.set(o));
          f.emit(element(out, o));
          f.lanes(s[2 * r + c]!);
          f.emit(op.get(bias), op.get(j), op.i32(c), op.i32Add, op.i32(2), op.i32Shl, op.i32Add, op.f32Load, op.f32Add, op.f32Store);
        }
      }
    });
  });
});

/**
 * adagradRow(width, g0, g1, table, accumulator, learningRate, scale): the row-wise AdaGrad step of
 * one embedding row whose gradient is (g0 + g1) · scale (g1 = 0: g0 alone): the accumulator gains the
 * mean squared gradient, and the row moves by −learningRate / (√accumulator + 1e-8) · gradient.
 */
define('adagradRow', [I32, I32, I32, I32, I32, F32, F32], [], (f) => {
  const [width, g0, g1, table, accumulator, learningRate, scale] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32);
  const end = f.local(I32);
  const sum = f.local(V128);
  const tail = f.local(F32);
  const step = f.local(F32);
  const scaleVector = f.local(V128);
  const v = f.local(V128);
  const t = f.local(F32);
  f.emit(op.get(scale), op.f32x4Splat, op.set(scaleVector), op.f32(0), op.f32x4Splat, op.set(sum), vectorBytes(width), op.set(end));
  // The squared norm of (g0 [+ g1]) · scale.
  f.emit(op.get(g1), op.ifThen);
  {
    f.loop(i, op.i32(0), op.get(end), 16, () => {
      f.emit(at(g0, i), op.v128Load, at(g1, i), op.v128Load, op.f32x4Add, op.get(scaleVector), op.f32x4Mul, op.tee(v));
      f.emit(op.get(v), op.f32x4Mul, op.get(sum), op.f32x4Add, op.set(sum));
    });
    f.emit(bytesOf(width), op.set(end));
    f.loop(i, op.get(i), op.get(end), 4, () => {
      f.emit(at(g0, i), op.f32Load, at(g1, i), op.f32Load, op.f32Add, op.get(scale), op.f32Mul, op.tee(t), op.get(t), op.f32Mul, op.get(tail), op.f32Add, op.set(tail));
    });
  }
  f.emit(op.else);
  {
    f.loop(i, op.i32(0), op.get(end), 16, () => {
      f.emit(at(g0, i), op.v128Load, op.get(scaleVector), op.f32x4Mul, op.tee(v));
      f.emit(op.get(v), op.f32x4Mul, op.get(sum), op.f32x4Add, op.set(sum));
    });
    f.emit(bytesOf(width), op.set(end));
    f.loop(i, op.get(i), op.get(end), 4, () => {
      f.emit(at(g0, i), op.f32Load, op.get(scale), op.f32Mul, op.tee(t), op.get(t), op.f32Mul, op.get(tail), op.f32Add, op.set(tail));
    });
  }
  f.emit(op.end);
  // accumulator += (lanes + tail) / width; step = learningRate / (√accumulator + 1e-8) · scale
  f.emit(op.get(accumulator), op.get(accumulator), op.f32Load);
  f.lanes(sum);
  f.emit(op.get(tail), op.f32Add, op.get(width), op.f32FromI32, op.f32Div, op.f32Add, op.tee(t), op.f32Store);
  f.emit(op.get(learningRate), op.get(t), op.f32Sqrt, op.f32(1e-8), op.f32Add, op.f32Div, op.get(scale), op.f32Mul, op.set(step));
  // table −= step · (g0 [+ g1])
  f.emit(op.get(step), op.f32x4Splat, op.set(scaleVector), vectorBytes(width), op.set(end));
  f.emit(op.get(g1), op.ifThen);
  {
    f.loop(i, op.i32(0), op.get(end), 16, () => {
      f.emit(at(table, i), at(table, i), op.v128Load, op.get(scaleVector), at(g0, i), op.v128Load, at(g1, i), op.v128Load, op.f32x4Add, op.f32x4Mul, op.f32x4Sub, op.v128Store);
    });
    f.emit(bytesOf(width), op.set(end));
    f.loop(i, op.get(i), op.get(end), 4, () => {
      f.emit(at(table, i), at(table, i), op.f32Load, op.get(step), at(g0, i), op.f32Load, at(g1, i), op.f32Load, op.f32Add, op.f32Mul, op.f32Sub, op.f32Store);
    });
  }
  f.emit(op.else);
  {
    f.loop(i, op.i32(0), op.get(end), 16, () => {
      f.emit(at(table, i), at(table, i), op.v128Load, op.get(scaleVector), at(g0, i), op.v128Load, op.f32x4Mul, op.f32x4Sub, op.v128Store);
    });
    f.emit(bytesOf(width), op.set(end));
    f.loop(i, op.get(i), op.get(end), 4, () => {
      f.emit(at(table, i), at(table, i), op.f32Load, op.get(step), at(g0, i), op.f32Load, op.f32Mul, op.f32Sub, op.f32Store);
    });
  }
  f.emit(op.end);
});

/**
 * adamw(n, parameters, g0, g1, first, second, scale, learningRate, weightDecay, correction1,
 * correction2): AdamW (β1 0.9, β2 0.999, ε 1e-8, decoupled weight decay) on n parameters with the
 * gradient (g0 + g1) · scale; correction1/2 = 1 − β^step.
 */
define('adamw', [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32], [], (f) => {
  const [n, parameters, g0, g1, first, second, scale, learningRate, weightDecay, correction1, correction2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const i = f.local(I32);
  const end = f.local(I32);
  const g = f.local(V128);
  const m = f.local(V128);
  const v = f.local(V128);
  const splats = [scale, learningRate, weightDecay, correction1, correction2].map((parameter) => {
    const local = f.local(V128);
    f.emit(op.get(parameter), op.f32x4Splat, op.set(local));
    return local;
  });
  const [scaleV, rateV, decayV, c1V, c2V] = splats as [number, number, number, number, number];
  const constant = (value: number) => {
    const local = f.local(V128);
    f.emit(op.f32(value), op.f32x4Splat, op.set(local));
    return local;
  };
  const beta1 = constant(0.9);
  const oneMinusBeta1 = constant(0.1);
  const beta2 = constant(0.999);
  const oneMinusBeta2 = constant(0.001);
  const epsilon = constant(1e-8);
  const gs = f.local(F32);
  const ms = f.local(F32);
  const vs = f.local(F32);
  f.emit(vectorBytes(n), op.set(end));
  f.loop(i, op.i32(0), op.get(end), 16, () => {
    f.emit(at(g0, i), op.v128Load, at(g1, i), op.v128Load, op.f32x4Add, op.get(scaleV), op.f32x4Mul, op.set(g));
    f.emit(op.get(beta1), at(first, i), op.v128Load, op.f32x4Mul, op.get(oneMinusBeta1), op.get(g), op.f32x4Mul, op.f32x4Add, op.set(m));
    f.emit(op.get(beta2), at(second, i), op.v128Load, op.f32x4Mul, op.get(oneMinusBeta2), op.get(g), op.get(g), op.f32x4Mul, op.f32x4Mul, op.f32x4Add, op.set(v));
    f.emit(at(first, i), op.get(m), op.v128Store, at(second, i), op.get(v), op.v128Store);
    // parameters −= rate · (m / c1 / (√(v / c2) + ε) + decay · parameters)
    f.emit(at(parameters, i), at(parameters, i), op.v128Load);
    f.emit(op.get(rateV), op.get(m), op.get(c1V), op.f32x4Div, op.get(v), op.get(c2V), op.f32x4Div, op.f32x4Sqrt, op.get(epsilon), op.f32x4Add, op.f32x4Div);
    f.emit(op.get(decayV), at(parameters, i), op.v128Load, op.f32x4Mul, op.f32x4Add, op.f32x4Mul, op.f32x4Sub, op.v128Store);
  });
  f.emit(bytesOf(n), op.set(end));
  f.loop(i, op.get(i), op.get(end), 4, () => {
    f.emit(at(g0, i), op.f32Load, at(g1, i), op.f32Load, op.f32Add, op.get(scale), op.f32Mul, op.set(gs));
    f.emit(op.f32(0.9), at(first, i), op.f32Load, op.f32Mul, op.f32(0.1), op.get(gs), op.f32Mul, op.f32Add, op.set(ms));
    f.emit(op.f32(0.999), at(second, i), op.f32Load, op.f32Mul, op.f32(0.001), op.get(gs), op.get(gs), op.f32Mul, op.f32Mul, op.f32Add, op.set(vs));
    f.emit(at(first, i), op.get(ms), op.f32Store, at(second, i), op.get(vs), op.f32Store);
    f.emit(at(parameters, i), at(parameters, i), op.f32Load);
    f.emit(op.get(learningRate), op.get(ms), op.get(correction1), op.f32Div, op.get(vs), op.get(correction2), op.f32Div, op.f32Sqrt, op.f32(1e-8), op.f32Add, op.f32Div);
    f.emit(op.get(weightDecay), at(parameters, i), op.f32Load, op.f32Mul, op.f32Add, op.f32Mul, op.f32Sub, op.f32Store);
  });
});

/** The module's bytes; it imports a shared memory of exactly `pages` 64 KiB pages as env.memory. */
function moduleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const types = FUNCTIONS.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]];
  const functions = FUNCTIONS.map((_, index) => uleb(index));
  const exports = FUNCTIONS.map((f, index) => [...name(f.exportName), 0x00, ...uleb(index)]);
  const bodies = FUNCTIONS.map((f) => f.body());
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functions)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

export interface SimdKernels {
  axpy(n: number, a: number, x: number, y: number): void;
  dot(n: number, x: number, y: number): number;
  bag(width: number, table: number, rows: number, weights: number, count: number, out: number): void;
  scatter(width: number, addresses: number, weights: number, count: number, source: number): void;
  logits(count: number, units: number, hidden: number, classes: number, outputWeight: number, logits: number): void;
  backward(
    count: number, units: number, hidden: number, keep: number, outputGradient: number, classes: number, outputWeight: number, outputWeightGradient: number,
    width: number, bag: number, inputWeight: number, inputWeightGradient: number, hiddenBiasGradient: number, bagGradient: number,
  ): void;
  multiply(a: number, rows: number, b: number, columns: number, depth: number, bias: number, out: number): void;
  adagradRow(width: number, g0: number, g1: number, table: number, accumulator: number, learningRate: number, scale: number): void;
  adamw(n: number, parameters: number, g0: number, g1: number, first: number, second: number, scale: number, learningRate: number, weightDecay: number, correction1: number, correction2: number): void;
}

export const PAGE_BYTES = 65536;

/** A shared memory of `bytes` (rounded up to whole pages), for the kernels and both threads. */
export function createSharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/** The kernels, running on `memory` (one instance per thread, all on the same memory). */
export function instantiateKernels(memory: WebAssembly.Memory): SimdKernels {
  const pages = memory.buffer.byteLength / PAGE_BYTES;
  const module = new WebAssembly.Module(moduleBytes(pages));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as SimdKernels;
}
