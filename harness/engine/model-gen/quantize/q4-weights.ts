import { float16Bits, float16Value } from '../../../core/model/float16.ts';
import { clamp, roundHalfAway } from './rounding.ts';

/**
 * 4-bit block weights in the layout of onnxruntime's contrib op `com.microsoft.MatMulNBits`
 * (docs/ContribOperators.md, "com.microsoft.MatMulNBits"), quantized as onnxruntime's
 * `MatMulNBitsQuantizer` (onnxruntime/python/tools/quantization/matmul_nbits_quantizer.py,
 * `DefaultWeightOnlyQuantizer.qbits_block_quant` → MLAS `MlasQuantizeBlockwise`, q4_dq.cpp) does:
 *
 * - W [K, N] is cut along K into blocks of `blockSize` values, one column at a time;
 *   n_blocks = ceil(K / blockSize). When K is not a multiple of blockSize the last block is padded
 *   (the quantizer pads W with zero rows): its missing codes are the code of 0.0 (the zero point),
 *   which the op never reads since it stops at K.
 * - B: uint8 [N, n_blocks, blob_size], blob_size = blockSize · 4 / 8; within a block, value i of
 *   the block sits in byte i >> 1, in the **low nibble for even i** and the high nibble for odd i
 *   (the spec: "the first 4 bits are stored in the lower 4 bits of a byte"; the quantizer's
 *   `pack_int8_to_int4`: `(data[::2] & 0xF) | ((data[1::2] & 0xF) << 4)`).
 * - scales: [N · n_blocks], column-major by block (scale of column n, block b at n · n_blocks + b),
 *   the flat shape the quantizer writes (the spec's (N, k_blocks)).
 * - zero_points (asymmetric only): uint8 [N · ceil(n_blocks / 2)], per column packed like B (block
 *   b of column n at byte n · ceil(n_blocks/2) + (b >> 1), low nibble for even b; an odd count
 *   leaves the last high nibble 0). Symmetric weights omit the input and the op's default zero
 *   point 2^(bits-1) = 8 applies.
 * - dequantized = (code − zero_point) · scale.
 *
 * Block statistics (MLAS `range2scalezp` / `range2scale`), in float32:
 * - asymmetric (the quantizer's default, `is_symmetric=False`): min = min(block, 0),
 *   max = max(block, 0), scale = (max − min) / 15, zero_point = clamp(roundf(−min / scale), 0, 15);
 * - symmetric: m = the block's extreme of larger magnitude (with its sign), scale = m / −8 (so m
 *   maps to code 0 exactly; the scale may be negative), zero point 8;
 * - code = clamp(roundf(v · (1 / scale) + zero_point), 0, 15), roundf rounding ties away from zero;
 *   a zero scale gives code = zero_point.
 * `scaleType: 'float16'` rounds each scale to float16 (what a float16 MatMulNBits holds, T1 = A's
 * type) before the codes are computed, so `dequantized` is what the float16 graph computes with.
 *
 * The block size defaults to 32 (onnxruntime's quantizer defaults to 128; any power of two ≥ 16,
 * as the spec requires, is accepted).
 */
export interface Q4Weights {
  readonly k: number;
  readonly n: number;
  readonly blockSize: number;
  readonly nBlocks: number;
  readonly blobSize: number;
  /** B: uint8 [N, nBlocks, blobSize]. */
  readonly packed: Uint8Array;
  /** [N · nBlocks], float32 (float16-exact with scaleType 'float16'). */
  readonly scales: Float32Array;
  /** Packed [N · ceil(nBlocks / 2)]; null when symmetric (the op's default 8). */
  readonly zeroPoints: Uint8Array | null;
  /** (code − zero point) · scale in float32 [K, N]. */
  readonly dequantized: Float32Array;
}

export interface Q4Options {
  readonly symmetric?: boolean;
  readonly scaleType?: 'float32' | 'float16';
}

export const Q4_DEFAULT_BLOCK_SIZE = 32;
const BITS = 4;
const CODE_MAX = 15;
const SYMMETRIC_ZERO_POINT = 8;

