import type { BackendInfo, ComputeDtype } from '../../core/backend/contract.ts';
import type { ModelIdentity } from '../model/model-identity.ts';
import type { GraphNode } from './exposed-graph.ts';
import type { Float16Overflow, TensorError } from './tensor-error.ts';

/** One aligned node: its outputs' errors, and whether it made error rather than inherited it. */
export interface NodeRow {
  /** Position among the compared nodes, in the reference graph's order. */
  readonly order: number;
  readonly node: GraphNode;
  /** Its exposed outputs, each compared (a shape or type that differs is a `mismatch`). */
  readonly outputs: readonly TensorError[];
  /** Outputs whose dims differ between the sides, as `name: [tested] vs [reference]`. */
  readonly mismatches: readonly string[];
  /** Largest of the outputs' max |Δ| and NMSE. */
  readonly maxAbsDiff: number;
  readonly nmse: number;
  /** Largest of the outputs' reference scales. */
  readonly scale: number;
  /**
   * Relative error in (the largest √NMSE of its compared inputs; null where none is compared:
   * graph inputs and initializers are equal on both sides) and out (its own √NMSE).
   */
  readonly inputRelError: number | null;
  readonly relError: number;
  /**
   * relError / max(inputRelError, the dtype's unit roundoff): how much error this node adds; null
   * where an input's error was not measured (computed by a node --nodes left out, or an
   * initializer the two graphs hold differently).
   */
  readonly growth: number | null;
  /** Its error is larger than its inputs explain (growth above GROWTH_FLAG). */
  readonly grows: boolean;
  /** NMSE above the limit, a shape mismatch, or an integer output that differs. */
  readonly parted: boolean;
  readonly overflow: Float16Overflow | null;
}

/** Where a node's input comes from, as both sides see it. */
export type InputSource = 'graph input' | 'node' | 'initializer' | 'initializer that differs' | 'not exposed';

/** The first node where the sides part, with what a reader needs to see why. */
export interface PartingNode {
  readonly order: number;
  readonly node: GraphNode;
  /** The node's inputs: name, and its error where it is a compared node output (else why not). */
  readonly inputs: readonly {
    readonly name: string;
    readonly nmse: number | null;
    readonly maxAbsDiff: number | null;
    readonly source: InputSource;
  }[];
  /** Its worst output, with the worst element's index and both values. */
  readonly worst: TensorError;
}

export interface BisectSide {
  readonly backend: BackendInfo;
  /** The graph file this side ran (the model's graph, or the one --against names). */
  readonly graph: ModelIdentity['graph'];
}

export interface BisectRecord {
  readonly schema: 'decode-harness/bisect@1';
  readonly model: { readonly name: string; readonly path: string };
  /** `backends`: one graph on two backends; `graphs`: two graphs on one backend (--against). */
  readonly mode: 'backends' | 'graphs';
  readonly tested: BisectSide;
  readonly reference: BisectSide;
  readonly prompt: { readonly text: string; readonly ids: readonly number[] };
  /** 0: the prefill; N: the N-th cached decode step. */
  readonly step: number;
  /** Whose KV cache the step read (run-bisect.ts); `own`: pastError is the largest NMSE among the caches. */
  readonly cache: 'reference' | 'own';
  readonly pastError: number;
  /** The tokens fed before the bisected pass, chosen greedily by the reference (empty for the prefill). */
  readonly stepTokens: readonly number[];
  /** The tokens of the bisected pass. */
  readonly passTokens: readonly number[];
  readonly nodesPattern: string | null;
  /** The dtype whose limit decides parting, and the limit. */
  readonly toleranceDtype: ComputeDtype;
  readonly nmseLimit: number;
  readonly nmseLimitSource: string;
  readonly rows: readonly NodeRow[];
  readonly parting: PartingNode | null;
  /** The first float16 overflow along the graph order, with its node. */
  readonly firstOverflow: {
    readonly order: number;
    readonly node: GraphNode;
    readonly overflow: Float16Overflow;
  } | null;
  /** --against: nodes of one graph with no node of the other sharing an output name. */
  readonly unmatched: { readonly tested: readonly GraphNode[]; readonly reference: readonly GraphNode[] };
  /** Bytes of the exposed tensors both sides held. */
  readonly exposedBytes: number;
  /**
   * The same pass on the graphs as shipped (no tensor exposed), where onnxruntime may fuse ops:
   * the sides' logits there and in the exposed run, and how far exposing moved each side's logits.
   */
  readonly exposure: {
    readonly plainLogits: LogitsError;
    readonly exposedLogits: LogitsError;
    readonly testedShift: number;
    readonly referenceShift: number;
  };
}

export interface LogitsError {
  readonly nmse: number;
  readonly maxAbsDiff: number;
}
