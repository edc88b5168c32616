import type { onnx as OnnxTypes } from 'onnx-proto';
import type { Kernel } from './op-kernel.ts';
import { ATTENTION_OPS } from './ops/attention-ops.ts';
import { CONTRIB_OPS } from './ops/contrib-ops.ts';
import { CONTROL_FLOW_OPS } from './ops/control-flow.ts';
import { ELEMENTWISE_OPS } from './ops/elementwise.ts';
import { MATMUL_OPS } from './ops/matmul.ts';
import { CONTRIB_NORMALIZATION_OPS, NORMALIZATION_OPS } from './ops/normalization.ts';
import { QUANTIZATION_OPS } from './ops/quantization.ts';
import { REDUCE_OPS } from './ops/reduce.ts';
import { SHAPE_OPS } from './ops/shape-ops.ts';

/** Every op the float64 interpreter implements, by domain and type. */
const REGISTRY: ReadonlyMap<string, Kernel> = new Map([
  ...[
    ELEMENTWISE_OPS,
    SHAPE_OPS,
    REDUCE_OPS,
    MATMUL_OPS,
    NORMALIZATION_OPS,
    QUANTIZATION_OPS,
    CONTROL_FLOW_OPS,
  ].flatMap((family) => Object.entries(family).map(([op, kernel]) => [`ai.onnx:${op}`, kernel] as const)),
  ...[CONTRIB_OPS, CONTRIB_NORMALIZATION_OPS, ATTENTION_OPS].flatMap((family) =>
    Object.entries(family).map(([op, kernel]) => [`com.microsoft:${op}`, kernel] as const),
  ),
]);

const domainOf = (node: OnnxTypes.INodeProto) => (node.domain ? node.domain : 'ai.onnx');

export function kernelFor(node: OnnxTypes.INodeProto): Kernel | undefined {
  return REGISTRY.get(`${domainOf(node)}:${node.opType}`);
}

/** The ops of `graph` (and of its subgraphs) the interpreter lacks, as `domain:op (first node)`. */
export function missingOps(graph: OnnxTypes.IGraphProto): string[] {
  const missing = new Map<string, string>();
  const walk = (g: OnnxTypes.IGraphProto) => {
    for (const node of g.node ?? []) {
      const key = `${domainOf(node)}:${node.opType}`;
      if (!REGISTRY.has(key) && !missing.has(key)) missing.set(key, node.name || node.output?.[0] || '');
      for (const a of node.attribute ?? []) if (a.g) walk(a.g);
    }
  };
  walk(graph);
  return [...missing].map(([op, first]) => `${op} (first: ${first})`);
}
