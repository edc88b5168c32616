import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types the model writers use (TensorProto.DataType). */
export const ElemType = {
  float: onnx.TensorProto.DataType.FLOAT,
  double: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
} as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/**
 * The float type of a graph the writers build: of every float initializer, scalar constant and
 * float input or output. `float32` is what the model files ship; `float64` writes the same model
 * with its weights widened exactly and its constants as the exact JS numbers.
 */
export type FloatType = 'float32' | 'float64';

/** A dimension: a fixed size, or a symbolic name shared by every tensor with that extent. */
export type Dim = number | string;

export type Attribute = OnnxTypes.IAttributeProto;

export const intAttr = (name: string, i: number): Attribute => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});
export const floatAttr = (name: string, f: number): Attribute => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOAT,
  f,
});
export const intsAttr = (name: string, ints: readonly number[]): Attribute => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: [...ints],
});

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Little-endian bytes of a typed array as a view (ONNX raw_data is little-endian). */
function rawBytes(data: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) {
    throw new Error('writing ONNX raw_data needs a little-endian host; run the model writer on x64 or arm64');
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A graph input or output of a tensor type (TensorProto.DataType `elemType`); a string dim is symbolic. */
export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Accumulates one ONNX graph in insertion order, so the same sequence of calls always encodes to
 * the same bytes. Every value has a readable, unique name (a node is named after its output).
 * Float values are stored as `floatType` (float32 unless asked).
 */
export class OnnxGraph {
  /** TensorProto.DataType of the graph's float values: FLOAT or DOUBLE. */
  readonly floatElem: ElemType;

  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private constCount = 0;

  constructor(readonly floatType: FloatType = 'float32') {
    this.floatElem = floatType === 'float64' ? ElemType.double : ElemType.float;
  }

  /** `data` in the graph's float type: float32 values widen exactly, float64 ones round to nearest in a float32 graph. */
  private floats(data: Float32Array | Float64Array): Float32Array | Float64Array {
    if (this.floatType === 'float64') return data instanceof Float64Array ? data : Float64Array.from(data);
    return data instanceof Float32Array ? data : Float32Array.from(data);
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph value ${JSON.stringify(name)} is defined twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declare an already-computed value as a graph output. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    if (!this.names.has(name)) throw new Error(`ONNX graph output ${JSON.stringify(name)} is never computed`);
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float tensor, stored in the graph's float type (see `floats`). */
  floatInitializer(name: string, dims: readonly number[], data: Float32Array | Float64Array): string {
    this.initializers.push({
      name: this.claim(name),
      dataType: this.floatElem,
      dims: [...dims],
      rawData: rawBytes(this.floats(data)),
    });
    return name;
  }

  /** An int64 constant (shape operand, axis list, index); `dims` [] makes a scalar. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.claim(`const_i64_${this.constCount++}`);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dataType: ElemType.int64, dims: [...dims], rawData: rawBytes(data) });
    return name;
  }

  /** A scalar constant of the graph's float type: `value` rounded to float32, or exactly in float64. */
  float(value: number): string {
    const suffix = this.floatType === 'float64' ? 'f64' : 'f32';
    const name = this.claim(`const_${suffix}_${this.constCount++}`);
    this.initializers.push({
      name,
      dataType: this.floatElem,
      dims: [],
      rawData: rawBytes(this.floats(Float64Array.of(value))),
    });
    return name;
  }

  /** Add a node with one output named `out`; returns `out`. */
  op(opType: string, inputs: readonly string[], out: string, attribute: readonly Attribute[] = []): string {
    return this.opMulti(opType, inputs, [out], attribute)[0]!;
  }

  /** Add a node with several outputs; `domain` names an operator set other than ONNX's (com.microsoft). */
  opMulti(
    opType: string,
    inputs: readonly string[],
    outs: readonly string[],
    attribute: readonly Attribute[] = [],
    domain = '',
  ): readonly string[] {
    for (const i of inputs) {
      if (!this.names.has(i))
        throw new Error(`ONNX node ${outs[0]} reads undefined value ${JSON.stringify(i)}`);
    }
    for (const o of outs) this.claim(o);
    this.nodes.push({
      name: outs[0]!,
      opType,
      input: [...inputs],
      output: [...outs],
      attribute: [...attribute],
      ...(domain === '' ? {} : { domain }),
    });
    return outs;
  }

  /** Serialise as an ONNX model: ONNX's opset `opset`, and version 1 of any other domain a node uses. */
  encode(meta: { graphName: string; irVersion: number; opset: number; producerName: string }): Uint8Array {
    const domains = [...new Set(this.nodes.map((n) => n.domain ?? ''))].filter((d) => d !== '');
    return onnx.ModelProto.encode({
      irVersion: meta.irVersion,
      producerName: meta.producerName,
      opsetImport: [
        { domain: '', version: meta.opset },
        ...domains.map((domain) => ({ domain, version: 1 })),
      ],
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    }).finish();
  }
}
