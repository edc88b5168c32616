import type { onnx as OnnxTypes } from 'onnx-proto';
import { editModel, int64Initializer, node } from './graph-edit.ts';

/**
 * The decoder without a `position_ids` input, as some exports ship it: the graph derives the
 * positions from attention_mask itself by transformers' rule, cumsum(mask) − 1 with pad columns
 * set to 1, keeping the last sequence_length columns, so it computes what the fed graph computes.
 */
export function withoutPositionIds(graphBytes: Uint8Array): Uint8Array {
  return editModel(graphBytes, (model) => {
    const graph = model.graph as OnnxTypes.GraphProto;
    const at = graph.input.findIndex((i) => i.name === 'position_ids');
    if (at < 0) throw new Error('withoutPositionIds: the graph has no position_ids input');
    graph.input.splice(at, 1);
    graph.initializer.push(
      int64Initializer('position_axis', [], [1n]),
      int64Initializer('position_axes', [1], [1n]),
      int64Initializer('position_one', [], [1n]),
      int64Initializer('position_zero', [], [0n]),
      int64Initializer('position_end', [1], [0x7fffffffffffffffn]),
      int64Initializer('position_shape', [1], [1n]),
    );
    graph.node.unshift(
      node('CumSum', ['attention_mask', 'position_axis'], ['position_count']),
      node('Sub', ['position_count', 'position_one'], ['position_from_zero']),
      node('Equal', ['attention_mask', 'position_zero'], ['position_is_pad']),
      node('Where', ['position_is_pad', 'position_one', 'position_from_zero'], ['position_all']),
      node('Shape', ['input_ids'], ['position_ids_shape']),
      node('Gather', ['position_ids_shape', 'position_axis'], ['position_seq']),
      node('Neg', ['position_seq'], ['position_neg_seq']),
      node('Reshape', ['position_neg_seq', 'position_shape'], ['position_start']),
      node('Slice', ['position_all', 'position_start', 'position_end', 'position_axes'], ['position_ids']),
    );
  });
}
