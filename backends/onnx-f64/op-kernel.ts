import type { onnx as OnnxTypes } from 'onnx-proto';
import type { F64Tensor } from './f64-tensor.ts';

/** One node as a kernel sees it: its attributes, read with ONNX's defaults. */
export class OpNode {
  private readonly attributes: ReadonlyMap<string, OnnxTypes.IAttributeProto>;

  constructor(readonly proto: OnnxTypes.INodeProto) {
    this.attributes = new Map((proto.attribute ?? []).map((a) => [a.name ?? '', a]));
  }

  get opType(): string {
    return this.proto.opType ?? '';
  }
  get domain(): string {
    return this.proto.domain || 'ai.onnx';
  }
  get name(): string {
    return this.proto.name || this.proto.output?.[0] || this.opType;
  }
  get outputCount(): number {
    return this.proto.output?.length ?? 0;
  }

  has(name: string): boolean {
    return this.attributes.has(name);
  }
  int(name: string, fallback?: number): number {
    const a = this.attributes.get(name);
    return a === undefined ? this.required(name, fallback) : Number(a.i);
  }
  float(name: string, fallback?: number): number {
    const a = this.attributes.get(name);
    return a === undefined ? this.required(name, fallback) : Number(a.f);
  }
  ints(name: string, fallback?: readonly number[]): readonly number[] {
    const a = this.attributes.get(name);
    return a === undefined ? this.required(name, fallback) : (a.ints ?? []).map(Number);
  }
  /** A STRING attribute, its bytes read as UTF-8. */
  string(name: string, fallback?: string): string {
    const a = this.attributes.get(name);
    return a === undefined
      ? this.required(name, fallback)
      : new TextDecoder().decode(a.s ?? new Uint8Array());
  }
  tensor(name: string): OnnxTypes.ITensorProto | undefined {
    return this.attributes.get(name)?.t ?? undefined;
  }
  graph(name: string): OnnxTypes.IGraphProto {
    const g = this.attributes.get(name)?.g;
    if (!g) throw new Error(`${this.opType} ${this.name}: no graph attribute ${name}`);
    return g;
  }

  private required<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) throw new Error(`${this.opType} ${this.name}: attribute ${name} is required`);
    return fallback;
  }
}

/** What a kernel may ask of the interpreter: a subgraph run in the node's scope (If). */
export interface KernelContext {
  runSubgraph(graph: OnnxTypes.IGraphProto): (F64Tensor | undefined)[];
}

/** An op in float64: the node's inputs (undefined for an omitted optional one) → its outputs. */
export type Kernel = (
  inputs: readonly (F64Tensor | undefined)[],
  node: OpNode,
  ctx: KernelContext,
) => (F64Tensor | undefined)[];

/** The input at `i`, which the op requires. */
export function input(inputs: readonly (F64Tensor | undefined)[], i: number, node: OpNode): F64Tensor {
  const t = inputs[i];
  if (t === undefined) throw new Error(`${node.opType} ${node.name}: input ${i} is required`);
  return t;
}
