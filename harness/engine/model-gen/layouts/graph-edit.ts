import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
export const DataType = onnx.TensorProto.DataType;

/** Decode a model, let `edit` change it in place, and encode it again. */
export function editModel(graphBytes: Uint8Array, edit: (model: OnnxTypes.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(graphBytes);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

/** An int64 initializer (little-endian raw data). */
export function int64Initializer(
  name: string,
  dims: readonly number[],
  values: readonly bigint[],
): OnnxTypes.ITensorProto {
  const data = BigInt64Array.from(values);
  return { name, dataType: DataType.INT64, dims: [...dims], rawData: new Uint8Array(data.buffer) };
}

export function node(
  opType: string,
  input: readonly string[],
  output: readonly string[],
  attribute: OnnxTypes.IAttributeProto[] = [],
): OnnxTypes.INodeProto {
  return { name: output[0], opType, input: [...input], output: [...output], attribute };
}

/** The index of the node that computes `value`; throws when none does. */
export function producerIndex(graph: OnnxTypes.IGraphProto, value: string): number {
  const index = (graph.node ?? []).findIndex((n) => n.output?.includes(value));
  if (index < 0) throw new Error(`no node of the graph computes ${JSON.stringify(value)}`);
  return index;
}
