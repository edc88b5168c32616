import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { valueInfo } from '../../../core/onnx/onnx-graph.ts';
import { DataType, editModel, int64Initializer, node } from './graph-edit.ts';

const { onnx } = onnxProto;

/** Optimum's and transformers.js's name for the merged decoder's branch switch. */
export const USE_CACHE_BRANCH = 'use_cache_branch';

/**
 * Optimum's merged decoder (`decoder_model_merged.onnx`) made from a KV-cache decoder: one `If` on
 * the bool [1] input `use_cache_branch` chooses between the decoder reading past_key_values (true)
 * and the decoder without a past (false), whose cache starts empty whatever past is fed. Both
 * branches read the weights from the outer graph, so they are stored once, as Optimum stores them.
 */
export function mergedDecoder(graphBytes: Uint8Array): Uint8Array {
  return editModel(graphBytes, (model) => {
    const graph = model.graph as OnnxTypes.GraphProto;
    const past = graph.input.filter((i) => i.name!.startsWith('past_key_values.'));
    const empty = emptyCacheNodes(past[0]!);
    graph.initializer.push(...empty.initializers);
    const outerValues = new Set([
      ...graph.input.map((i) => i.name!),
      ...graph.initializer.map((t) => t.name!),
    ]);
    const withPast = branch('with_past', graph, outerValues, new Map(), []);
    const noPast = branch(
      'no_past',
      graph,
      outerValues,
      new Map(past.map((p) => [p.name!, `no_past/${empty.name}`])),
      empty.nodes,
    );
    graph.input.push(valueInfo(USE_CACHE_BRANCH, DataType.BOOL, [1]));
    graph.node = [
      onnx.NodeProto.create({
        name: 'decoder_branch',
        opType: 'If',
        input: [USE_CACHE_BRANCH],
        output: graph.output.map((o) => o.name!),
        attribute: [
          { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: withPast },
          { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: noPast },
        ],
      }),
    ];
  });
}

/**
 * The graph's nodes as a branch: every value they compute is prefixed with `name/` (a branch may
 * not redefine an outer value), values in `replace` are read under another name, and the branch's
 * outputs are the graph's outputs by position, typed but not shaped (the branches' lengths differ).
 */
function branch(
  name: string,
  graph: OnnxTypes.GraphProto,
  outerValues: ReadonlySet<string>,
  replace: ReadonlyMap<string, string>,
  prologue: readonly OnnxTypes.INodeProto[],
): OnnxTypes.IGraphProto {
  const renamed = (value: string): string =>
    replace.get(value) ?? (outerValues.has(value) || value === '' ? value : `${name}/${value}`);
  const inBranch = (n: OnnxTypes.INodeProto): OnnxTypes.INodeProto => ({
    ...n,
    name: `${name}/${n.name}`,
    input: n.input!.map(renamed),
    output: n.output!.map(renamed),
  });
  return {
    name,
    node: [...prologue, ...graph.node].map(inBranch),
    output: graph.output.map((o) => ({
      name: renamed(o.name!),
      type: { tensorType: { elemType: o.type!.tensorType!.elemType } },
    })),
  };
}

/** Nodes computing one empty cache tensor [batch, kv heads, 0, head dim] of `past`'s type. */
function emptyCacheNodes(past: OnnxTypes.IValueInfoProto): {
  name: string;
  nodes: OnnxTypes.INodeProto[];
  initializers: OnnxTypes.ITensorProto[];
} {
  const tensorType = past.type!.tensorType!;
  const [, heads, , headDim] = tensorType.shape!.dim!.map((d) => Number(d.dimValue));
  const zero = tensorType.elemType === DataType.FLOAT16 ? new Uint8Array(2) : new Uint8Array(4);
  return {
    name: 'empty_cache',
    initializers: [
      int64Initializer('empty_cache_batch_axis', [1], [0n]),
      int64Initializer('empty_cache_rest', [3], [BigInt(heads!), 0n, BigInt(headDim!)]),
    ],
    nodes: [
      node('Shape', ['input_ids'], ['empty_cache_ids_shape']),
      node('Gather', ['empty_cache_ids_shape', 'empty_cache_batch_axis'], ['empty_cache_batch']),
      node(
        'Concat',
        ['empty_cache_batch', 'empty_cache_rest'],
        ['empty_cache_shape'],
        [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      ),
      node(
        'ConstantOfShape',
        ['empty_cache_shape'],
        ['empty_cache'],
        [
          {
            name: 'value',
            type: onnx.AttributeProto.AttributeType.TENSOR,
            t: { dims: [1], dataType: tensorType.elemType, rawData: zero },
          },
        ],
      ),
    ],
  };
}
