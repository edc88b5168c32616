import { intAttr } from '../../../core/onnx/onnx-graph.ts';
import { type Q8Options, quantizeQ8 } from './q8-weights.ts';
import { node, rawInitializer, rewriteWeightMatMuls, TensorType } from './weight-matmuls.ts';

/**
 * Dynamic 8-bit quantization of every weight MatMul, the node group onnxruntime's
 * `quantize_dynamic` writes for MatMul in IntegerOps mode (onnxruntime/python/tools/quantization,
 * operators/matmul.py `MatMulInteger.do_quantization`, onnx_quantizer.py `quantize_inputs`):
 *
 *   DynamicQuantizeLinear(A)        → A_quantized (uint8), A_scale, A_zero_point   (per tensor, at run time)
 *   MatMulInteger(A_quantized, W_quantized, A_zero_point, W_zero_point) → int32
 *   Cast(to float) ; Mul(A_scale, W_scale) ; Mul(cast, scales product) → the MatMul's output
 *
 * with W stored as symmetric int8 (quantizeQ8: ORT's default QInt8 weights, per tensor unless
 * `perChannel`). An activation read by several weight MatMuls is quantized once, as ORT shares it.
 */
export function quantizeGraphQ8(modelBytes: Uint8Array, options: Q8Options = {}): Uint8Array {
  const activations = new Map<string, { q: string; scale: string; zeroPoint: string }>();
  const weights = new Map<string, { q: string; scale: string; zeroPoint: string }>();
  return rewriteWeightMatMuls(modelBytes, (m, names) => {
    const nodes = [];
    const initializers = [];
    const base = m.node.name || m.output;
    let a = activations.get(m.input);
    if (!a) {
      a = {
        q: names.fresh(`${m.input}_quantized`),
        scale: names.fresh(`${m.input}_scale`),
        zeroPoint: names.fresh(`${m.input}_zero_point`),
      };
      activations.set(m.input, a);
      nodes.push(
        node(
          'DynamicQuantizeLinear',
          [m.input],
          [a.q, a.scale, a.zeroPoint],
          names.fresh(`${m.input}_QuantizeLinear`),
        ),
      );
    }
    let w = weights.get(m.weightName);
    if (!w) {
      const q = quantizeQ8(m.weight, m.k, m.n, options);
      const dims = options.perChannel ? [m.n] : [];
      w = {
        q: names.fresh(`${m.weightName}_quantized`),
        scale: names.fresh(`${m.weightName}_scale`),
        zeroPoint: names.fresh(`${m.weightName}_zero_point`),
      };
      weights.set(m.weightName, w);
      initializers.push(
        rawInitializer(w.q, TensorType.INT8, [m.k, m.n], q.quantized),
        rawInitializer(w.scale, TensorType.FLOAT, dims, q.scales),
        rawInitializer(w.zeroPoint, TensorType.INT8, dims, q.zeroPoints),
      );
    }
    const integer = names.fresh(`${m.output}_output_quantized`);
    const cast = names.fresh(`${integer}_cast_output`);
    const scales = names.fresh(`${base}_quant_scales_mul:0`);
    nodes.push(
      node('MatMulInteger', [a.q, w.q, a.zeroPoint, w.zeroPoint], [integer], names.fresh(`${base}_quant`)),
      node('Cast', [integer], [cast], names.fresh(`${integer}_cast`), [intAttr('to', TensorType.FLOAT)]),
      node('Mul', [a.scale, w.scale], [scales], names.fresh(`${base}_quant_scales_mul`)),
      node('Mul', [cast, scales], [m.output], names.fresh(`${base}_quant_output_scale_mul`)),
    );
    return { nodes, initializers };
  });
}
