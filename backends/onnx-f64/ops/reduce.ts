import {
  aroundAxis,
  ElemTypes,
  type F64Tensor,
  normaliseAxis,
  scalar,
  sizeOf,
  stridesOf,
  tensor,
  values,
} from '../f64-tensor.ts';
import { input, type Kernel, type OpNode } from '../op-kernel.ts';

/** Reduce over `axes` (all when empty) by sum, then `finish(sum, count)`. */
function reduce(
  x: F64Tensor,
  axes: readonly number[],
  keepDims: boolean,
  finish: (sum: number, count: number) => number,
): F64Tensor {
  const reduced = new Set(
    axes.length === 0 ? x.dims.map((_, i) => i) : axes.map((a) => normaliseAxis(a, x.dims.length, 'Reduce')),
  );
  const keptDims = x.dims.map((d, i) => (reduced.has(i) ? 1 : d));
  const outStrides = stridesOf(keptDims);
  const out = new Float64Array(sizeOf(keptDims));
  const index = new Array<number>(x.dims.length).fill(0);
  for (let k = 0; k < x.data.length; k++) {
    let at = 0;
    for (let d = 0; d < index.length; d++) if (!reduced.has(d)) at += index[d]! * outStrides[d]!;
    out[at]! += x.data[k]!;
    for (let d = x.dims.length - 1; d >= 0; d--) {
      if (++index[d]! < x.dims[d]!) break;
      index[d] = 0;
    }
  }
  const count = x.data.length / Math.max(1, out.length);
  const finished = out.map((s) => finish(s, count));
  const dims = keepDims ? keptDims : x.dims.filter((_, i) => !reduced.has(i));
  return tensor(x.elemType, dims, finished);
}

/** Axes from the input (opset 13+ ReduceSum, 18+ others) or the attribute (older forms). */
function axesOf(inputs: readonly (F64Tensor | undefined)[], node: OpNode): number[] {
  if (inputs[1] !== undefined) return values(inputs[1]);
  return node.has('axes') ? [...node.ints('axes')] : [];
}

function reduceKernel(finish: (sum: number, count: number) => number): Kernel {
  return (inputs, node) => {
    const x = input(inputs, 0, node);
    const axes = axesOf(inputs, node);
    if (axes.length === 0 && node.int('noop_with_empty_axes', 0) === 1) return [x];
    return [reduce(x, axes, node.int('keepdims', 1) === 1, finish)];
  };
}

/** Reductions and scans (Operators.md). */
export const REDUCE_OPS: Readonly<Record<string, Kernel>> = {
  ReduceSum: reduceKernel((sum) => sum),
  ReduceMean: reduceKernel((sum, count) => sum / count),
  CumSum: (inputs, node) => {
    const x = input(inputs, 0, node);
    const axis = normaliseAxis(
      scalar(input(inputs, 1, node), `CumSum ${node.name}`),
      x.dims.length,
      `CumSum ${node.name}`,
    );
    const exclusive = node.int('exclusive', 0) === 1;
    const reverse = node.int('reverse', 0) === 1;
    const { outer, d, inner } = aroundAxis(x.dims, axis);
    const out = new Float64Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let sum = 0;
        for (let s = 0; s < d; s++) {
          const j = reverse ? d - 1 - s : s;
          const at = (o * d + j) * inner + i;
          if (exclusive) {
            out[at] = sum;
            sum += x.data[at]!;
          } else {
            sum += x.data[at]!;
            out[at] = sum;
          }
        }
      }
    }
    return [tensor(x.elemType === ElemTypes.BOOL ? ElemTypes.INT64 : x.elemType, x.dims, out)];
  },
};
