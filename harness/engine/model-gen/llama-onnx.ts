import type { LlamaConfig } from '../../core/model/families/llama.ts';
import {
  attentionAllowed,
  checkedWeight,
  decoderInputs,
  decoderOutputs,
  IR_VERSION,
  MASKED_SCORE,
  type OnnxWeight,
  OPSET,
} from '../../core/onnx/onnx-decoder-io.ts';
import { type FloatType, intAttr, intsAttr, OnnxGraph } from '../../core/onnx/onnx-graph.ts';
import { portableCosSin, portableExp, portableLn } from './portable-math.ts';

/**
 * The Llama family as an ONNX KV-cache decoder, written op by op with the I/O of an Optimum export
 * (see onnx-decoder-io.ts; the cache has num_key_value_heads heads). Semantics follow HF's
 * LlamaForCausalLM with eager attention, in float32 as HF computes it:
 *   - RMSNorm as x / sqrt(mean(x²) + eps) · w (the op pattern ORT fuses to SimplifiedLayerNormalization);
 *   - RoPE with HF's rotate_half pairing (i, i + D/2), cos and sin tables gathered by position_ids;
 *   - grouped-query attention by reshaping the H query heads into [kvHeads, group] so each key/value
 *     head broadcasts over its group (HF's repeat_kv without copying);
 *   - SwiGLU MLP down(silu(gate(x)) · up(x)); LM head lm_head.weight, or embed_tokens when tied.
 * nn.Linear weights stay in HF's [out, in] layout under their HF names; a Transpose node feeds each
 * MatMul, which ORT folds into a constant once at load.
 */
/** How the graph writes attention. */
export interface LlamaOnnxOptions {
  /**
   * `eager` (default): in standard ops, as above. `group-query`: one `com.microsoft`
   * `GroupQueryAttention` per layer with RoPE inside it (do_rotary, HF's rotate_half pairing, the
   * same cos/sin tables), as onnxruntime-genai's model builder writes Llama: no position_ids input,
   * positions and the valid keys of each row come from seqlens_k = Σ attention_mask − 1 and
   * total_sequence_length = attention_mask's width. The op reads each row's tokens as starting at
   * cache column 0 (right padding), so a left-padded row does not compute what HF computes.
   */
  readonly attention?: 'eager' | 'group-query';
  /**
   * The float type of the weights, constants, RoPE tables, activations, KV cache and logits:
   * `float32` (default, the model files' graph) or `float64` (the same model, weights widened
   * exactly, constants and tables exact).
   */
  readonly float?: FloatType;
}

