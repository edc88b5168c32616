import { mapBroadcast } from '../broadcast.ts';
import { ElemTypes, type F64Tensor, tensor } from '../f64-tensor.ts';
import { input, type Kernel, type OpNode } from '../op-kernel.ts';
import { geluErf, geluTanh } from './elementwise.ts';
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

/** fn(x + bias), bias broadcast to x (numpy rules; onnxruntime takes a 1-D bias of x's last dim). */
function withBias(
  x: F64Tensor,
  bias: F64Tensor | undefined,
  node: OpNode,
  fn: (v: number) => number,
): F64Tensor {
  if (bias === undefined) return tensor(x.elemType, x.dims, x.data.map(fn));
  const out = mapBroadcast([x, bias], `${node.opType} ${node.name}`, ([v, b]) => fn(v! + b!));
  return tensor(x.elemType, out.dims, out.data);
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
  /** com.microsoft.Gelu: the exact (erf) GELU, 0.5 · x · (1 + erf(x / √2)). */
  Gelu: (inputs, node) => [withBias(input(inputs, 0, node), undefined, node, geluErf)],
  /**
   * com.microsoft.FastGelu: GELU's tanh approximation, Y = 0.5 · X · (1 + tanh(0.797885 · X +
   * 0.035677 · X³)) (0.035677 = 0.044715 · √(2/π)), with the optional bias (1-D, the last dim)
   * added to X first.
   */
  FastGelu: (inputs, node) => [withBias(input(inputs, 0, node), inputs[1], node, geluTanh)],
  /** com.microsoft.BiasGelu: the exact GELU of A + B, B 1-D (the last dim). */
  BiasGelu: (inputs, node) => [withBias(input(inputs, 0, node), input(inputs, 1, node), node, geluErf)],
};
