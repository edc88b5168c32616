import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { UsageError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { inlineInitializers } from '../model-gen/layouts/external-data.ts';

const { onnx } = onnxProto;

/** One node of a graph's top level, in the order the graph lists it (topological, as ONNX requires). */
export interface GraphNode {
  /** Position in the graph's node list. */
  readonly index: number;
  /** The node's name, or its first output's where it has none. */
  readonly name: string;
  readonly opType: string;
  /** `ai.onnx` for ONNX's own operators. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** A self-contained copy of a graph whose chosen nodes' outputs are graph outputs too. */
export interface ExposedGraph {
  /** The copy: external data inlined, so every runtime opens it from this one file. */
  readonly path: string;
  /** Every top-level node (a subgraph's nodes, as in If, count as their node). */
  readonly nodes: readonly GraphNode[];
  /** What bisect compares: the chosen nodes' outputs and the graph's own (logits, present.*). */
  readonly exposed: ReadonlySet<string>;
  /** sha256 of each initializer's type, dims and bytes, by name: whether two graphs hold the same. */
  readonly initializers: ReadonlyMap<string, string>;
}

/** Protobuf's limit on one message: a graph larger than this cannot be inlined into one file. */
const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 1;

/** The nodes of `model`'s graph, read without its weights' external data. */
export function graphNodes(model: ModelDir): GraphNode[] {
  const proto = onnx.ModelProto.decode(readFileSync(model.onnxPath));
  return (proto.graph?.node ?? []).map((n, index) => ({
    index,
    name: n.name || n.output?.[0] || `${n.opType} #${index}`,
    opType: n.opType ?? '',
    domain: n.domain || 'ai.onnx',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
  }));
}

/**
 * Write into `dir` a copy of `model`'s graph that also outputs every output of the nodes `chosen`
 * keeps. Outputs carry no type: onnxruntime infers it, and each runtime reports what it returns.
 */
export function exposeGraph(
  model: ModelDir,
  chosen: (node: GraphNode) => boolean,
  dir: string,
): ExposedGraph {
  const size =
    readFileSync(model.onnxPath).byteLength + model.externalData.reduce((s, f) => s + f.bytesRead, 0);
  if (size > PROTOBUF_LIMIT_BYTES) {
    throw new UsageError(
      `${model.graph.file} and its external data hold ${(size / 2 ** 30).toFixed(1)} GiB, more than one ONNX file can (2 GiB), so bisect cannot make a self-contained exposed copy; bisect a smaller variant (--dtype q4)`,
    );
  }
  const proto = onnx.ModelProto.decode(readFileSync(model.onnxPath));
  inlineInitializers(proto, new Map(model.externalData.map((f) => [f.location, readFileSync(f.path)])));
  const graph = proto.graph!;
  const nodes = graphNodes(model);
  const declared = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const exposed = new Set(declared);
  for (const node of nodes) {
    if (!chosen(node)) continue;
    for (const out of node.outputs) {
      if (out === '' || exposed.has(out)) continue;
      exposed.add(out);
      graph.output!.push({ name: out });
    }
  }
  const initializers = new Map(
    (graph.initializer ?? []).map((t) => [t.name ?? '', initializerDigest(t)] as const),
  );
  const path = join(dir, model.graph.file.replaceAll('/', '_'));
  writeFileSync(path, onnx.ModelProto.encode(proto).finish());
  return { path, nodes, exposed, initializers };
}

function initializerDigest(t: OnnxTypes.ITensorProto): string {
  const hash = createHash('sha256').update(`${t.dataType} [${(t.dims ?? []).join(',')}]`);
  // Inline tensors are raw bytes or one of the typed repeated fields; either way the encoded tensor
  // without its name says what it holds.
  hash.update(onnx.TensorProto.encode({ ...t, name: '' }).finish());
  return hash.digest('hex');
}
