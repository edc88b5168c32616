import { attentionMasks, MASKED_SCORE } from '../../core/onnx/onnx-decoder-io.ts';
import { intAttr, intsAttr, type OnnxGraph } from '../../core/onnx/onnx-graph.ts';
import { portableCosSin, portableExp, portableLn } from './portable-math.ts';

/**
 * The ONNX pieces the Llama and Gemma-2 writers share: nn.Linear, RMSNorm, RoPE's tables and the
 * eager attention with grouped key/value heads, in standard ops. Each writes its constants when
 * made, so a writer that makes them in the same order always encodes to the same bytes.
 */

/** The dimensions those pieces read from a Llama or Gemma-2 config. */
export interface RotaryDims {
  readonly hidden_size: number;
  readonly head_dim: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly max_position_embeddings: number;
  readonly rope_theta: number;
  readonly rms_norm_eps: number;
}

/** A float initializer of the graph under its HF name (see checkedWeight). */
export type WeightOf = (name: string, shape: readonly number[]) => string;

/** nn.Linear under prefix `p`: y = x @ Wᵀ + b with W stored [out, in] (`<p>.weight`, `<p>.bias`). */
export type Linear = (p: string, input: string, nIn: number, nOut: number, bias: boolean) => string;

/** A Transpose node feeds each MatMul with the [out, in] weight; ORT folds it into a constant at load. */
export function linearOps(g: OnnxGraph, weight: WeightOf): Linear {
  return (p, input, nIn, nOut, bias) => {
    const wT = g.op('Transpose', [weight(`${p}.weight`, [nOut, nIn])], `${p}.weight.T`, [
      intsAttr('perm', [1, 0]),
    ]);
    const mm = g.op('MatMul', [input, wT], bias ? `${p}.matmul` : `${p}.out`);
    return bias ? g.op('Add', [mm, weight(`${p}.bias`, [nOut])], `${p}.out`) : mm;
  };
}

/**
 * RMSNorm `<name>.weight` over the last axis: x / sqrt(mean(x²) + eps) · w (the op pattern ORT
 * fuses to SimplifiedLayerNormalization), or · (1 + w) with `plusOne` (Gemma-2's norms, the Add
 * computed in the graph's float type as HF computes `1.0 + weight`).
 */
export function rmsNormOps(
  g: OnnxGraph,
  weight: WeightOf,
  dims: RotaryDims,
  plusOne = false,
): (name: string, input: string) => string {
  return (name, input) => {
    const sq = g.op('Pow', [input, g.float(2)], `${name}.square`);
    const meanSq = g.op('ReduceMean', [sq], `${name}.mean_square`, [intsAttr('axes', [-1])]); // [.., 1]
    const rms = g.op(
      'Sqrt',
      [g.op('Add', [meanSq, g.float(dims.rms_norm_eps)], `${name}.plus_eps`)],
      `${name}.rms`,
    );
    const normed = g.op('Div', [input, rms], `${name}.normed`);
    const w = weight(`${name}.weight`, [dims.hidden_size]);
    const scale = plusOne ? g.op('Add', [w, g.float(1)], `${name}.one_plus_weight`) : w;
    return g.op('Mul', [normed, scale], `${name}.out`);
  };
}

/** x ← cap · tanh(x / cap), named `out` (Gemma-2's soft-capping of scores and logits). */
export function softcapOps(g: OnnxGraph, x: string, cap: string, out: string): string {
  const tanh = g.op('Tanh', [g.op('Div', [x, cap], `${x}.over_cap`)], `${x}.tanh`);
  return g.op('Mul', [tanh, cap], out);
}

/** One layer's attention over its input-norm output `n` [batch, seq, C] → [batch, seq, H·D]; writes present.{i}.*. */
export type Attention = (
  layer: number,
  n: string,
  past: { readonly key: string; readonly value: string },
) => string;

/** How a family's eager attention differs from Llama's; absent fields are Llama's. */
export interface AttentionFeatures {
  /** Multiplies q · k; default 1 / √head_dim. */
  readonly scale?: number;
  /** Scores become cap · tanh(score / cap) before the mask. */
  readonly softcap?: number | null;
  /** The layers for which `sliding(layer)` holds attend only to the `size` latest positions. */
  readonly slidingWindow?: { readonly size: number; readonly sliding: (layer: number) => boolean } | null;
}

