import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { float16Bits } from '../../core/model/float16.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/**
 * The same graph computing in float16: every float32 initializer becomes float16 (round to
 * nearest even, saturating at ±65504 so the finfo.min mask fill stays finite), float32 graph
 * inputs and outputs (the KV cache, the logits) become float16, and Casts to float32 cast to
 * float16. What a float16 export (e.g. Optimum's `--dtype fp16`) gives: weights, activations,
 * cache and logits in half precision; each provider decides how it computes inside an op.
 */
export function onnxToFloat16(modelBytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  for (const init of graph.initializer ?? []) {
    if (init.dataType !== FLOAT) continue;
    const raw = init.rawData!;
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const half = Uint16Array.from(values, float16Bits);
    init.dataType = FLOAT16;
    init.rawData = new Uint8Array(half.buffer);
  }
  for (const value of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const tensorType = value.type?.tensorType;
    if (tensorType?.elemType === FLOAT) tensorType.elemType = FLOAT16;
  }
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Cast') continue;
    for (const attr of node.attribute ?? []) {
      if (attr.name === 'to' && Number(attr.i) === FLOAT) attr.i = FLOAT16;
    }
  }
  return onnx.ModelProto.encode(model as OnnxTypes.IModelProto).finish();
}
