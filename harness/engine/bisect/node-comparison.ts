import type { ComputeDtype, ProbeTensor } from '../../core/backend/contract.ts';
import type { InputSource, NodeRow, PartingNode } from './bisect-record.ts';
import type { GraphNode } from './exposed-graph.ts';
import { float16Overflow, type TensorError, tensorError } from './tensor-error.ts';

/**
 * NMSE above which two tensors have parted, per dtype of the less precise side: llama.cpp's
 * test-backend-ops limit (1e-7) for float32; float16 arithmetic alone makes ~(2^-11)² per op,
 * compounding along a model, so 1e-4 there; float64 against float64 leaves only reordering.
 */
export const NMSE_LIMITS: Readonly<Record<ComputeDtype, number>> = {
  float64: 1e-20,
  float32: 1e-7,
  float16: 1e-4,
};

/** Half the gap between 1 and the next value: the relative error one rounding may add. */
const UNIT_ROUNDOFF: Readonly<Record<ComputeDtype, number>> = {
  float64: 2 ** -53,
  float32: 2 ** -24,
  float16: 2 ** -11,
};

/** A node whose relative error exceeds this many times what its inputs carry (or one rounding) adds error. */
export const GROWTH_FLAG = 10;

const INTEGER_TYPES = new Set([
  'int64',
  'int32',
  'int16',
  'int8',
  'uint64',
  'uint32',
  'uint16',
  'uint8',
  'bool',
]);

export interface NodeComparisonInput {
  /** The reference graph's nodes, in order; the rows follow it. */
  readonly referenceNodes: readonly GraphNode[];
  readonly testedNodes: readonly GraphNode[];
  /** What each side returned for the bisected pass: its exposed tensors and the graph's outputs. */
  readonly testedValues: ReadonlyMap<string, ProbeTensor>;
  readonly referenceValues: ReadonlyMap<string, ProbeTensor>;
  /** Node outputs each side's graph exposes (--nodes may choose a subset). */
  readonly testedExposed: ReadonlySet<string>;
  readonly referenceExposed: ReadonlySet<string>;
  /** The graph inputs; fed the same values on both sides unless `inputErrors` says otherwise. */
  readonly graphInputs: ReadonlySet<string>;
  /** Graph inputs that differ between the sides (a KV cache each side carried), by name. */
  readonly inputErrors?: ReadonlyMap<string, TensorError>;
  /** Each graph's initializers (name → digest): an input in both with equal digests is the same. */
  readonly testedInitializers: ReadonlyMap<string, string>;
  readonly referenceInitializers: ReadonlyMap<string, string>;
  readonly dtype: ComputeDtype;
  readonly nmseLimit: number;
}

/** Every aligned node's errors in the reference graph's order, and the first node where the sides part. */
export function compareNodes(input: NodeComparisonInput): {
  rows: NodeRow[];
  parting: PartingNode | null;
  unmatched: { tested: GraphNode[]; reference: GraphNode[] };
} {
  const testedByOutput = new Map<string, GraphNode>();
  for (const node of input.testedNodes) {
    for (const out of node.outputs) if (input.testedExposed.has(out)) testedByOutput.set(out, node);
  }
  const errors = new Map<string, TensorError>(input.inputErrors ?? []);
  const rows: NodeRow[] = [];
  const aligned = new Set<GraphNode>();
  const unmatchedReference: GraphNode[] = [];
  const roundoff = UNIT_ROUNDOFF[input.dtype];
  for (const node of input.referenceNodes) {
    const exposed = node.outputs.filter((o) => input.referenceExposed.has(o));
    if (exposed.length === 0) continue;
    const names = exposed.filter((o) => testedByOutput.has(o));
    const counterpart = testedByOutput.get(names[0] ?? '');
    if (counterpart === undefined) {
      unmatchedReference.push(node);
      continue;
    }
    aligned.add(counterpart);
    const outputs: TensorError[] = [];
    const mismatches: string[] = [];
    let overflow: NodeRow['overflow'] = null;
    let integerDiffers = false;
    for (const name of names) {
      const [t, r] = [input.testedValues.get(name), input.referenceValues.get(name)];
      if (t === undefined || r === undefined) continue;
      if (t.dims.join() !== r.dims.join()) {
        mismatches.push(`${name}: [${t.dims.join(', ')}] vs [${r.dims.join(', ')}]`);
        continue;
      }
      const error = tensorError(name, t, r);
      errors.set(name, error);
      outputs.push(error);
      if (INTEGER_TYPES.has(r.type) && error.maxAbsDiff > 0) integerDiffers = true;
      overflow ??= float16Overflow(name, t, r);
    }
    const nmse = Math.max(0, ...outputs.map((e) => e.nmse));
    const relError = Math.sqrt(nmse);
    const inputErrors = node.inputs.map((i) => errors.get(i)).filter((e) => e !== undefined);
    const inputRelError =
      inputErrors.length === 0 ? null : Math.sqrt(Math.max(...inputErrors.map((e) => e.nmse)));
    // An input computed by a node --nodes left unexposed, or an initializer the graphs hold
    // differently, carries error nobody measured: the growth is then unknown.
    const unmeasured = node.inputs.some(
      (i) => i !== '' && !errors.has(i) && !['graph input', 'initializer'].includes(sourceOf(i, input)),
    );
    const growth = unmeasured ? null : relError === 0 ? 0 : relError / Math.max(inputRelError ?? 0, roundoff);
    rows.push({
      order: rows.length,
      node,
      outputs,
      mismatches,
      maxAbsDiff: Math.max(0, ...outputs.map((e) => e.maxAbsDiff)),
      nmse,
      scale: Math.max(0, ...outputs.map((e) => e.scale)),
      inputRelError,
      relError,
      growth,
      grows: growth !== null && growth > GROWTH_FLAG,
      parted: nmse > input.nmseLimit || mismatches.length > 0 || integerDiffers,
      overflow,
    });
  }
  const first = rows.find((r) => r.parted);
  const parting: PartingNode | null =
    first === undefined
      ? null
      : {
          order: first.order,
          node: first.node,
          inputs: first.node.inputs
            .filter((name) => name !== '')
            .map((name) => {
              const e = errors.get(name);
              return {
                name,
                nmse: e?.nmse ?? null,
                maxAbsDiff: e?.maxAbsDiff ?? null,
                source: sourceOf(name, input),
              };
            }),
          worst: first.outputs.reduce(
            (a, b) => (b.nmse > a.nmse ? b : a),
            first.outputs[0] ?? {
              name: first.mismatches[0] ?? '',
              type: '',
              dims: [],
              maxAbsDiff: Number.POSITIVE_INFINITY,
              nmse: Number.POSITIVE_INFINITY,
              scale: 0,
              worst: null,
            },
          ),
        };
  const unmatchedTested = input.testedNodes.filter(
    (n) => !aligned.has(n) && n.outputs.some((o) => input.testedExposed.has(o)),
  );
  return { rows, parting, unmatched: { tested: unmatchedTested, reference: unmatchedReference } };
}

/** Where a node's input comes from, as both sides see it. */
function sourceOf(name: string, input: NodeComparisonInput): InputSource {
  if (input.graphInputs.has(name)) return 'graph input';
  const [t, r] = [input.testedInitializers.get(name), input.referenceInitializers.get(name)];
  if (r !== undefined) return t === r ? 'initializer' : 'initializer that differs';
  if (input.testedExposed.has(name) && input.referenceExposed.has(name)) return 'node';
  return 'not exposed';
}