export function buildLlamaOnnx(
  config: LlamaConfig,
  tensors: ReadonlyMap<string, OnnxWeight>,
  options: LlamaOnnxOptions = {},
): Uint8Array {
  const groupQuery = options.attention === 'group-query';
  const g = new OnnxGraph(options.float);
  const { hidden_size: C, intermediate_size: F, head_dim: D, vocab_size: V } = config;
  const [H, Hkv] = [config.num_attention_heads, config.num_key_value_heads];
  const group = H / Hkv;
  const weight = (name: string, shape: readonly number[]): string =>
    g.floatInitializer(name, shape, checkedWeight('buildLlamaOnnx', tensors, name, shape));
  const cache = { layers: config.num_hidden_layers, kvHeads: Hkv, headDim: D };
  const { inputIds, attentionMask, positionIds, past } = decoderInputs(g, cache, {
    positionIds: !groupQuery,
  });

  const embed = weight('model.embed_tokens.weight', [V, C]); // [V, C]
  let x = g.op('Gather', [embed, inputIds], 'inputs_embeds'); // [batch, seq, C]
  const tables = rotaryTables(config.max_position_embeddings, D, config.rope_theta);
  // Each writes its constants when made, here, so the eager graph keeps its node and initializer order.
  const eagerAttention = (): Attention => {
    const allowed = attentionAllowed(g, inputIds, attentionMask); // [batch, 1, seq, total]
    // [batch, 1, 1, seq, total]: broadcasts over [kvHeads, group].
    const allowedGrouped = g.op('Unsqueeze', [allowed, g.int64([1])], 'attention_allowed_grouped');
    const { cos, sin } = rotaryCosSin(g, positionIds!, tables, config.max_position_embeddings, D); // [batch, 1, seq, D]
    const scale = g.float(1 / Math.sqrt(D));
    const masked = g.float(MASKED_SCORE);
    const halves = g.int64([D / 2, D / 2]);
    const unsqueezeGroup = g.int64([2]);
    const splitHeads = (heads: number) => g.int64([0, 0, heads, D]);
    const [qHeadsShape, kvHeadsShape] = [splitHeads(H), splitHeads(Hkv)];
    const groupedShape = g.int64([0, Hkv, group, -1, D]);
    const ungroupedShape = g.int64([0, H, -1, D]);
    const mergedShape = g.int64([0, 0, H * D]);
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
      const q = applyRope(toHeads(linear(`${a}.q_proj`, n, C, H * D, config.attention_bias), qHeadsShape)); // [batch, H, seq, D]
      const k = applyRope(toHeads(linear(`${a}.k_proj`, n, C, Hkv * D, config.attention_bias), kvHeadsShape)); // [batch, Hkv, seq, D]
      const v = toHeads(linear(`${a}.v_proj`, n, C, Hkv * D, config.attention_bias), kvHeadsShape); // [batch, Hkv, seq, D]
      // The cache grows by concatenation and holds keys after RoPE: [batch, Hkv, total, D].
      const presentK = g.op('Concat', [layerPast.key, k], `present.${i}.key`, [intAttr('axis', 2)]);
      const presentV = g.op('Concat', [layerPast.value, v], `present.${i}.value`, [intAttr('axis', 2)]);
      const qGrouped = g.op('Reshape', [q, groupedShape], `${a}.q_grouped`); // [batch, Hkv, group, seq, D]
      const kT = g.op('Transpose', [presentK], `${a}.kT`, [intsAttr('perm', [0, 1, 3, 2])]); // [batch, Hkv, D, total]
      const kTGrouped = g.op('Unsqueeze', [kT, unsqueezeGroup], `${a}.kT_grouped`); // [batch, Hkv, 1, D, total]
      const qk = g.op('MatMul', [qGrouped, kTGrouped], `${a}.qk`); // [batch, Hkv, group, seq, total]
      const scores = g.op('Mul', [qk, scale], `${a}.scores`);
      const maskedScores = g.op('Where', [allowedGrouped, scores, masked], `${a}.masked_scores`);
      const probs = g.op('Softmax', [maskedScores], `${a}.probs`, [intAttr('axis', -1)]);
      const vGrouped = g.op('Unsqueeze', [presentV, unsqueezeGroup], `${a}.v_grouped`); // [batch, Hkv, 1, total, D]
      const ctxGrouped = g.op('MatMul', [probs, vGrouped], `${a}.ctx_grouped`); // [batch, Hkv, group, seq, D]
      const ctx = g.op('Reshape', [ctxGrouped, ungroupedShape], `${a}.ctx`); // [batch, H, seq, D]
      const ctxT = g.op('Transpose', [ctx], `${a}.ctx_t`, [intsAttr('perm', [0, 2, 1, 3])]); // [batch, seq, H, D]
      const merged = g.op('Reshape', [ctxT, mergedShape], `${a}.ctx_merged`); // [batch, seq, H·D]
      return merged;
    };
  };
  const groupQueryAttention = (): Attention => {
    const cosCache = g.floatInitializer(
      'rope.cos_cache',
      [config.max_position_embeddings, D / 2],
      tables.cos,
    );
    const sinCache = g.floatInitializer(
      'rope.sin_cache',
      [config.max_position_embeddings, D / 2],
      tables.sin,
    );
    const toInt32 = [intAttr('to', INT32)];
    const maskSum = g.op('ReduceSum', [attentionMask, g.int64([1])], 'mask_sum', [intAttr('keepdims', 0)]); // [batch]
    const seqlensK = g.op(
      'Cast',
      [g.op('Sub', [maskSum, g.int64([1], [])], 'mask_last')],
      'seqlens_k',
      toInt32,
    );
    const width = g.op(
      'Gather',
      [g.op('Shape', [attentionMask], 'mask_shape'), g.int64([1], [])],
      'mask_width',
    );
    const totalLength = g.op('Cast', [width], 'total_sequence_length', toInt32); // int32 scalar
    return (i, n, layerPast) => {
      const a = `model.layers.${i}.self_attn`;
      const q = linear(`${a}.q_proj`, n, C, H * D, config.attention_bias); // [batch, seq, H·D]
      const k = linear(`${a}.k_proj`, n, C, Hkv * D, config.attention_bias); // [batch, seq, Hkv·D]
      const v = linear(`${a}.v_proj`, n, C, Hkv * D, config.attention_bias);
      const inputs = [q, k, v, layerPast.key, layerPast.value, seqlensK, totalLength, cosCache, sinCache];
      const [out] = g.opMulti(
        'GroupQueryAttention',
        inputs,
        [`${a}.gqa`, `present.${i}.key`, `present.${i}.value`],
        [
          intAttr('num_heads', H),
          intAttr('kv_num_heads', Hkv),
          intAttr('do_rotary', 1),
          intAttr('rotary_interleaved', 0),
        ],
        MS_DOMAIN,
      );
      return out!;
    };
  };
  const attention = groupQuery ? groupQueryAttention() : eagerAttention();

  const rmsNorm = (name: string, input: string): string => {
    const sq = g.op('Pow', [input, g.float(2)], `${name}.square`);
    const meanSq = g.op('ReduceMean', [sq], `${name}.mean_square`, [intsAttr('axes', [-1])]); // [.., 1]
    const rms = g.op(
      'Sqrt',
      [g.op('Add', [meanSq, g.float(config.rms_norm_eps)], `${name}.plus_eps`)],
      `${name}.rms`,
    );
    const normed = g.op('Div', [input, rms], `${name}.normed`);
    return g.op('Mul', [normed, weight(`${name}.weight`, [C])], `${name}.out`);
  };
  // nn.Linear: y = x @ Wᵀ + b with W stored [out, in].
  const linear = (p: string, input: string, nIn: number, nOut: number, bias: boolean): string => {
    const wT = g.op('Transpose', [weight(`${p}.weight`, [nOut, nIn])], `${p}.weight.T`, [
      intsAttr('perm', [1, 0]),
    ]);
    const mm = g.op('MatMul', [input, wT], bias ? `${p}.matmul` : `${p}.out`);
    return bias ? g.op('Add', [mm, weight(`${p}.bias`, [nOut])], `${p}.out`) : mm;
  };

  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    const layerPast = past[i]!;
    // --- attention ---
    const n = rmsNorm(`${p}.input_layernorm`, x); // [batch, seq, C]
    const merged = attention(i, n, layerPast); // [batch, seq, H·D]
    x = g.op('Add', [x, linear(`${a}.o_proj`, merged, H * D, C, config.o_proj_bias)], `${p}.attn_residual`);
    // --- MLP ---
    const m = `${p}.mlp`;
    const n2 = rmsNorm(`${p}.post_attention_layernorm`, x); // [batch, seq, C]
    const gate = linear(`${m}.gate_proj`, n2, C, F, false); // [batch, seq, F]
    const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate], `${m}.gate_sigmoid`)], `${m}.silu`);
    const act = g.op('Mul', [silu, linear(`${m}.up_proj`, n2, C, F, false)], `${m}.act`); // [batch, seq, F]
    x = g.op('Add', [x, linear(`${m}.down_proj`, act, F, C, false)], `${p}.mlp_residual`);
  }

  const head = config.tie_word_embeddings ? embed : weight('lm_head.weight', [V, C]); // [V, C]
  const headT = g.op('Transpose', [head], 'lm_head.weight.T', [intsAttr('perm', [1, 0])]); // [C, V]
  g.op('MatMul', [rmsNorm('model.norm', x), headT], 'logits'); // [batch, seq, V]
  decoderOutputs(g, cache, V);
  return g.encode({
    graphName: 'llama',
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'decode-harness',
  });
}

/** One layer's attention over its input-norm output `n` [batch, seq, C] → [batch, seq, H·D]; writes present.{i}.*. */
type Attention = (layer: number, n: string, past: { readonly key: string; readonly value: string }) => string;

/** onnxruntime's contrib-op domain (GroupQueryAttention). */
const MS_DOMAIN = 'com.microsoft';
const INT32 = 6; // TensorProto.DataType.INT32

/**
 * cos and sin of every rotary angle, as HF's LlamaRotaryEmbedding defines them: angle(p, i) =
 * p · theta^(−2i/D) for pair i < D/2, emb = [angle, angle]. The tables [max_position_embeddings,
 * D/2] are computed here in float64 (portable-math.ts, so the bytes are the same on every machine)
 * and stored in the graph's float type.
 * Tables instead of Cos/Sin ops: WebGPU's sin and cos are only specified on [−π, π] and
 * SwiftShader's go wrong beyond a few turns, while a Gather is exact on every execution provider.
 */
function rotaryTables(
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
