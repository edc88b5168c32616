import { BackendUnavailable, HarnessError } from '../../harness/core/errors.ts';

interface PlacedNode {
  readonly op: string;
  readonly name: string;
}
/**
 * Nodes per execution provider, from onnxruntime's verbose "Node placements" log. `nodes` is
 * empty when every node went to one provider: onnxruntime then prints only the count.
 */
export type NodePlacements = ReadonlyMap<
  string,
  { readonly count: number; readonly nodes: readonly PlacedNode[] }
>;

/**
 * Op types onnxruntime may leave on the CPU beside a GPU provider: the shape and index arithmetic
 * of a decoder graph (Shape → Gather → Sub → Range for positions, the causal mask, CumSum → Where
 * for positions derived from the mask, Neg → Reshape → Slice for num_logits_to_keep, ReduceSum of
 * the mask for GroupQueryAttention's sequence lengths), on int64 and
 * bool tensors the WebGPU provider has no kernels for. Each of these ops that has a float form has
 * a float32 WebGPU kernel (webgpu-shape-ops.test.ts places all of them on WebGPU), so onnxruntime
 * only ever places their integer forms on the CPU; ConstantOfShape stays on the CPU in any form, and
 * only writes one constant, exact on any provider. Any other op on the CPU (MatMul,
 * LayerNormalization, Softmax, MatMulInteger, …) is an activation kernel that fell back: the
 * numbers would not be WebGPU's.
 */
export const SHAPE_OPS: ReadonlySet<string> = new Set([
  'Shape',
  'Gather',
  'Sub',
  'Add',
  'Range',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Cast',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'And',
  'Or',
  'Not',
  'ConstantOfShape',
  'Neg',
  'Reshape',
  'Slice',
  'CumSum',
  'Where',
  'ReduceSum',
]);

const GROUP = /(?:Node\(s\)|All nodes) placed on \[(\w+)\]\. Number of nodes: (\d+)/;
const NODE = /VerifyEachNodeIsAssignedToAnEp\]\s+(\w+) \((.*)\)\s*$/;

/**
 * Parse the placement block onnxruntime prints at verbose level while creating a session:
 *   Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 68
 *     MatMul (h.0.attn.c_attn.matmul)
 * or, with a single provider, `All nodes placed on [CPUExecutionProvider]. Number of nodes: 71`.
 * Returns an empty map when the block is absent.
 */
export function parsePlacements(lines: readonly string[]): NodePlacements {
  const placements = new Map<string, { count: number; nodes: PlacedNode[] }>();
  let current: PlacedNode[] | undefined;
  for (const line of lines) {
    const group = GROUP.exec(line);
    if (group) {
      current = [];
      placements.set(group[1]!, { count: Number(group[2]), nodes: current });
      continue;
    }
    const node = NODE.exec(line);
    if (node && current) current.push({ op: node[1]!, name: node[2]! });
  }
  return placements;
}

/**
 * Check a session ran on `provider` with nothing but shape ops elsewhere; returns a one-line
 * summary for BackendInfo.executionProvider. Throws when the log is missing (we cannot prove
 * what ran) or any other node fell back to the CPU.
 */
export function checkPlacements(backendId: string, provider: string, placements: NodePlacements): string {
  const ours = placements.get(provider)?.count ?? 0;
  if (ours === 0) {
    const seen = [...placements.keys()].join(', ') || 'no placement log at all';
    throw new HarnessError(
      `${backendId}: onnxruntime placed no node on ${provider} (saw: ${seen}); the session did not run ` +
        'on the requested execution provider. Check that the model uses ops this provider supports',
      1,
    );
  }
  const elsewhere = [...placements].flatMap(([ep, { nodes }]) =>
    ep === provider ? [] : nodes.map((n) => ({ ep, ...n })),
  );
  const fellBack = elsewhere.filter((node) => !SHAPE_OPS.has(node.op));
  if (fellBack.length > 0) {
    // Unavailable for this graph, not broken: another graph (an fp32 export, q4 instead of q8) may run.
    const ops = [...new Set(fellBack.map((n) => n.op))];
    throw new BackendUnavailable(
      backendId,
      `${fellBack.length} compute node(s) of this graph would fall back from ${provider} to ${fellBack[0]?.ep}: ` +
        `${ops.join(', ')} (first: ${fellBack[0]?.name}) have no ${provider} kernel in this onnxruntime build, ` +
        'so the numbers would not be its own',
      'run this graph on a backend whose provider has these ops, or pick a variant without them (--dtype)',
    );
  }
  return elsewhere.length === 0
    ? `${provider} (all ${ours} nodes)`
    : `${provider} (${ours} nodes; ${elsewhere.length} shape nodes on CPU)`;
}
