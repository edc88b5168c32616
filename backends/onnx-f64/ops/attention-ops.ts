import { mapBroadcast } from '../broadcast.ts';
import { type F64Tensor, sizeOf, tensor } from '../f64-tensor.ts';
import { input, type Kernel, type OpNode } from '../op-kernel.ts';
import { matmul } from './matmul.ts';
import { softmax } from './normalization.ts';
import { concat, transpose } from './shape-ops.ts';

/**
 * Rotary position embedding of one head vector at position `pos`, with cos/sin caches
 * [max positions, rotary_dim / 2]: the first rotary_dim values turn in pairs — (2i, 2i + 1) when
 * interleaved, (i, i + rotary_dim / 2) otherwise — by the angle of cache column i: a' = a·cos −
 * b·sin, b' = b·cos + a·sin. Values past rotary_dim are kept.
 */
function rotate(
  vec: Float64Array,
  cosCache: F64Tensor,
  sinCache: F64Tensor,
  pos: number,
  interleaved: boolean,
  what: string,
): Float64Array {
  const half = cosCache.dims[1]!;
  if (!Number.isInteger(pos) || pos < 0 || pos >= cosCache.dims[0]!) {
    throw new Error(`${what}: position ${pos} is outside the ${cosCache.dims[0]} rows of cos_cache`);
  }
  const out = vec.slice();
  for (let i = 0; i < half; i++) {
    const c = cosCache.data[pos * half + i]!;
    const s = sinCache.data[pos * half + i]!;
    const [a, b] = interleaved ? [2 * i, 2 * i + 1] : [i, i + half];
    out[a] = vec[a]! * c - vec[b]! * s;
    out[b] = vec[b]! * c + vec[a]! * s;
  }
  return out;
}

/**
 * com.microsoft.GroupQueryAttention as onnxruntime's CPU kernel computes it, in float64. Query
 * [B, S, H·D], key and value [B, S, Hkv·D] (not packed), past [B, Hkv, P, D] (BNSH),
 * seqlens_k [B] (valid keys − 1 per row), total_sequence_length; with do_rotary, RoPE on query and
 * key from cos_cache/sin_cache [max positions, rotary_dim / 2] (interleaved or halves). Row b's
 * cache is its past's first past_b = seqlens_k[b] + 1 − S columns then the S new ones (first
 * prompt: past_b = 0); query s attends keys 0 … past_b + s, and on a first prompt only keys below
 * seqlens_k[b] + 1 (right padding). Position ids are past_b + s (1 beyond the valid length).
 */
