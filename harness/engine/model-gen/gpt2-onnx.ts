import { ModelDirError } from '../../core/errors.ts';
import type { Gpt2Config } from '../../core/model/families/gpt2.ts';
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
import { type FloatType, floatAttr, intAttr, intsAttr, OnnxGraph } from '../../core/onnx/onnx-graph.ts';

/**
 * GPT-2 as an ONNX KV-cache decoder, written op by op with the I/O of an Optimum export (see
 * onnx-decoder-io.ts; the cache has n_head heads). Semantics follow HF's GPT2LMHeadModel (eager
 * attention, gelu_new, tied lm_head).
 */

/** How the graph is written. */
export interface Gpt2OnnxOptions {
  /**
   * The float type of the weights, constants, activations, KV cache and logits: `float32` (default,
   * the model files' graph) or `float64` (the same model, weights widened exactly, constants exact).
   */
  readonly float?: FloatType;
}

/** Serialise GPT-2 weights (HF names, no `transformer.` prefix) as an ONNX model; deterministic bytes. */
export function buildGpt2Onnx(
  config: Gpt2Config,
  tensors: ReadonlyMap<string, OnnxWeight>,
  options: Gpt2OnnxOptions = {},
): Uint8Array {
  if (!config.tie_word_embeddings) {
    throw new ModelDirError(
      'buildGpt2Onnx: tie_word_embeddings false is not supported (logits reuse wte.weight); set it to true',
    );
  }
  const g = new OnnxGraph(options.float);
  const C = config.n_embd;
  const H = config.n_head;
  const D = C / H;
  const weight = (name: string, shape: readonly number[]): string =>
    g.floatInitializer(name, shape, checkedWeight('buildGpt2Onnx', tensors, name, shape));
  const cache = { layers: config.n_layer, kvHeads: H, headDim: D };
  const { inputIds, attentionMask, positionIds, past } = decoderInputs(g, cache);

  const wte = weight('wte.weight', [config.vocab_size, C]); // [V, C]
  const wpe = weight('wpe.weight', [config.n_positions, C]); // [P, C]
  const tokEmb = g.op('Gather', [wte, inputIds], 'tok_emb'); // [batch, seq, C]
  const posEmb = g.op('Gather', [wpe, positionIds!], 'pos_emb'); // [batch, seq, C]
  let x = g.op('Add', [tokEmb, posEmb], 'h_in'); // [batch, seq, C]

  const allowed = attentionAllowed(g, inputIds, attentionMask); // [batch, 1, seq, total]
  const scale = g.float(1 / Math.sqrt(D));
  const masked = g.float(MASKED_SCORE);
  const headsShape = g.int64([0, 0, H, D]);
  const mergedShape = g.int64([0, 0, C]);
  const qkvSplit = g.int64([C, C, C]);
  // LayerNormalization's epsilon is a float32 attribute whatever the input type, so the float64 graph
  // spells the op out with epsilon as a float64 constant (the same formula, see layerNormOps).
  const layerNorm = (p: string, input: string): string => {
    const [w, b] = [weight(`${p}.weight`, [C]), weight(`${p}.bias`, [C])];
    if (g.floatType === 'float64') return layerNormOps(g, p, input, w, b, config.layer_norm_epsilon);
    return g.op('LayerNormalization', [input, w, b], `${p}.out`, [
      intAttr('axis', -1),
      floatAttr('epsilon', config.layer_norm_epsilon),
    ]);
  };
  // HF Conv1D: y = x @ W + b with W stored [in, out].
  const conv1d = (p: string, input: string, nIn: number, nOut: number): string => {
    const mm = g.op('MatMul', [input, weight(`${p}.weight`, [nIn, nOut])], `${p}.matmul`);
    return g.op('Add', [mm, weight(`${p}.bias`, [nOut])], `${p}.out`);
  };

  for (let i = 0; i < config.n_layer; i++) {
    const p = `h.${i}`;
    const layerPast = past[i]!;
    // --- attention ---
    const qkv = conv1d(`${p}.attn.c_attn`, layerNorm(`${p}.ln_1`, x), C, 3 * C); // [batch, seq, 3C]
    const [q, k, v] = g.opMulti(
      'Split',
      [qkv, qkvSplit],
      [`${p}.q`, `${p}.k`, `${p}.v`],
      [intAttr('axis', 2)],
    );
    // [batch, seq, C] → [batch, heads, seq, headDim]; head h owns columns h*D..(h+1)*D.
    const heads = (t: string): string =>
      g.op('Transpose', [g.op('Reshape', [t, headsShape], `${t}.split_heads`)], `${t}.heads`, [
        intsAttr('perm', [0, 2, 1, 3]),
      ]);
    // The cache grows by concatenation: [batch, heads, past + seq, headDim].
    const presentK = g.op('Concat', [layerPast.key, heads(k!)], `present.${i}.key`, [intAttr('axis', 2)]);
    const presentV = g.op('Concat', [layerPast.value, heads(v!)], `present.${i}.value`, [intAttr('axis', 2)]);
    const kT = g.op('Transpose', [presentK], `${p}.kT`, [intsAttr('perm', [0, 1, 3, 2])]); // [batch, heads, headDim, total]
    const qk = g.op('MatMul', [heads(q!), kT], `${p}.qk`); // [batch, heads, seq, total]
    const scores = g.op('Mul', [qk, scale], `${p}.scores`);
    const maskedScores = g.op('Where', [allowed, scores, masked], `${p}.masked_scores`);
    const probs = g.op('Softmax', [maskedScores], `${p}.probs`, [intAttr('axis', -1)]);
    const ctx = g.op('MatMul', [probs, presentV], `${p}.ctx`); // [batch, heads, seq, headDim]
    const ctxT = g.op('Transpose', [ctx], `${p}.ctx_t`, [intsAttr('perm', [0, 2, 1, 3])]); // [batch, seq, heads, headDim]
    const merged = g.op('Reshape', [ctxT, mergedShape], `${p}.ctx_merged`); // [batch, seq, C]
    x = g.op('Add', [x, conv1d(`${p}.attn.c_proj`, merged, C, C)], `${p}.attn_residual`);
    // --- MLP ---
    const fc = conv1d(`${p}.mlp.c_fc`, layerNorm(`${p}.ln_2`, x), C, config.n_inner); // [batch, seq, inner]
    const act = geluNew(g, fc, `${p}.mlp.gelu`);
    x = g.op('Add', [x, conv1d(`${p}.mlp.c_proj`, act, config.n_inner, C)], `${p}.mlp_residual`);
  }

  // Tied lm_head: logits = ln_f(x) @ wte^T (ORT folds the constant transpose once at load).
  const wteT = g.op('Transpose', [wte], 'wte.weight.T', [intsAttr('perm', [1, 0])]); // [C, V]
  g.op('MatMul', [layerNorm('ln_f', x), wteT], 'logits'); // [batch, seq, V]

  decoderOutputs(g, cache, config.vocab_size);
  return g.encode({ graphName: 'gpt2', irVersion: IR_VERSION, opset: OPSET, producerName: 'decode-harness' });
}

