import type { onnx as OnnxTypes } from 'onnx-proto';
import { decodeTensor, type ExternalBytes } from './decode-tensor.ts';
import type { F64Tensor } from './f64-tensor.ts';
import { type KernelContext, OpNode } from './op-kernel.ts';
import { kernelFor } from './op-registry.ts';

/** Values by name: a graph's inputs, initializers and every node output computed so far. */
type Scope = Map<string, F64Tensor>;

/**
 * Runs an ONNX graph node by node in the order it lists them (the spec requires topological
 * order), every op in float64. Initializers are decoded once. A subgraph (If) sees every value of
 * the scope it runs in.
 */
export class GraphRunner {
  private readonly initializers: Scope;
  private readonly nodes: readonly OpNode[];

  constructor(
    private readonly graph: OnnxTypes.IGraphProto,
    external: ExternalBytes | null,
  ) {
    this.initializers = new Map(
      (graph.initializer ?? []).map((t) => [t.name ?? '', decodeTensor(t, external)]),
    );
    // Nodes that read only initializers and folded values (a weight's Transpose, a constant's
    // Cast) give the same values every run: computed once here, in float64 as at run time.
    const runtime: OpNode[] = [];
    for (const node of (graph.node ?? []).map((n) => new OpNode(n))) {
      const inputs = node.proto.input ?? [];
      const foldable =
        node.opType !== 'If' &&
        inputs.length > 0 &&
        inputs.every((i) => i === '' || this.initializers.has(i));
      if (foldable) this.runNodes([node], this.initializers);
      else runtime.push(node);
    }
    this.nodes = runtime;
  }

  /** The graph's outputs, by name, for `feeds` (the graph's inputs by name). */
  run(feeds: ReadonlyMap<string, F64Tensor>): Map<string, F64Tensor> {
    const scope: Scope = new Map([...this.initializers, ...feeds]);
    this.runNodes(this.nodes, scope);
    return new Map(
      (this.graph.output ?? []).map((o) => [o.name ?? '', this.lookUp(scope, o.name ?? '', 'graph output')]),
    );
  }

  private runNodes(nodes: readonly OpNode[], scope: Scope): void {
    for (const node of nodes) {
      const kernel = kernelFor(node.proto);
      if (kernel === undefined)
        throw new Error(`no float64 kernel for ${node.domain}:${node.opType} (${node.name})`);
      const inputs = (node.proto.input ?? []).map((name) =>
        name === '' ? undefined : this.lookUp(scope, name, node.name),
      );
      const ctx: KernelContext = {
        runSubgraph: (sub) => {
          const inner: Scope = new Map(scope);
          for (const t of sub.initializer ?? []) inner.set(t.name ?? '', decodeTensor(t, null));
          this.runNodes(
            (sub.node ?? []).map((n) => new OpNode(n)),
            inner,
          );
          return (sub.output ?? []).map((o) =>
            this.lookUp(inner, o.name ?? '', `${node.name} branch output`),
          );
        },
      };
      let outputs: (F64Tensor | undefined)[];
      try {
        outputs = kernel(inputs, node, ctx);
      } catch (error) {
        throw new Error(`${node.domain}:${node.opType} ${node.name}: ${(error as Error).message}`);
      }
      (node.proto.output ?? []).forEach((name, i) => {
        const value = outputs[i];
        if (name !== '' && value !== undefined) scope.set(name, value);
      });
    }
  }

  private lookUp(scope: Scope, name: string, where: string): F64Tensor {
    const value = scope.get(name);
    if (value === undefined) throw new Error(`${where}: value ${JSON.stringify(name)} is not computed`);
    return value;
  }
}