function groupQueryAttention(inputs: readonly (F64Tensor | undefined)[], node: OpNode): F64Tensor[] {
  const q = input(inputs, 0, node);
  const kNew = input(inputs, 1, node);
  const vNew = input(inputs, 2, node);
  const pastK = inputs[3];
  const pastV = inputs[4];
  const seqlens = input(inputs, 5, node).data;
  const total = input(inputs, 6, node).data[0]!;
  const cosCache = inputs[7];
  const sinCache = inputs[8];
  const H = node.int('num_heads');
  const Hkv = node.int('kv_num_heads');
  if (node.int('local_window_size', -1) !== -1 || node.float('softcap', 0) !== 0) {
    throw new Error(`GroupQueryAttention ${node.name}: local_window_size and softcap are not implemented`);
  }
  const [B, S] = [q.dims[0]!, q.dims[1]!];
  const D = q.dims[2]! / H;
  const scale = node.has('scale') && node.float('scale') !== 0 ? node.float('scale') : 1 / Math.sqrt(D);
  const P = pastK?.dims[2] ?? 0;
  const firstPrompt = P === 0 && total === S;
  const present = Math.max(P + S, total);
  const rotary = node.int('do_rotary', 0) === 1;
  const interleaved = node.int('rotary_interleaved', 0) === 1;
  const rope = (vec: Float64Array, pos: number): Float64Array =>
    rotary ? rotate(vec, cosCache!, sinCache!, pos, interleaved, `GroupQueryAttention ${node.name}`) : vec;
  const headVector = (t: F64Tensor, heads: number, b: number, s: number, h: number) =>
    t.data.slice(((b * S + s) * heads + h) * D, ((b * S + s) * heads + h + 1) * D);
  const presentK = new Float64Array(B * Hkv * present * D);
  const presentV = new Float64Array(B * Hkv * present * D);
  const output = new Float64Array(B * S * H * D);
  for (let b = 0; b < B; b++) {
    const valid = seqlens[b]! + 1;
    const pastB = firstPrompt ? 0 : valid - S;
    // Past a first prompt's valid length a row is padding: its queries take position 1.
    const position = (s: number) => (firstPrompt && s >= valid ? 1 : pastB + s);
    for (let h = 0; h < Hkv; h++) {
      const base = (b * Hkv + h) * present * D;
      for (let j = 0; j < pastB; j++) {
        for (let d = 0; d < D; d++) {
          presentK[base + j * D + d] = pastK!.data[((b * Hkv + h) * P + j) * D + d]!;
          presentV[base + j * D + d] = pastV!.data[((b * Hkv + h) * P + j) * D + d]!;
        }
      }
      for (let s = 0; s < S; s++) {
        presentK.set(rope(headVector(kNew, Hkv, b, s, h), position(s)), base + (pastB + s) * D);
        presentV.set(headVector(vNew, Hkv, b, s, h), base + (pastB + s) * D);
      }
    }
    for (let h = 0; h < H; h++) {
      const kvBase = (b * Hkv + Math.floor(h / (H / Hkv))) * present * D;
      for (let s = 0; s < S; s++) {
        const query = rope(headVector(q, H, b, s, h), position(s));
        const last = Math.min(pastB + s, firstPrompt ? valid - 1 : pastB + s);
        const scores = new Float64Array(last + 1);
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j <= last; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += query[d]! * presentK[kvBase + j * D + d]!;
          scores[j] = dot * scale;
          max = Math.max(max, scores[j]!);
        }
        let sum = 0;
        for (let j = 0; j <= last; j++) {
          scores[j] = Math.exp(scores[j]! - max);
          sum += scores[j]!;
        }
        const at = ((b * S + s) * H + h) * D;
        for (let j = 0; j <= last; j++) {
          const p = scores[j]! / sum;
          for (let d = 0; d < D; d++) output[at + d]! += p * presentV[kvBase + j * D + d]!;
        }
      }
    }
  }
  return [
    tensor(q.elemType, [B, S, H * D], output),
    tensor(q.elemType, [B, Hkv, present, D], presentK),
    tensor(q.elemType, [B, Hkv, present, D], presentV),
  ];
}

/**
 * com.microsoft.RotaryEmbedding as onnxruntime's CPU kernel computes it. input [B, S, N·H] or
 * [B, N, S, H]; position_ids one value p (positions p + s) or [B, S]; cos_cache and sin_cache
 * [max positions, rotary_dim / 2]. head_size is hidden / num_heads when rotary_embedding_dim is
 * given (then num_heads must be too), else 2 · cos_cache's dim 1; rotary_dim defaults to
 * head_size, and the values of a head past it are copied. `scale` serves only to extend the cache,
 * which the CPU kernel does not do; is_packed_batching changes nothing there either.
 */