/**
 * Eager attention in standard ops, as HF's eager_attention_forward computes it:
 *   - RoPE with HF's rotate_half pairing (i, i + D/2), cos and sin tables gathered by position_ids;
 *   - grouped-query attention by reshaping the H query heads into [kvHeads, group] so each key/value
 *     head broadcasts over its group (HF's repeat_kv without copying);
 *   - scores masked to finfo(float32).min where attention_mask, causality or a sliding window forbid.
 * Writes its constants (masks, RoPE tables, shapes) now, then one layer's nodes per call.
 */
export function eagerRotaryAttention(
  g: OnnxGraph,
  dims: RotaryDims,
  io: { readonly inputIds: string; readonly attentionMask: string; readonly positionIds: string },
  linear: Linear,
  qkvBias: boolean,
  features: AttentionFeatures = {},
): Attention {
  const { hidden_size: C, head_dim: D, max_position_embeddings: P } = dims;
  const [H, Hkv] = [dims.num_attention_heads, dims.num_key_value_heads];
  const group = H / Hkv;
  const window = features.slidingWindow ?? null;
  const masks = attentionMasks(g, io.inputIds, io.attentionMask, window?.size ?? null); // [batch, 1, seq, total]
  // [batch, 1, 1, seq, total]: broadcasts over [kvHeads, group].
  const grouped = (mask: string, name: string): string => g.op('Unsqueeze', [mask, g.int64([1])], name);
  const allowedGrouped = grouped(masks.full, 'attention_allowed_grouped');
  const tables = rotaryTables(P, D, dims.rope_theta);
  const { cos, sin } = rotaryCosSin(g, io.positionIds, tables, P, D); // [batch, 1, seq, D]
  const scale = g.float(features.scale ?? 1 / Math.sqrt(D));
  const masked = g.float(MASKED_SCORE);
  const halves = g.int64([D / 2, D / 2]);
  const unsqueezeGroup = g.int64([2]);
  const splitHeads = (heads: number) => g.int64([0, 0, heads, D]);
  const [qHeadsShape, kvHeadsShape] = [splitHeads(H), splitHeads(Hkv)];
  const groupedShape = g.int64([0, Hkv, group, -1, D]);
  const ungroupedShape = g.int64([0, H, -1, D]);
  const mergedShape = g.int64([0, 0, H * D]);
  const slidingGrouped = masks.sliding === null ? null : grouped(masks.sliding, 'sliding_allowed_grouped');
  const cap = features.softcap == null ? null : g.float(features.softcap);
  // [batch, seq, heads·D] → [batch, heads, seq, D]
  const toHeads = (t: string, shape: string): string =>
    g.op('Transpose', [g.op('Reshape', [t, shape], `${t}.split_heads`)], `${t}.heads`, [
      intsAttr('perm', [0, 2, 1, 3]),
    ]);
  // t·cos + rotate_half(t)·sin, rotate_half(t) = [−t2, t1] for t = [t1, t2] halves of the last axis.
  const applyRope = (t: string): string => {
    const [t1, t2] = g.opMulti('Split', [t, halves], [`${t}.half1`, `${t}.half2`], [intAttr('axis', -1)]);
    const rotated = g.op('Concat', [g.op('Neg', [t2!], `${t}.neg_half2`), t1!], `${t}.rotate_half`, [
      intAttr('axis', -1),
    ]);
    const turned = g.op('Mul', [rotated, sin], `${t}.rotate_half_sin`);
    return g.op('Add', [g.op('Mul', [t, cos], `${t}.cos`), turned], `${t}.rope`);
  };
  return (i, n, layerPast) => {
    const a = `model.layers.${i}.self_attn`;
    const q = applyRope(toHeads(linear(`${a}.q_proj`, n, C, H * D, qkvBias), qHeadsShape)); // [batch, H, seq, D]
    const k = applyRope(toHeads(linear(`${a}.k_proj`, n, C, Hkv * D, qkvBias), kvHeadsShape)); // [batch, Hkv, seq, D]
    const v = toHeads(linear(`${a}.v_proj`, n, C, Hkv * D, qkvBias), kvHeadsShape); // [batch, Hkv, seq, D]
    // The cache grows by concatenation and holds keys after RoPE: [batch, Hkv, total, D].
    const presentK = g.op('Concat', [layerPast.key, k], `present.${i}.key`, [intAttr('axis', 2)]);
    const presentV = g.op('Concat', [layerPast.value, v], `present.${i}.value`, [intAttr('axis', 2)]);
    const qGrouped = g.op('Reshape', [q, groupedShape], `${a}.q_grouped`); // [batch, Hkv, group, seq, D]
    const kT = g.op('Transpose', [presentK], `${a}.kT`, [intsAttr('perm', [0, 1, 3, 2])]); // [batch, Hkv, D, total]
    const kTGrouped = g.op('Unsqueeze', [kT, unsqueezeGroup], `${a}.kT_grouped`); // [batch, Hkv, 1, D, total]
    const qk = g.op('MatMul', [qGrouped, kTGrouped], `${a}.qk`); // [batch, Hkv, group, seq, total]
    const scaled = g.op('Mul', [qk, scale], cap === null ? `${a}.scores` : `${a}.scaled_scores`);
    const scores = cap === null ? scaled : softcapOps(g, scaled, cap, `${a}.scores`);
    const allowed = window?.sliding(i) ? slidingGrouped! : allowedGrouped;
    const maskedScores = g.op('Where', [allowed, scores, masked], `${a}.masked_scores`);
    const probs = g.op('Softmax', [maskedScores], `${a}.probs`, [intAttr('axis', -1)]);
    const vGrouped = g.op('Unsqueeze', [presentV, unsqueezeGroup], `${a}.v_grouped`); // [batch, Hkv, 1, total, D]
    const ctxGrouped = g.op('MatMul', [probs, vGrouped], `${a}.ctx_grouped`); // [batch, Hkv, group, seq, D]
    const ctx = g.op('Reshape', [ctxGrouped, ungroupedShape], `${a}.ctx`); // [batch, H, seq, D]
    const ctxT = g.op('Transpose', [ctx], `${a}.ctx_t`, [intsAttr('perm', [0, 2, 1, 3])]); // [batch, seq, H, D]
    return g.op('Reshape', [ctxT, mergedShape], `${a}.ctx_merged`); // [batch, seq, H·D]
  };
}

