import {
  type Gemma2Config,
  gemma2AttentionScale,
  gemma2EmbedScale,
  slidingWindowOf,
} from '../../core/model/families/gemma2.ts';
import {
  checkedWeight,
  decoderInputs,
  decoderOutputs,
  IR_VERSION,
  type OnnxWeight,
  OPSET,
} from '../../core/onnx/onnx-decoder-io.ts';
import { type FloatType, intsAttr, OnnxGraph } from '../../core/onnx/onnx-graph.ts';
import { geluNew } from './gpt2-onnx.ts';
import { eagerRotaryAttention, linearOps, rmsNormOps, softcapOps } from './rotary-onnx.ts';

/**
 * Gemma-2 as an ONNX KV-cache decoder with the I/O of an Optimum export (onnx-decoder-io.ts; the
 * cache has num_key_value_heads heads), written op by op as HF's Gemma2ForCausalLM computes it
 * with eager attention, in the graph's float type:
 *   - inputs_embeds · √hidden_size, the normalizer a constant of the graph's float type (HF's
 *     `torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype)`: rounded to float32 in the
 *     model files' graph, the float64 root in the float64 graph);
 *   - every RMSNorm by (1 + weight), the Add in the graph (rotary-onnx.ts rmsNormOps);
 *   - Llama's attention (RoPE tables, grouped key/value heads) scaled by query_pre_attn_scalar^-0.5,
 *     soft-capped (Div, Tanh, Mul by attn_logit_softcapping) before the mask, and on sliding layers
 *     masked to the sliding_window latest positions as well;
 *   - post_attention_layernorm on the attention output and post_feedforward_layernorm on the MLP's,
 *     before each residual Add; pre_feedforward_layernorm on the MLP's input;
 *   - GeGLU MLP down(gelu_tanh(gate(x)) · up(x)), gelu_tanh in gpt2-onnx's gelu_new ops (the same
 *     function as gelu_pytorch_tanh);
 *   - LM head lm_head.weight or embed_tokens (tied), then the logits soft-capped by
 *     final_logit_softcapping.
 * Only standard ONNX ops (opset 17), all of which the float64 interpreter onnx:f64 implements.
 */
export function buildGemma2Onnx(
  config: Gemma2Config,
  tensors: ReadonlyMap<string, OnnxWeight>,
  options: { readonly float?: FloatType } = {},
): Uint8Array {
  const g = new OnnxGraph(options.float);
  const { hidden_size: C, intermediate_size: F, head_dim: D, vocab_size: V } = config;
  const [H, Hkv] = [config.num_attention_heads, config.num_key_value_heads];
  const weight = (name: string, shape: readonly number[]): string =>
    g.floatInitializer(name, shape, checkedWeight('buildGemma2Onnx', tensors, name, shape));
  const cache = { layers: config.num_hidden_layers, kvHeads: Hkv, headDim: D };
  const { inputIds, attentionMask, positionIds, past } = decoderInputs(g, cache);
  const linear = linearOps(g, weight);
  const rmsNorm = rmsNormOps(g, weight, config, true);
  const bias = config.attention_bias;

  const embed = weight('model.embed_tokens.weight', [V, C]); // [V, C]
  const embeds = g.op('Gather', [embed, inputIds], 'inputs_embeds'); // [batch, seq, C]
  const normalizer = g.float(gemma2EmbedScale(config, g.floatType));
  let x = g.op('Mul', [embeds, normalizer], 'inputs_embeds_normalized'); // [batch, seq, C]
  const sliding = (layer: number): boolean => slidingWindowOf(config, layer) !== null;
  const attention = eagerRotaryAttention(
    g,
    config,
    { inputIds, attentionMask, positionIds: positionIds! },
    linear,
    bias,
    {
      scale: gemma2AttentionScale(config),
      softcap: config.attn_logit_softcapping,
      slidingWindow: config.layer_types.some((_, i) => sliding(i))
        ? { size: config.sliding_window, sliding }
        : null,
    },
  );

  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    // --- attention ---
    const n = rmsNorm(`${p}.input_layernorm`, x); // [batch, seq, C]
    const merged = attention(i, n, past[i]!); // [batch, seq, H·D]
    const attnOut = linear(`${p}.self_attn.o_proj`, merged, H * D, C, bias); // [batch, seq, C]
    x = g.op('Add', [x, rmsNorm(`${p}.post_attention_layernorm`, attnOut)], `${p}.attn_residual`);
    // --- MLP ---
    const m = `${p}.mlp`;
    const n2 = rmsNorm(`${p}.pre_feedforward_layernorm`, x); // [batch, seq, C]
    const gelu = geluNew(g, linear(`${m}.gate_proj`, n2, C, F, false), `${m}.gelu`); // [batch, seq, F]
    const act = g.op('Mul', [gelu, linear(`${m}.up_proj`, n2, C, F, false)], `${m}.act`); // [batch, seq, F]
    const mlpOut = linear(`${m}.down_proj`, act, F, C, false); // [batch, seq, C]
    x = g.op('Add', [x, rmsNorm(`${p}.post_feedforward_layernorm`, mlpOut)], `${p}.mlp_residual`);
  }

  const head = config.tie_word_embeddings ? embed : weight('lm_head.weight', [V, C]); // [V, C]
  const headT = g.op('Transpose', [head], 'lm_head.weight.T', [intsAttr('perm', [1, 0])]); // [C, V]
  const cap = config.final_logit_softcapping;
  const normed = rmsNorm('model.norm', x);
  const lmLogits = g.op('MatMul', [normed, headT], cap === null ? 'logits' : 'lm_logits'); // [batch, seq, V]
  if (cap !== null) softcapOps(g, lmLogits, g.float(cap), 'logits');
  decoderOutputs(g, cache, V);
  return g.encode({
    graphName: 'gemma2',
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'decode-harness',
  });
}
