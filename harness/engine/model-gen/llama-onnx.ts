import type { LlamaConfig } from '../../core/model/families/llama.ts';
import {
  checkedWeight,
  decoderInputs,
  decoderOutputs,
  IR_VERSION,
  type OnnxWeight,
  OPSET,
} from '../../core/onnx/onnx-decoder-io.ts';
import { type FloatType, intAttr, intsAttr, OnnxGraph } from '../../core/onnx/onnx-graph.ts';
import { type Attention, eagerRotaryAttention, linearOps, rmsNormOps, rotaryTables } from './rotary-onnx.ts';

/**
 * The Llama family as an ONNX KV-cache decoder, written op by op with the I/O of an Optimum export
 * (see onnx-decoder-io.ts; the cache has num_key_value_heads heads). Semantics follow HF's
 * LlamaForCausalLM with eager attention, in float32 as HF computes it:
 *   - RMSNorm as x / sqrt(mean(x²) + eps) · w (see rotary-onnx.ts for it and the attention);
 *   - RoPE with HF's rotate_half pairing and grouped-query attention (eagerRotaryAttention);
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
  const weight = (name: string, shape: readonly number[]): string =>
    g.floatInitializer(name, shape, checkedWeight('buildLlamaOnnx', tensors, name, shape));
  const cache = { layers: config.num_hidden_layers, kvHeads: Hkv, headDim: D };
  const { inputIds, attentionMask, positionIds, past } = decoderInputs(g, cache, {
    positionIds: !groupQuery,
  });
  const linear = linearOps(g, weight);
  const rmsNorm = rmsNormOps(g, weight, config);

  const embed = weight('model.embed_tokens.weight', [V, C]); // [V, C]
  let x = g.op('Gather', [embed, inputIds], 'inputs_embeds'); // [batch, seq, C]
  const groupQueryAttention = (): Attention => {
    const tables = rotaryTables(config.max_position_embeddings, D, config.rope_theta);
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
  const attention = groupQuery
    ? groupQueryAttention()
    : eagerRotaryAttention(
        g,
        config,
        { inputIds, attentionMask, positionIds: positionIds! },
        linear,
        config.attention_bias,
      );

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

/** onnxruntime's contrib-op domain (GroupQueryAttention). */
const MS_DOMAIN = 'com.microsoft';
const INT32 = 6; // TensorProto.DataType.INT32
