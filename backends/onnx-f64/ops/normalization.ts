import { broadcastIndex } from '../broadcast.ts';
import { aroundAxis, type F64Tensor, normaliseAxis, sizeOf, tensor } from '../f64-tensor.ts';
import { input, type Kernel, type OpNode } from '../op-kernel.ts';

/** Softmax along one axis (opset 13's definition), max-subtracted. */
export function softmax(x: F64Tensor, axisRaw: number): F64Tensor {
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

/** An element-wise parameter (scale, bias) of a normalization, broadcast (numpy rules) to the input. */
type Parameter = ((k: number) => number) | undefined;

function parameter(t: F64Tensor | undefined, dims: readonly number[]): Parameter {
  if (t === undefined) return undefined;
  const index = broadcastIndex(t, dims);
  return (k) => t.data[index?.[k] ?? k]!;
}

/**
 * `x` as rows of `rowLength` values, each normalized: y = (x − mean) · inv · scale + bias, with
 * inv = 1 / sqrt(var + ε) and var the population variance; in the RMS form (the "simplified"
 * ops) nothing is subtracted and var is mean(x²). Scale and bias read at the flat index.
 */
function normaliseRows(
  x: Float64Array,
  rowLength: number,
  epsilon: number,
  rms: boolean,
  scale: Parameter,
  bias: Parameter,
): { y: Float64Array; mean: Float64Array; invStd: Float64Array } {
  const rows = rowLength === 0 ? 0 : x.length / rowLength;
  const y = new Float64Array(x.length);
  const means = new Float64Array(rows);
  const invStd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * rowLength;
    let mean = 0;
    if (!rms) {
      for (let i = 0; i < rowLength; i++) mean += x[start + i]!;
      mean /= rowLength;
    }
    let variance = 0;
    for (let i = 0; i < rowLength; i++) variance += (x[start + i]! - mean) ** 2;
    variance /= rowLength;
    const inv = 1 / Math.sqrt(variance + epsilon);
    means[r] = mean;
    invStd[r] = inv;
    for (let i = 0; i < rowLength; i++) {
      const k = start + i;
      y[k] = (x[k]! - mean) * inv * (scale ? scale(k) : 1) + (bias ? bias(k) : 0);
    }
  }
  return { y, mean: means, invStd };
}

/** LayerNormalization and SimplifiedLayerNormalization: over the axes from `axis` to the last. */
function layerNorm(inputs: readonly (F64Tensor | undefined)[], node: OpNode, rms: boolean): F64Tensor[] {
  const x = input(inputs, 0, node);
  const axis = normaliseAxis(node.int('axis', -1), x.dims.length, `${node.opType} ${node.name}`);
  const scale = parameter(input(inputs, 1, node), x.dims);
  const bias = rms ? undefined : parameter(inputs[2], x.dims);
  const out = normaliseRows(
    x.data,
    sizeOf(x.dims.slice(axis)),
    node.float('epsilon', 1e-5),
    rms,
    scale,
    bias,
  );
  const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  const y = tensor(x.elemType, x.dims, out.y);
  const invStd = tensor(x.elemType, statDims, out.invStd);
  return rms ? [y, invStd] : [y, tensor(x.elemType, statDims, out.mean), invStd];
}

/**
 * com.microsoft SkipLayerNormalization and SkipSimplifiedLayerNormalization (ContribOperators.md,
 * and onnxruntime's CPU kernel): s = input + skip + bias (skip [B, S, H], [1, S, H] or [S, H]
 * broadcast over the batch, bias [H]), then s normalized over its last axis: (s − mean) /
 * sqrt(var + ε) · gamma + beta, or s / sqrt(mean(s²) + ε) · gamma in the simplified form.
 * ε defaults to 1e-12. Inputs: input, skip, gamma, beta?, bias? (the simplified op has no beta:
 * bias is its input 3). Outputs: output, mean and inv_std_var ([..., 1]; the simplified op's mean
 * is 0, it has no centering term), input_skip_bias_sum (s).
 */
function skipLayerNorm(inputs: readonly (F64Tensor | undefined)[], node: OpNode, rms: boolean): F64Tensor[] {
  const x = input(inputs, 0, node);
  const skip = parameter(input(inputs, 1, node), x.dims)!;
  const addBias = parameter(inputs[rms ? 3 : 4], x.dims);
  const sum = x.data.map((v, k) => v + skip(k) + (addBias ? addBias(k) : 0));
  const gamma = parameter(input(inputs, 2, node), x.dims);
  const beta = rms ? undefined : parameter(inputs[3], x.dims);
  const out = normaliseRows(sum, x.dims.at(-1)!, node.float('epsilon', 1e-12), rms, gamma, beta);
  const statDims = [...x.dims.slice(0, -1), 1];
  return [
    tensor(x.elemType, x.dims, out.y),
    tensor(x.elemType, statDims, out.mean),
    tensor(x.elemType, statDims, out.invStd),
    tensor(x.elemType, x.dims, sum),
  ];
}

export const NORMALIZATION_OPS: Readonly<Record<string, Kernel>> = {
  Softmax: (inputs, node) => [softmax(input(inputs, 0, node), node.int('axis', -1))],
  /**
   * LayerNormalization (opset 17): over the axes from `axis` to the last, Y = (X − mean) /
   * sqrt(var + epsilon) · Scale + B, var the population variance; Mean and InvStdDev when asked.
   */
  LayerNormalization: (inputs, node) => layerNorm(inputs, node, false),
  /**
   * SimplifiedLayerNormalization, onnxruntime's RMS norm, which it registers in the ONNX domain
   * (not com.microsoft): over the axes from `axis` (default −1) to the last, Y = X /
   * sqrt(mean(X²) + epsilon) · scale, epsilon defaulting to 1e-5; output 1 is inv_std_var, the
   * input's dims with the normalized ones 1.
   */
  SimplifiedLayerNormalization: (inputs, node) => layerNorm(inputs, node, true),
};

/** onnxruntime's fused residual-add normalizations (domain com.microsoft). */
export const CONTRIB_NORMALIZATION_OPS: Readonly<Record<string, Kernel>> = {
  SkipLayerNormalization: (inputs, node) => skipLayerNorm(inputs, node, false),
  SkipSimplifiedLayerNormalization: (inputs, node) => skipLayerNorm(inputs, node, true),
};
