// A small typed builder for ONNX graphs, serialized with onnx-proto. Enough for models written
// by hand from trained weights (the built-in intent network, classification heads).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset 13 (IR version 7): understood by every onnxruntime since 1.7. */
export const DEFAULT_OPSET = 13;

/** The lowest IR version that carries `opset` (ONNX 1.9 → opset 14 at IR 7; 1.13 → opset 18 at IR 8). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  return 9;
}

export type ElementType = 'float32' | 'int32' | 'int64' | 'int8';

/** A dimension: a fixed size, or a name for a size known only at run time (e.g. "batch"). */
export type Dimension = number | string;

export type TensorData = Float32Array | Int32Array | BigInt64Array | Int8Array;

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

export const attribute = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
};

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  int8: onnx.TensorProto.DataType.INT8,
};

function elementTypeOf(data: TensorData): ElementType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  return 'int64';
}

function valueInfo(name: string, type: ElementType, dims: readonly Dimension[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  });
}

function toAttributeProto(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const { AttributeType } = onnx.AttributeProto;
  switch (value.kind) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value.value });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value.value });
    case 'float':
      return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.value });
    case 'string':
      return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value.value) });
  }
}

export class OnnxGraphBuilder {
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly names = new Set<string>();

  constructor(
    private readonly graphName: string,
    private readonly opset = DEFAULT_OPSET,
  ) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph ${this.graphName}: the name ${name} is used twice`);
    this.names.add(name);
    return name;
  }

  /** A graph input; returns its name for use in nodes. */
  input(name: string, type: ElementType, dims: readonly Dimension[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  /** A constant tensor stored in the model (weights, shapes, scalars). */
  constant(name: string, dims: readonly number[], data: TensorData): string {
    const expected = dims.reduce((product, dim) => product * dim, 1);
    if (data.length !== expected) throw new Error(`ONNX constant ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push(
      onnx.TensorProto.create({
        name: this.claim(name),
        dims: [...dims],
        dataType: DATA_TYPE[elementTypeOf(data)],
        // raw_data is little-endian; so are the typed arrays on every platform Node runs on.
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  /** Adds one operator; returns the name of its (single) output, `output` or a generated one. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const outputName = this.claim(output ?? `${opType.toLowerCase()}_${this.nodes.length}`);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        name: `${opType}_${this.nodes.length}`,
        input: [...inputs],
        output: [outputName],
        attribute: Object.entries(attributes).map(([name, value]) => toAttributeProto(name, value)),
      }),
    );
    return outputName;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, type: ElementType, dims: readonly Dimension[]): void {
    if (!this.names.has(name)) throw new Error(`ONNX graph ${this.graphName}: no value named ${name} to output`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  toBytes(metadata: Record<string, string> = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: irVersionFor(this.opset),
      producerName: 'frontdesk',
      opsetImport: [{ domain: '', version: this.opset }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
