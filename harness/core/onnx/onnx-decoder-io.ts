import { ModelDirError } from '../errors.ts';
import { ElemType, intAttr, type OnnxGraph } from './onnx-graph.ts';

/**
 * What every generated ONNX KV-cache decoder shares: the I/O names and dims of an Optimum export
 * (`text-generation-with-past`), so transformers.js and the ORT backends load it unchanged,
 *   inputs  input_ids, position_ids        int64 [batch_size, sequence_length]
 *           attention_mask                 int64 [batch_size, past_sequence_length + sequence_length]
 *           past_key_values.{i}.key|value  float [batch_size, kv_heads, past_sequence_length, head_dim]
 *   outputs logits                         float [batch_size, sequence_length, vocab_size]
 *           present.{i}.key|value          float [batch_size, kv_heads, past_sequence_length + sequence_length, head_dim]
 * (float: the graph's float type, float32 in the model files) and the attention mask built from
 * attention_mask (HF's eager masking).
 */

/** 17: the first with LayerNormalization (GPT-2); ReduceMean still takes axes as an attribute. */
export const OPSET = 17;
export const IR_VERSION = 8;
const PAST = 'past_sequence_length';
/** Optimum's name for the key extent; symbolic dims with equal names must agree at run time. */
const TOTAL = 'past_sequence_length + sequence_length';
/** HF fills masked scores with torch.finfo(float32).min: finite, so a fully masked row stays finite. */
export const MASKED_SCORE = -3.4028234663852886e38;

/** A float32 weight as the graph writers take it (a float64 graph widens it exactly). */
export interface OnnxWeight {
  readonly dtype: 'F32';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface DecoderInputs {
  readonly inputIds: string;
  readonly attentionMask: string;
  /** Null for a graph that derives positions from attention_mask itself. */
  readonly positionIds: string | null;
  /** Per layer, the cache so far: [batch, kvHeads, past, headDim]. */
  readonly past: readonly { readonly key: string; readonly value: string }[];
}

/** Cache dims of one layer's key or value: [batch, kvHeads, length, headDim]. */
interface CacheDims {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

export function decoderInputs(
  g: OnnxGraph,
  { layers, kvHeads, headDim }: CacheDims,
  { positionIds: withPositionIds = true } = {},
): DecoderInputs {
  const inputIds = g.input('input_ids', ElemType.int64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', ElemType.int64, ['batch_size', TOTAL]);
  const positionIds = withPositionIds
    ? g.input('position_ids', ElemType.int64, ['batch_size', 'sequence_length'])
    : null;
  const past = Array.from({ length: layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, g.floatElem, ['batch_size', kvHeads, PAST, headDim]),
    value: g.input(`past_key_values.${i}.value`, g.floatElem, ['batch_size', kvHeads, PAST, headDim]),
  }));
  return { inputIds, attentionMask, positionIds, past };
}

/** Declare `logits` and every `present.{i}.key|value` (already computed) as the graph's outputs. */
export function decoderOutputs(g: OnnxGraph, { layers, kvHeads, headDim }: CacheDims, vocab: number): void {
  g.output('logits', g.floatElem, ['batch_size', 'sequence_length', vocab]);
  for (let i = 0; i < layers; i++) {
    g.output(`present.${i}.key`, g.floatElem, ['batch_size', kvHeads, TOTAL, headDim]);
    g.output(`present.${i}.value`, g.floatElem, ['batch_size', kvHeads, TOTAL, headDim]);
  }
}

/**
 * Which keys each query may attend to, computed once for all layers: key j is visible to query i
 * (absolute position past + i) when j <= past + i (causal) and attention_mask[b, j] is 1 (padding).
 * Returns a bool [batch, 1, seq, total].
 */
export function attentionAllowed(g: OnnxGraph, inputIds: string, attentionMask: string): string {
  return attentionMasks(g, inputIds, attentionMask, null).full;
}

/**
 * attentionAllowed's mask (`full`) and, for a `slidingWindow`, the sliding layers' mask besides:
 * key column j also within slidingWindow of query column past + i (past + i − j < slidingWindow,
 * HF's sliding_window_overlay). Columns count left padding, so for a left-padded row their
 * distance is the distance of the positions. Both bool [batch, 1, seq, total].
 */
export function attentionMasks(
  g: OnnxGraph,
  inputIds: string,
  attentionMask: string,
  slidingWindow: number | null,
): { readonly full: string; readonly sliding: string | null } {
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
  const full = g.op('And', [causal, keep4], 'attention_allowed'); // [batch, 1, seq, total]
  if (slidingWindow === null) return { full, sliding: null };
  const distance = g.op('Sub', [queryCol, keyPos], 'query_key_distance'); // [seq, total]
  const inWindow = g.op('Less', [distance, g.int64([slidingWindow], [])], 'in_sliding_window');
  return { full, sliding: g.op('And', [full, inWindow], 'sliding_allowed') }; // [batch, 1, seq, total]
}

/**
 * The data of weight `name`, checked to be F32 with `shape`; `builder` (the calling function) and
 * the weight are named in the error, which says to regenerate from the same config.
 */
export function checkedWeight(
  builder: string,
  tensors: ReadonlyMap<string, OnnxWeight>,
  name: string,
  shape: readonly number[],
): Float32Array {
  const t = tensors.get(name);
  if (!t) {
    throw new ModelDirError(
      `${builder}: weight ${JSON.stringify(name)} is missing; generate it for this config`,
    );
  }
  const n = shape.reduce((a, d) => a * d, 1);
  if (t.dtype !== 'F32' || t.shape.join(',') !== shape.join(',') || t.data.length !== n) {
    throw new ModelDirError(
      `${builder}: weight ${JSON.stringify(name)} is ${t.dtype} [${t.shape.join(', ')}] with ` +
        `${t.data.length} values, expected F32 [${shape.join(', ')}] (${n} values) for this config; ` +
        'regenerate the weights from the same config',
    );
  }
  return t.data;
}