function rotaryEmbedding(inputs: readonly (F64Tensor | undefined)[], node: OpNode): F64Tensor {
  const what = `RotaryEmbedding ${node.name}`;
  const x = input(inputs, 0, node);
  const positions = input(inputs, 1, node);
  const cosCache = input(inputs, 2, node);
  const sinCache = input(inputs, 3, node);
  const interleaved = node.int('interleaved', 0) === 1;
  const rotaryDim = node.int('rotary_embedding_dim', 0);
  const numHeadsAttr = node.int('num_heads', 0);
  if (rotaryDim > 0 && numHeadsAttr === 0) throw new Error(`${what}: rotary_embedding_dim needs num_heads`);
  if (x.dims.length !== 3 && x.dims.length !== 4) throw new Error(`${what}: input of rank ${x.dims.length}`);
  const transposed = x.dims.length === 4; // [B, N, S, H]
  const B = x.dims[0]!;
  const S = transposed ? x.dims[2]! : x.dims[1]!;
  const hidden = transposed ? x.dims[1]! * x.dims[3]! : x.dims[2]!;
  const headSize = rotaryDim === 0 ? 2 * cosCache.dims[1]! : hidden / numHeadsAttr;
  const N = numHeadsAttr > 0 ? numHeadsAttr : hidden / headSize;
  const rotary = rotaryDim || headSize;
  if (
    !Number.isInteger(N) ||
    N * headSize !== hidden ||
    (transposed && headSize !== x.dims[3]) ||
    rotary > headSize ||
    2 * cosCache.dims[1]! !== rotary
  ) {
    throw new Error(
      `${what}: cos_cache [${cosCache.dims.join(', ')}] does not fit ${N} heads of ${headSize} in ${hidden}, rotary_dim ${rotary}`,
    );
  }
  const byBatch = positions.data.length !== 1;
  if (byBatch && (positions.dims.length !== 2 || positions.dims[0] !== B || positions.dims[1] !== S)) {
    throw new Error(
      `${what}: position_ids [${positions.dims.join(', ')}] is neither one value nor [${B}, ${S}]`,
    );
  }
  const [seqStride, headStride] = transposed ? [headSize, S * headSize] : [N * headSize, headSize];
  const batchStride = S * N * headSize;
  const out = x.data.slice();
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const pos = byBatch ? positions.data[b * S + s]! : positions.data[0]! + s;
      for (let n = 0; n < N; n++) {
        const at = b * batchStride + s * seqStride + n * headStride;
        out.set(rotate(x.data.subarray(at, at + headSize), cosCache, sinCache, pos, interleaved, what), at);
      }
    }
  }
  return tensor(x.elemType, x.dims, out);
}

/** [B, L, N·h] (+ bias, the last dim's) → [B, N, L, h]. */
function splitHeads(x: F64Tensor, heads: number, bias: Float64Array | undefined): F64Tensor {
  const [B, L, hidden] = x.dims as [number, number, number];
  const data = bias ? x.data.map((v, i) => v + bias[i % hidden]!) : x.data;
  return transpose(tensor(x.elemType, [B, L, heads, hidden / heads], data), [0, 2, 1, 3]);
}

/**
 * key_padding_mask and the causal mask as one additive mask [B, 1, S, T], as onnxruntime's CPU
 * kernel builds it: mask_filter_value where a key is masked, added once more where it is also in
 * a query's future (unidirectional, when S > 1: query s sees keys up to P + s). The mask (int32)
 * is [B] (valid keys: those below it), [B, T] or [B, S, T] (a positive value keeps a key, 0 or
 * less masks it). [B, L] with a past onnxruntime rejects; its [3B + 2] form (lengths and starts)
 * is not implemented here.
 */
function additiveMask(
  mask: F64Tensor | undefined,
  causal: boolean,
  [B, S, T]: readonly [number, number, number],
  filter: number,
  what: string,
): Float64Array {
  const rank = mask?.dims.length ?? 0;
  const expected = [[], [B], [B, T], [B, S, T]][rank];
  if (mask !== undefined && (expected === undefined || mask.dims.some((d, i) => d !== expected[i]))) {
    throw new Error(`${what}: key_padding_mask [${mask.dims.join(', ')}] is none of [B], [B, T], [B, S, T]`);
  }
  const out = new Float64Array(B * S * T);
  const P = T - S;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        const masked =
          rank === 1
            ? t >= mask!.data[b]!
            : rank === 2
              ? mask!.data[b * T + t]! <= 0
              : rank === 3 && mask!.data[(b * S + s) * T + t]! <= 0;
        out[(b * S + s) * T + t] = (masked ? filter : 0) + (causal && t > P + s ? filter : 0);
      }
    }
  }
  return out;
}

