/**
 * A small ONNX graph writer over `onnx-proto` (protobufjs definitions), used by the
 * Transformers.js back-end to export classification heads and by the test suite to
 * generate a tiny BERT-shaped encoder.
 *
 * Tensors are stored as little-endian `raw_data`; the produced model targets the
 * default ONNX domain at opset 17 (IR version 8), which onnxruntime-node 1.x runs.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type OnnxElemType = 'float' | 'int64' | 'int32' | 'bool';

const ELEM: Record<OnnxElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A dimension is a fixed size or a symbolic name such as `batch`. */
export type Dim = number | string;

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') {
    return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === 'number') {
    // Plain numbers are INT attributes; wrap floats as { float }.
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for ${value}`);
    return { name, type: T.INT, i: value };
  }
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}

function valueInfo(name: string, elem: OnnxElemType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function bytesOf(view: Float32Array | BigInt64Array | Int32Array | Uint8Array): Uint8Array {
  // Node runs on little-endian hosts only (x64, arm64), which is what raw_data requires.
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export interface BuildOptions {
  opset?: number;
  irVersion?: number;
  producerName?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate ONNX value name: ${name}`);
    this.names.add(name);
    return name;
  }

  /** A fresh, unused value name derived from `hint`. */
  fresh(hint: string): string {
    let name = `${hint}_${this.counter++}`;
    while (this.names.has(name)) name = `${hint}_${this.counter++}`;
    return name;
  }

  input(name: string, elem: OnnxElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elem, dims));
    return name;
  }

  /** Declares `name` (already produced by a node) as a graph output. */
  output(name: string, elem: OnnxElemType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elem, dims));
    return name;
  }

  floatTensor(name: string, data: Float32Array | number[], dims: number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    checkSize(name, arr.length, dims);
    this.initializers.push({ name: this.claim(name), dataType: ELEM.float, dims, rawData: bytesOf(arr) });
    return name;
  }

  int64Tensor(name: string, data: number[], dims: number[]): string {
    checkSize(name, data.length, dims);
    const arr = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.initializers.push({ name: this.claim(name), dataType: ELEM.int64, dims, rawData: bytesOf(arr) });
    return name;
  }

  /** A scalar float constant (rank 0). */
  scalar(hint: string, value: number): string {
    return this.floatTensor(this.fresh(hint), [value], []);
  }

  /**
   * Adds a node. Returns its single output name (or the first of `outputs` when several
   * are given explicitly).
   */
  node(
    opType: string,
    inputs: string[],
    opts: { outputs?: string[]; name?: string; attrs?: Record<string, AttrValue> } = {},
  ): string {
    const outs = opts.outputs ?? [this.fresh(opType.toLowerCase())];
    for (const o of outs) this.claim(o);
    this.nodes.push({
      opType,
      name: opts.name ?? this.fresh(`n_${opType}`),
      input: inputs,
      output: outs,
      attribute: Object.entries(opts.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return outs[0]!;
  }

  // Convenience wrappers for the ops the encoder and heads use.
  add(a: string, b: string, out?: string): string {
    return this.node('Add', [a, b], out ? { outputs: [out] } : {});
  }
  mul(a: string, b: string): string {
    return this.node('Mul', [a, b]);
  }
  matmul(a: string, b: string): string {
    return this.node('MatMul', [a, b]);
  }
  /** x·W + b with W: [in, out] and b: [out]. */
  linear(x: string, w: string, b: string, out?: string): string {
    return this.add(this.matmul(x, w), b, out);
  }

  toModel(opts: BuildOptions = {}): onnxProto.onnx.IModelProto {
    return {
      irVersion: opts.irVersion ?? 8,
      producerName: opts.producerName ?? 'frontdesk',
      producerVersion: '1',
      docString: opts.docString ?? '',
      opsetImport: [{ domain: '', version: opts.opset ?? 17 }],
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  toBytes(opts: BuildOptions = {}): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModel(opts))).finish();
  }
}

function checkSize(name: string, n: number, dims: number[]): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (n !== expected) throw new Error(`tensor ${name}: ${n} values for dims [${dims.join(', ')}]`);
}

/** Seeded PRNG (mulberry32) with a Box–Muller normal sampler. */
export class SeededRandom {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  normalArray(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [arr[i], arr[j]] = [arr[j]!, arr[i]!];
    }
    return arr;
  }
}
