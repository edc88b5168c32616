import { ElemTypes, type F64Tensor, tensor } from '../f64-tensor.ts';
import { input, type Kernel, type OpNode } from '../op-kernel.ts';
import { matmul } from './matmul.ts';

/**
 * com.microsoft.MatMulNBits (ContribOperators.md), 4 bits: B uint8 [N, n_blocks, blob] holds
 * column n's K codes in blocks of block_size, value i of a block in byte i >> 1, the low nibble for
 * even i; scales [N · n_blocks]; zero_points either uint8 packed the same way per column
 * ([N · ceil(n_blocks / 2)]) or of the scales' type ([N · n_blocks]); absent, 2^(bits−1) = 8.
 * W[k, n] = (code − zero_point) · scale, then Y = A · W (+ bias), all in float64.
 */
function dequantizeNBits(
  node: OpNode,
  b: F64Tensor,
  scales: F64Tensor,
  zeroPoints: F64Tensor | undefined,
): F64Tensor {
  const [k, n, bits, blockSize] = [node.int('K'), node.int('N'), node.int('bits', 4), node.int('block_size')];
  if (bits !== 4) throw new Error(`MatMulNBits ${node.name}: bits ${bits} (only 4 is implemented)`);
  const nBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const packedZp = zeroPoints !== undefined && zeroPoints.elemType === ElemTypes.UINT8;
  const zpPerColumn = Math.ceil(nBlocks / 2);
  const w = new Float64Array(k * n); // [K, N]
  for (let col = 0; col < n; col++) {
    for (let block = 0; block < nBlocks; block++) {
      const scale = scales.data[col * nBlocks + block]!;
      let zp = 8;
      if (zeroPoints !== undefined) {
        if (packedZp) {
          const byte = zeroPoints.data[col * zpPerColumn + (block >> 1)]!;
          zp = block % 2 === 0 ? byte & 0x0f : byte >> 4;
        } else {
          zp = zeroPoints.data[col * nBlocks + block]!;
        }
      }
      for (let i = 0; i < blockSize; i++) {
        const row = block * blockSize + i;
        if (row >= k) break;
        const byte = b.data[(col * nBlocks + block) * blob + (i >> 1)]!;
        const code = i % 2 === 0 ? byte & 0x0f : byte >> 4;
        w[row * n + col] = (code - zp) * scale;
      }
    }
  }
  return tensor(scales.elemType, [k, n], w);
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
  const half = cosCache ? cosCache.dims[1]! : 0;
  const rope = (vec: Float64Array, pos: number): Float64Array => {
    if (!rotary) return vec;
    const out = vec.slice();
    for (let i = 0; i < half; i++) {
      const c = cosCache!.data[pos * half + i]!;
      const s = sinCache!.data[pos * half + i]!;
      const [a, b] = interleaved ? [2 * i, 2 * i + 1] : [i, i + half];
      out[a] = vec[a]! * c - vec[b]! * s;
      out[b] = vec[b]! * c + vec[a]! * s;
    }
    return out;
  };
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

/** onnxruntime's contrib ops (domain com.microsoft) the decoders people ship use. */
export const CONTRIB_OPS: Readonly<Record<string, Kernel>> = {
  MatMulNBits: (inputs, node) => {
    if (inputs[4] !== undefined) throw new Error(`MatMulNBits ${node.name}: g_idx is not implemented`);
    const w = dequantizeNBits(node, input(inputs, 1, node), input(inputs, 2, node), inputs[3]);
    const y = matmul(input(inputs, 0, node), w, `MatMulNBits ${node.name}`);
    const bias = inputs[5];
    if (bias === undefined) return [y];
    const n = w.dims[1]!;
    return [
      tensor(
        y.elemType,
        y.dims,
        y.data.map((v, i) => v + bias.data[i % n]!),
      ),
    ];
  },
  GroupQueryAttention: (inputs, node) => groupQueryAttention(inputs, node),
};