/** A block's scale and zero point, before any float16 rounding of the scale. */
export function q4BlockParams(
  min: number,
  max: number,
  symmetric: boolean,
): { readonly scale: number; readonly zeroPoint: number } {
  if (symmetric) {
    const extreme = Math.abs(max) > Math.abs(min) ? max : min;
    return { scale: Math.fround(extreme / -SYMMETRIC_ZERO_POINT), zeroPoint: SYMMETRIC_ZERO_POINT };
  }
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround((hi - lo) / CODE_MAX);
  const zeroPointFp = scale !== 0 ? Math.fround(-Math.fround(lo / scale)) : lo;
  const zeroPoint = zeroPointFp < 0 ? 0 : zeroPointFp > CODE_MAX ? CODE_MAX : roundHalfAway(zeroPointFp);
  return { scale, zeroPoint };
}

/** The 4-bit code of `v` in a block with this scale and zero point. */
export function q4Code(v: number, scale: number, zeroPoint: number): number {
  const reciprocal = scale !== 0 ? Math.fround(1 / scale) : 0;
  return clamp(roundHalfAway(Math.fround(Math.fround(v * reciprocal) + zeroPoint)), 0, CODE_MAX);
}

/** Put `code` in nibble `index` of `bytes` (even index: low nibble, odd: high nibble). */
export function setNibble(bytes: Uint8Array, index: number, code: number): void {
  const byte = index >> 1;
  bytes[byte] = index & 1 ? (bytes[byte]! & 0x0f) | (code << 4) : (bytes[byte]! & 0xf0) | code;
}

export function getNibble(bytes: Uint8Array, index: number): number {
  const byte = bytes[index >> 1]!;
  return index & 1 ? byte >> 4 : byte & 0x0f;
}

export function quantizeQ4(
  w: Float32Array,
  k: number,
  n: number,
  blockSize: number = Q4_DEFAULT_BLOCK_SIZE,
  options: Q4Options = {},
): Q4Weights {
  if (w.length !== k * n) throw new Error(`quantizeQ4: ${w.length} weights for [${k}, ${n}]`);
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`quantizeQ4: block size ${blockSize} must be a power of two and at least 16`);
  }
  const symmetric = options.symmetric ?? false;
  const nBlocks = Math.ceil(k / blockSize);
  const blobSize = (blockSize * BITS) / 8;
  const zpBytesPerColumn = Math.ceil(nBlocks / 2);
  const packed = new Uint8Array(n * nBlocks * blobSize);
  const scales = new Float32Array(n * nBlocks);
  const zeroPoints = symmetric ? null : new Uint8Array(n * zpBytesPerColumn);
  const dequantized = new Float32Array(k * n);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < nBlocks; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let row = start; row < end; row++) {
        min = Math.min(min, w[row * n + col]!);
        max = Math.max(max, w[row * n + col]!);
      }
      const params = q4BlockParams(min, max, symmetric);
      const scale = options.scaleType === 'float16' ? float16Value(float16Bits(params.scale)) : params.scale;
      const zp = params.zeroPoint;
      scales[col * nBlocks + b] = scale;
      if (zeroPoints) setNibble(zeroPoints.subarray(col * zpBytesPerColumn), b, zp);
      const blob = packed.subarray((col * nBlocks + b) * blobSize, (col * nBlocks + b + 1) * blobSize);
      for (let i = 0; i < blockSize; i++) {
        const row = start + i;
        const code = row < k ? q4Code(w[row * n + col]!, scale, zp) : zp;
        setNibble(blob, i, code);
        // + 0 turns the −0 of a zero code times a negative scale into 0: the same weight.
        if (row < k) dequantized[row * n + col] = (code - zp) * scale + 0;
      }
    }
  }
  return { k, n, blockSize, nBlocks, blobSize, packed, scales, zeroPoints, dequantized };
}

/** Read B, scales and zero_points back as the op does: W'[k, n] = (code − zp) · scale. */
export function dequantizeQ4(q: Q4Weights): Float32Array {
  const out = new Float32Array(q.k * q.n);
  const zpBytesPerColumn = Math.ceil(q.nBlocks / 2);
  for (let col = 0; col < q.n; col++) {
    for (let row = 0; row < q.k; row++) {
      const b = Math.floor(row / q.blockSize);
      const blob = q.packed.subarray((col * q.nBlocks + b) * q.blobSize);
      const zp = q.zeroPoints ? getNibble(q.zeroPoints.subarray(col * zpBytesPerColumn), b) : 8;
      out[row * q.n + col] = (getNibble(blob, row % q.blockSize) - zp) * q.scales[col * q.nBlocks + b]! + 0;
    }
  }
  return out;
}