/**
 * LayerNormalization over the last axis from primitive ops: (x − mean) / sqrt(var + eps) · w + b,
 * var the population variance (ONNX's and PyTorch's definition), eps a constant of the graph's type.
 */
function layerNormOps(g: OnnxGraph, p: string, x: string, w: string, b: string, eps: number): string {
  const lastAxis = [intsAttr('axes', [-1])];
  const mean = g.op('ReduceMean', [x], `${p}.mean`, lastAxis); // [.., 1]
  const centered = g.op('Sub', [x, mean], `${p}.centered`);
  const sq = g.op('Mul', [centered, centered], `${p}.centered_square`);
  const variance = g.op('ReduceMean', [sq], `${p}.variance`, lastAxis); // [.., 1]
  const std = g.op('Sqrt', [g.op('Add', [variance, g.float(eps)], `${p}.plus_eps`)], `${p}.std`);
  const normed = g.op('Div', [centered, std], `${p}.normed`);
  return g.op('Add', [g.op('Mul', [normed, w], `${p}.scaled`), b], `${p}.out`);
}

/** HF's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the op pattern ORT fuses to FastGelu. */
export function geluNew(g: OnnxGraph, x: string, p: string): string {
  const cube = g.op('Pow', [x, g.float(3)], `${p}.cube`);
  const inner = g.op('Add', [x, g.op('Mul', [cube, g.float(0.044715)], `${p}.cube_scaled`)], `${p}.inner`);
  const t = g.op(
    'Tanh',
    [g.op('Mul', [inner, g.float(Math.sqrt(2 / Math.PI))], `${p}.tanh_in`)],
    `${p}.tanh`,
  );
  const onePlus = g.op('Add', [t, g.float(1)], `${p}.one_plus`);
  return g.op('Mul', [g.op('Mul', [x, g.float(0.5)], `${p}.half_x`), onePlus], `${p}.out`);
}
