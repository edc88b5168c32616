import type { onnx as OnnxTypes } from 'onnx-proto';
import { valueInfo } from '../../../core/onnx/onnx-graph.ts';
import { DataType, editModel, int64Initializer, node, producerIndex } from './graph-edit.ts';

/** transformers.js's and Optimum's input name; HF's generate calls the argument `logits_to_keep`. */
export const NUM_LOGITS_TO_KEEP = 'num_logits_to_keep';

/**
 * The decoder with an int64 scalar input `num_logits_to_keep`: logits only for the last k positions,
 * all of them for 0 (Hugging Face's `logits_to_keep`). The node computing `logits` reads
 * Slice(its first input, -k, end) on the sequence axis: for MatMul and MatMulNBits that is the hidden
 * states, so a decode step's head computes one row, as the models do; for q8's final Mul by the
 * scales it is the product's rows, which keeps the per-tensor activation scale of the unsliced graph.
 */
export function withNumLogitsToKeep(graphBytes: Uint8Array): Uint8Array {
  return editModel(graphBytes, (model) => {
    const graph = model.graph as OnnxTypes.GraphProto;
    const head = graph.node[producerIndex(graph, 'logits')]!;
    const headInputs = head.input as string[];
    const hidden = headInputs[0]!;
    graph.input.push(valueInfo(NUM_LOGITS_TO_KEEP, DataType.INT64, []));
    graph.initializer.push(
      int64Initializer('logits_to_keep_axes', [1], [1n]),
      int64Initializer('logits_to_keep_shape', [1], [1n]),
      int64Initializer('logits_to_keep_end', [1], [0x7fffffffffffffffn]),
    );
    const kept = `${hidden}_kept`;
    const at = producerIndex(graph, 'logits');
    graph.node.splice(
      at,
      0,
      node('Neg', [NUM_LOGITS_TO_KEEP], ['logits_to_keep_neg']),
      node('Reshape', ['logits_to_keep_neg', 'logits_to_keep_shape'], ['logits_to_keep_start']),
      // start −0 = 0 keeps every position.
      node('Slice', [hidden, 'logits_to_keep_start', 'logits_to_keep_end', 'logits_to_keep_axes'], [kept]),
    );
    headInputs[0] = kept;
    const logits = graph.output.find((o) => o.name === 'logits')!;
    const dims = logits.type!.tensorType!.shape!.dim!;
    dims[1] = { dimParam: 'kept_sequence_length' };
  });
}
