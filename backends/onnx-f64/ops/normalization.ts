import { broadcastIndex } from '../broadcast.ts';
import { aroundAxis, type F64Tensor, normaliseAxis, sizeOf, tensor } from '../f64-tensor.ts';
import { input, type Kernel } from '../op-kernel.ts';

/** Softmax along one axis (opset 13's definition), max-subtracted. */
function softmax(x: F64Tensor, axisRaw: number): F64Tensor {
  const axis = normaliseAxis(axisRaw, x.dims.length, 'Softmax');
  const { outer, d, inner } = aroundAxis(x.dims, axis);
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (s: number) => (o * d + s) * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < d; s++) max = Math.max(max, x.data[at(s)]!);
      let sum = 0;
      for (let s = 0; s < d; s++) {
        const e = Math.exp(x.data[at(s)]! - max);
        out[at(s)] = e;
        sum += e;
      }
      for (let s = 0; s < d; s++) out[at(s)]! /= sum;
    }
  }
  return tensor(x.elemType, x.dims, out);
}

export const NORMALIZATION_OPS: Readonly<Record<string, Kernel>> = {
  Softmax: (inputs, node) => [softmax(input(inputs, 0, node), node.int('axis', -1))],
  /**
   * LayerNormalization (opset 17): over the axes from `axis` to the last, Y = (X − mean) /
   * sqrt(var + epsilon) · Scale + B, var the population variance; Mean and InvStdDev when asked.
   */
  LayerNormalization: (inputs, node) => {
    const x = input(inputs, 0, node);
    const axis = normaliseAxis(node.int('axis', -1), x.dims.length, `LayerNormalization ${node.name}`);
    const epsilon = node.float('epsilon', 1e-5);
    const inner = sizeOf(x.dims.slice(axis));
    const outer = sizeOf(x.dims.slice(0, axis));
    const normDims = x.dims.slice(axis);
    const scaleT = input(inputs, 1, node);
    const scaleIndex = broadcastIndex(scaleT, normDims);
    const bias = inputs[2];
    const biasIndex = bias ? broadcastIndex(bias, normDims) : null;
    const y = new Float64Array(x.data.length);
    const means = new Float64Array(outer);
    const invStd = new Float64Array(outer);
    for (let o = 0; o < outer; o++) {
      let mean = 0;
      for (let i = 0; i < inner; i++) mean += x.data[o * inner + i]!;
      mean /= inner;
      let variance = 0;
      for (let i = 0; i < inner; i++) variance += (x.data[o * inner + i]! - mean) ** 2;
      variance /= inner;
      const inv = 1 / Math.sqrt(variance + epsilon);
      means[o] = mean;
      invStd[o] = inv;
      for (let i = 0; i < inner; i++) {
        const scale = scaleT.data[scaleIndex?.[i] ?? i]!;
        const b = bias ? bias.data[biasIndex?.[i] ?? i]! : 0;
        y[o * inner + i] = (x.data[o * inner + i]! - mean) * inv * scale + b;
      }
    }
    const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
    return [
      tensor(x.elemType, x.dims, y),
      tensor(x.elemType, statDims, means),
      tensor(x.elemType, statDims, invStd),
    ];
  },
};