/**
 * com.microsoft.MultiHeadAttention as onnxruntime's CPU kernel computes it, in float64. query
 * [B, S, D]; key [B, L, D] and value [B, L, Dv] (bias [D + D + Dv] adds to query, key and value),
 * or key and value already [B, N, L, h] (cross attention; no bias, no past); past_key/past_value
 * [B, N, P, h] (BNSH) go before the new keys, present_key/present_value [B, N, P + L, h] are
 * those. Scores Q·Kᵀ · scale (default 1 / √h) + attention_bias ([B or 1, N or 1, S, T]) + the
 * additive mask, softmax over the T keys, · V: output [B, S, Dv]. Inputs the CPU kernel rejects —
 * packed QKV ([B, L, N, 3, H], or a query [B, S, 3·D] without key), packed KV ([B, L, N, 2, H]),
 * only one of past_key and past_value — are errors here too. Not implemented (errors): a past or a
 * bias with a 4-D key and value, past_sequence_length / cache_indirection (the shared-buffer
 * decoding form), output_qk.
 */
function multiHeadAttention(inputs: readonly (F64Tensor | undefined)[], node: OpNode): F64Tensor[] {
  const what = `MultiHeadAttention ${node.name}`;
  const query = input(inputs, 0, node);
  const [key, value, bias, mask, attentionBias, pastKey, pastValue] = inputs.slice(1, 8);
  const N = node.int('num_heads');
  if (query.dims.length !== 3)
    throw new Error(`${what}: packed QKV (query [${query.dims.join(', ')}]) is not supported on CPU`);
  if (key?.dims.length === 5) throw new Error(`${what}: packed KV [B, L, N, 2, H] is not supported on CPU`);
  if (key === undefined || value === undefined) {
    throw new Error(`${what}: packed QKV or KV (no key or no value) is not supported on CPU`);
  }
  if ((pastKey === undefined) !== (pastValue === undefined)) {
    throw new Error(`${what}: past_key and past_value must be both present or both absent`);
  }
  if (inputs[8] !== undefined || inputs[9] !== undefined) {
    throw new Error(`${what}: past_sequence_length and cache_indirection are not implemented`);
  }
  if ((node.proto.output?.[3] ?? '') !== '') throw new Error(`${what}: output_qk is not implemented`);
  const [B, S, D] = query.dims as [number, number, number];
  const h = D / N;
  const scale = node.float('scale', 0) || 1 / Math.sqrt(h);
  const biasPart = (from: number, length: number) => bias?.data.subarray(from, from + length);
  const q = splitHeads(query, N, biasPart(0, D));
  let k: F64Tensor;
  let v: F64Tensor;
  if (key.dims.length === 4) {
    if (pastKey !== undefined) {
      throw new Error(`${what}: past_key and past_value with a 4-D key and value are not implemented`);
    }
    if (bias !== undefined) throw new Error(`${what}: bias with a 4-D key and value is not implemented`);
    [k, v] = [key, value];
  } else {
    k = splitHeads(key, N, biasPart(D, D));
    v = splitHeads(value, N, biasPart(2 * D, value.dims[2]!));
  }
  const presentKey = pastKey ? concat([pastKey, k], 2) : k;
  const presentValue = pastValue ? concat([pastValue, v], 2) : v;
  const T = presentKey.dims[2]!;
  const qk = matmul(q, transpose(presentKey, [0, 1, 3, 2]), what);
  const causal = node.int('unidirectional', 0) === 1 && S > 1;
  const filter = node.float('mask_filter_value', -10000);
  const added = [
    ...(attentionBias ? [attentionBias] : []),
    ...(mask || causal
      ? [tensor(q.elemType, [B, 1, S, T], additiveMask(mask, causal, [B, S, T], filter, what))]
      : []),
  ];
  const scores = mapBroadcast([qk, ...added], what, ([dot, ...terms]) =>
    terms.reduce((sum, term) => sum + term, dot! * scale),
  );
  const probs = softmax(tensor(q.elemType, scores.dims, scores.data), -1);
  const heads = transpose(matmul(probs, presentValue, what), [0, 2, 1, 3]); // [B, S, N, hv]
  return [tensor(query.elemType, [B, S, sizeOf(heads.dims.slice(2))], heads.data), presentKey, presentValue];
}

/** onnxruntime's attention ops (domain com.microsoft). */
export const ATTENTION_OPS: Readonly<Record<string, Kernel>> = {
  GroupQueryAttention: (inputs, node) => groupQueryAttention(inputs, node),
  MultiHeadAttention: (inputs, node) => multiHeadAttention(inputs, node),
  RotaryEmbedding: (inputs, node) => [rotaryEmbedding(inputs, node)],
};