/**
 * cos and sin of every rotary angle, as HF's LlamaRotaryEmbedding defines them: angle(p, i) =
 * p · theta^(−2i/D) for pair i < D/2, emb = [angle, angle]. The tables [max_position_embeddings,
 * D/2] are computed here in float64 (portable-math.ts, so the bytes are the same on every machine)
 * and stored in the graph's float type.
 * Tables instead of Cos/Sin ops: WebGPU's sin and cos are only specified on [−π, π] and
 * SwiftShader's go wrong beyond a few turns, while a Gather is exact on every execution provider.
 */
export function rotaryTables(
  positions: number,
  headDim: number,
  theta: number,
): { cos: Float64Array; sin: Float64Array } {
  const half = headDim / 2;
  const cos = new Float64Array(positions * half); // [positions, D/2]
  const sin = new Float64Array(positions * half);
  const lnTheta = portableLn(theta);
  for (let i = 0; i < half; i++) {
    const invFreq = portableExp((-(2 * i) / headDim) * lnTheta); // theta^(-2i/D)
    for (let p = 0; p < positions; p++) {
      [cos[p * half + i], sin[p * half + i]] = portableCosSin(p * invFreq);
    }
  }
  return { cos, sin };
}

/** The tables gathered by position_ids: cos(emb) and sin(emb) as [batch, 1, seq, D] (broadcast over heads). */
function rotaryCosSin(
  g: OnnxGraph,
  positionIds: string,
  tables: { cos: Float64Array; sin: Float64Array },
  positions: number,
  headDim: number,
): { cos: string; sin: string } {
  const perHead = g.int64([1]);
  const lookUp = (name: string, table: Float64Array): string => {
    const initializer = g.floatInitializer(`rope.${name}_table`, [positions, headDim / 2], table);
    const rows = g.op('Gather', [initializer, positionIds], `rope.${name}_half`); // [batch, seq, D/2]
    const emb = g.op('Concat', [rows, rows], `rope.${name}_seq`, [intAttr('axis', -1)]); // [batch, seq, D]
    return g.op('Unsqueeze', [emb, perHead], `rope.${name}`); // [batch, 1, seq, D]
  };
  return { cos: lookUp('cos', tables.cos), sin: lookUp('sin', tables.sin) };
}
