import { intAttr } from '../../../core/onnx/onnx-graph.ts';
import { Q4_DEFAULT_BLOCK_SIZE, type Q4Options, quantizeQ4 } from './q4-weights.ts';
import { node, rawInitializer, rewriteWeightMatMuls, TensorType } from './weight-matmuls.ts';

export interface Q4GraphOptions extends Q4Options {
  readonly blockSize?: number;
}

/** The contrib domain MatMulNBits lives in. */
export const MS_DOMAIN = 'com.microsoft';

/**
 * 4-bit weight-only quantization of every weight MatMul: each becomes one `com.microsoft`
 * MatMulNBits (attributes K, N, bits 4, block_size; inputs A, B, scales and, asymmetric,
 * zero_points; no accuracy_level, so A is not quantized), the node onnxruntime's
 * `MatMulNBitsQuantizer` writes in QOperator format (matmul_nbits_quantizer.py
 * `DefaultWeightOnlyQuantizer.quantize_matmul`; initializers `<W>_Q4`, `<W>_scales`,
 * `<W>_zero_points`). The weight layout is quantizeQ4's (q4-weights.ts).
 */
export function quantizeGraphQ4(modelBytes: Uint8Array, options: Q4GraphOptions = {}): Uint8Array {
  const blockSize = options.blockSize ?? Q4_DEFAULT_BLOCK_SIZE;
  const weights = new Map<string, readonly string[]>();
  return rewriteWeightMatMuls(
    modelBytes,
    (m, names) => {
      const initializers = [];
      let inputs = weights.get(m.weightName);
      if (!inputs) {
        const q = quantizeQ4(m.weight, m.k, m.n, blockSize, options);
        const b = names.fresh(`${m.weightName}_Q4`);
        const scales = names.fresh(`${m.weightName}_scales`);
        initializers.push(
          rawInitializer(b, TensorType.UINT8, [m.n, q.nBlocks, q.blobSize], q.packed),
          rawInitializer(scales, TensorType.FLOAT, [q.scales.length], q.scales),
        );
        inputs = [b, scales];
        if (q.zeroPoints) {
          const zp = names.fresh(`${m.weightName}_zero_points`);
          initializers.push(rawInitializer(zp, TensorType.UINT8, [q.zeroPoints.length], q.zeroPoints));
          inputs = [b, scales, zp];
        }
        weights.set(m.weightName, inputs);
      }
      const attributes = [
        intAttr('K', m.k),
        intAttr('N', m.n),
        intAttr('bits', 4),
        intAttr('block_size', blockSize),
      ];
      const name = names.fresh(`${m.node.name || m.output}_Q4`);
      return {
        nodes: [node('MatMulNBits', [m.input, ...inputs], [m.output], name, attributes, MS_DOMAIN)],
        initializers,
      };
    },
    { opsets: [{ domain: MS_DOMAIN, version: 1 }] },
  );
}
