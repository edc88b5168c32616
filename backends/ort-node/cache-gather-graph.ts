import { IR_VERSION, OPSET } from '../../harness/core/onnx/onnx-decoder-io.ts';
import { ElemType, intAttr, OnnxGraph } from '../../harness/core/onnx/onnx-graph.ts';

/** Input and output names of the gather graph for `count` cache tensors. */
export const cacheGatherNames = (count: number) => ({
  rows: 'source_rows',
  inputs: Array.from({ length: count }, (_, i) => `cache_${i}`),
  outputs: Array.from({ length: count }, (_, i) => `gathered_${i}`),
});

/**
 * A graph that reorders `count` KV-cache tensors along the batch axis in one run:
 * gathered_i = Gather(cache_i, source_rows, axis 0), every cache [batch, heads, length, headDim]
 * with symbolic dims, so one graph serves every batch size and length. Run on the decoder's own
 * device provider it lets beam search reorder a device-resident cache without a host round trip
 * (onnxruntime-node gives JavaScript no way to copy GPU buffers itself).
 */
export function cacheGatherGraph(count: number): Uint8Array {
  const names = cacheGatherNames(count);
  const g = new OnnxGraph();
  const rows = g.input(names.rows, ElemType.int64, ['new_batch']);
  names.inputs.forEach((input, i) => {
    const cache = g.input(input, ElemType.float, ['batch', 'heads', 'length', 'head_dim']);
    const out = g.op('Gather', [cache, rows], names.outputs[i]!, [intAttr('axis', 0)]);
    g.output(out, ElemType.float, ['new_batch', 'heads', 'length', 'head_dim']);
  });
  return g.encode({
    graphName: 'kv_cache_gather',
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'decode-harness',
  });
}
