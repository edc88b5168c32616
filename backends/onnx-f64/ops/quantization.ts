import { ElemTypes, type F64Tensor, tensor } from '../f64-tensor.ts';
import { input, type Kernel } from '../op-kernel.ts';

/** Round half to even, as the spec's rounding for quantization ("round to nearest, ties to even"). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const saturate = (v: number, low: number, high: number) => Math.min(Math.max(v, low), high);

/**
 * DynamicQuantizeLinear (opset 11), in float64: x_min = min(0, min x), x_max = max(0, max x),
 * y_scale = (x_max − x_min) / 255, y_zero_point = saturate(round(0 − x_min / y_scale)),
 * y = saturate(round(x / y_scale) + y_zero_point), uint8, rounding half to even.
 */
function dynamicQuantizeLinear(x: F64Tensor): F64Tensor[] {
  let min = 0;
  let max = 0;
  for (const v of x.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = (max - min) / 255;
  const zeroPoint = scale === 0 ? 0 : saturate(roundHalfEven(0 - min / scale), 0, 255);
  const y = x.data.map((v) =>
    scale === 0 ? zeroPoint : saturate(roundHalfEven(v / scale) + zeroPoint, 0, 255),
  );
  return [
    tensor(ElemTypes.UINT8, x.dims, y),
    tensor(ElemTypes.FLOAT, [], Float64Array.of(scale)),
    tensor(ElemTypes.UINT8, [], Float64Array.of(zeroPoint)),
  ];
}

export const QUANTIZATION_OPS: Readonly<Record<string, Kernel>> = {
  DynamicQuantizeLinear: (inputs, node) => dynamicQuantizeLinear(input(inputs, 0, node)),
  /** DequantizeLinear, per tensor or per axis: (x − zero_point) · scale. */
  DequantizeLinear: (inputs, node) => {
    const x = input(inputs, 0, node);
    const scale = input(inputs, 1, node);
    const zp = inputs[2];
    if (scale.data.length === 1) {
      const z = zp?.data[0] ?? 0;
      return [
        tensor(
          scale.elemType,
          x.dims,
          x.data.map((v) => (v - z) * scale.data[0]!),
        ),
      ];
    }
    const axis = node.int('axis', 1);
    const a = axis < 0 ? axis + x.dims.length : axis;
    const inner = x.dims.slice(a + 1).reduce((p, d) => p * d, 1);
    const d = x.dims[a]!;
    return [
      tensor(
        scale.elemType,
        x.dims,
        x.data.map((v, i) => {
          const c = Math.floor(i / inner) % d;
          return (v - (zp?.data[c] ?? 0)) * scale.data[c]!;
        }),
      ),
    ];
  },
};
