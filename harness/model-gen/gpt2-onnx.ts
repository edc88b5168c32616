import { ModelDirError } from '../errors.ts';
import type { Gpt2Config } from '../model/gpt2-config.ts';
import { ElemType, floatAttr, intAttr, intsAttr, OnnxGraph } from './onnx-graph.ts';

/**
 * GPT-2 as an ONNX KV-cache decoder, written op by op with the I/O names and dims of an Optimum
 * export (`text-generation-with-past`), so transformers.js and the ORT backends load it unchanged:
 *   inputs  input_ids, position_ids        int64 [batch_size, sequence_length]
 *           attention_mask                 int64 [batch_size, past_sequence_length + sequence_length]
 *           past_key_values.{i}.key|value  float [batch_size, n_head, past_sequence_length, head_dim]
 *   outputs logits                         float [batch_size, sequence_length, vocab_size]
 *           present.{i}.key|value          float [batch_size, n_head, past_sequence_length + sequence_length, head_dim]
 * Semantics follow HF's GPT2LMHeadModel (eager attention, gelu_new, tied lm_head).
 */

export interface Gpt2OnnxTensor {
  readonly dtype: 'F32';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const OPSET = 17; // first opset with LayerNormalization
const IR_VERSION = 8;
const PAST = 'past_sequence_length';
/** Optimum's name for the key extent; symbolic dims with equal names must agree at run time. */
const TOTAL = 'past_sequence_length + sequence_length';
/** HF fills masked scores with torch.finfo(float32).min: finite, so a fully masked row stays finite. */
const MASKED_SCORE = -3.4028234663852886e38;

/** Serialise GPT-2 weights (HF names, no `transformer.` prefix) as an ONNX model; deterministic bytes. */
export function buildGpt2Onnx(config: Gpt2Config, tensors: ReadonlyMap<string, Gpt2OnnxTensor>): Uint8Array {
  if (!config.tie_word_embeddings) {
    throw new ModelDirError(
      'buildGpt2Onnx: tie_word_embeddings false is not supported (logits reuse wte.weight); set it to true',
    );
  }
  const g = new OnnxGraph();
  const C = config.n_embd;
  const H = config.n_head;
  const D = C / H;
  const weight = (name: string, shape: readonly number[]): string =>
    g.floatInitializer(name, shape, checkedTensor(tensors, name, shape));

  const inputIds = g.input('input_ids', ElemType.int64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', ElemType.int64, ['batch_size', TOTAL]);
  const positionIds = g.input('position_ids', ElemType.int64, ['batch_size', 'sequence_length']);
  const past = Array.from({ length: config.n_layer }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, ElemType.float, ['batch_size', H, PAST, D]),
    value: g.input(`past_key_values.${i}.value`, ElemType.float, ['batch_size', H, PAST, D]),
  }));

  const wte = weight('wte.weight', [config.vocab_size, C]); // [V, C]
  const wpe = weight('wpe.weight', [config.n_positions, C]); // [P, C]
  const tokEmb = g.op('Gather', [wte, inputIds], 'tok_emb'); // [batch, seq, C]
  const posEmb = g.op('Gather', [wpe, positionIds], 'pos_emb'); // [batch, seq, C]
  let x = g.op('Add', [tokEmb, posEmb], 'h_in'); // [batch, seq, C]

  const allowed = attentionAllowed(g, inputIds, attentionMask); // [batch, 1, seq, total]
  const scale = g.float(1 / Math.sqrt(D));
  const masked = g.float(MASKED_SCORE);
  const headsShape = g.int64([0, 0, H, D]);
  const mergedShape = g.int64([0, 0, C]);
  const qkvSplit = g.int64([C, C, C]);
  const layerNorm = (p: string, input: string): string =>
    g.op('LayerNormalization', [input, weight(`${p}.weight`, [C]), weight(`${p}.bias`, [C])], `${p}.out`, [
      intAttr('axis', -1),
      floatAttr('epsilon', config.layer_norm_epsilon),
    ]);
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

  g.output('logits', ElemType.float, ['batch_size', 'sequence_length', config.vocab_size]);
  for (let i = 0; i < config.n_layer; i++) {
    g.output(`present.${i}.key`, ElemType.float, ['batch_size', H, TOTAL, D]);
    g.output(`present.${i}.value`, ElemType.float, ['batch_size', H, TOTAL, D]);
  }
  return g.encode({ graphName: 'gpt2', irVersion: IR_VERSION, opset: OPSET, producerName: 'decode-harness' });
}

/**
 * Which keys each query may attend to, computed once for all layers: key j is visible to query i
 * (absolute position past + i) when j <= past + i (causal) and attention_mask[b, j] is 1 (padding).
 * Returns a bool [batch, 1, seq, total].
 */
function attentionAllowed(g: OnnxGraph, inputIds: string, attentionMask: string): string {
  const axis1 = g.int64([1], []);
  const seq = g.op('Gather', [g.op('Shape', [inputIds], 'ids_shape'), axis1], 'seq_len'); // scalar
  const total = g.op('Gather', [g.op('Shape', [attentionMask], 'mask_shape'), axis1], 'total_len'); // scalar
  const pastLen = g.op('Sub', [total, seq], 'past_len'); // scalar
  const one = g.int64([1], []);
  const queryPos = g.op('Range', [pastLen, total, one], 'query_pos'); // [seq]
  const keyPos = g.op('Range', [g.int64([0], []), total, one], 'key_pos'); // [total]
  const queryCol = g.op('Unsqueeze', [queryPos, g.int64([1])], 'query_pos_col'); // [seq, 1]
  const causal = g.op('LessOrEqual', [keyPos, queryCol], 'causal'); // [seq, total]
  const keep = g.op('Cast', [attentionMask], 'key_keep', [intAttr('to', ElemType.bool)]); // [batch, total]
  const keep4 = g.op('Unsqueeze', [keep, g.int64([1, 2])], 'key_keep_4d'); // [batch, 1, 1, total]
  return g.op('And', [causal, keep4], 'attention_allowed'); // [batch, 1, seq, total]
}

/** HF's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the op pattern ORT fuses to FastGelu. */
function geluNew(g: OnnxGraph, x: string, p: string): string {
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

function checkedTensor(
  tensors: ReadonlyMap<string, Gpt2OnnxTensor>,
  name: string,
  shape: readonly number[],
): Float32Array {
  const t = tensors.get(name);
  if (!t) {
    throw new ModelDirError(
      `buildGpt2Onnx: weight ${JSON.stringify(name)} is missing; generate it for this config`,
    );
  }
  const n = shape.reduce((a, d) => a * d, 1);
  if (t.dtype !== 'F32' || t.shape.join(',') !== shape.join(',') || t.data.length !== n) {
    throw new ModelDirError(
      `buildGpt2Onnx: weight ${JSON.stringify(name)} is ${t.dtype} [${t.shape.join(', ')}] with ` +
        `${t.data.length} values, expected F32 [${shape.join(', ')}] (${n} values) for this config; ` +
        'regenerate the weights from the same config',
    );
  }
  return t.data;
}
