import { decodeTensor } from '../decode-tensor.ts';
import {
  ElemTypes,
  type F64Tensor,
  int64s,
  normaliseAxis,
  scalar,
  sizeOf,
  stridesOf,
  tensor,
  values,
} from '../f64-tensor.ts';
import { input, type Kernel, type OpNode } from '../op-kernel.ts';

/** The elements of `x` at the multi-indices a visitor names, as one gather by flat index. */
function gatherFlat(
  x: F64Tensor,
  dims: readonly number[],
  flatIndex: (outIndex: number[]) => number,
): Float64Array {
  const n = sizeOf(dims);
  const out = new Float64Array(n);
  const index = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    out[k] = x.data[flatIndex(index)]!;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d]! < dims[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

export function transpose(x: F64Tensor, perm: readonly number[]): F64Tensor {
  const strides = stridesOf(x.dims);
  const dims = perm.map((p) => x.dims[p]!);
  const permStrides = perm.map((p) => strides[p]!);
  return tensor(
    x.elemType,
    dims,
    gatherFlat(x, dims, (i) => i.reduce((s, v, d) => s + v * permStrides[d]!, 0)),
  );
}

/** Reshape's target: 0 copies the input's dim (unless allowzero), one −1 is inferred. */
function reshapeDims(x: F64Tensor, shape: readonly number[], allowZero: boolean, node: OpNode): number[] {
  const dims = shape.map((d, i) => (d === 0 && !allowZero ? x.dims[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) dims[inferred] = known === 0 ? 0 : sizeOf(x.dims) / known;
  if (sizeOf(dims) !== sizeOf(x.dims)) {
    throw new Error(`Reshape ${node.name}: [${x.dims.join(', ')}] cannot become [${shape.join(', ')}]`);
  }
  return dims;
}

export function concat(parts: readonly F64Tensor[], axis: number): F64Tensor {
  const first = parts[0]!;
  const a = normaliseAxis(axis, first.dims.length, 'Concat');
  const dims = [...first.dims];
  dims[a] = parts.reduce((s, p) => s + p.dims[a]!, 0);
  const outer = sizeOf(first.dims.slice(0, a));
  const out = new Float64Array(sizeOf(dims));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = sizeOf(p.dims.slice(a));
      out.set(p.data.subarray(o * block, (o + 1) * block), at);
      at += block;
    }
  }
  return tensor(first.elemType, dims, out);
}

/** Slice along `axis` from `start` (length `length`): a view copied out. */
function sliceAxis(x: F64Tensor, axis: number, start: number, length: number): F64Tensor {
  const dims = [...x.dims];
  dims[axis] = length;
  const inner = sizeOf(x.dims.slice(axis + 1));
  const outer = sizeOf(x.dims.slice(0, axis));
  const out = new Float64Array(sizeOf(dims));
  for (let o = 0; o < outer; o++) {
    const from = (o * x.dims[axis]! + start) * inner;
    out.set(x.data.subarray(from, from + length * inner), o * length * inner);
  }
  return tensor(x.elemType, dims, out);
}

/** Shape, index and data-movement ops (Operators.md, opset 13–18 forms: axes as inputs). */
export const SHAPE_OPS: Readonly<Record<string, Kernel>> = {
  Shape: (inputs, node) => {
    const rank = input(inputs, 0, node).dims.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = clamp(node.int('start', 0));
    const end = clamp(node.has('end') ? node.int('end') : rank);
    return [int64s(input(inputs, 0, node).dims.slice(start, end))];
  },
  Reshape: (inputs, node) => {
    const x = input(inputs, 0, node);
    const dims = reshapeDims(x, values(input(inputs, 1, node)), node.int('allowzero', 0) === 1, node);
    return [tensor(x.elemType, dims, x.data)];
  },
  Transpose: (inputs, node) => {
    const x = input(inputs, 0, node);
    const perm = node.ints(
      'perm',
      x.dims.map((_, i) => x.dims.length - 1 - i),
    );
    return [transpose(x, perm)];
  },
  Concat: (inputs, node) => [
    concat(
      inputs.filter((t): t is F64Tensor => t !== undefined),
      node.int('axis'),
    ),
  ],
  Split: (inputs, node) => {
    const x = input(inputs, 0, node);
    const axis = normaliseAxis(node.int('axis', 0), x.dims.length, `Split ${node.name}`);
    const parts = inputs[1]
      ? values(inputs[1])
      : node.has('split')
        ? [...node.ints('split')]
        : evenSplit(x.dims[axis]!, node.has('num_outputs') ? node.int('num_outputs') : node.outputCount);
    let start = 0;
    return parts.map((length) => {
      const piece = sliceAxis(x, axis, start, length);
      start += length;
      return piece;
    });
  },
  Unsqueeze: (inputs, node) => {
    const x = input(inputs, 0, node);
    const axes = inputs[1] ? values(inputs[1]) : [...node.ints('axes')];
    const rank = x.dims.length + axes.length;
    const at = new Set(axes.map((a) => normaliseAxis(a, rank, `Unsqueeze ${node.name}`)));
    const dims: number[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) dims.push(at.has(i) ? 1 : x.dims[next++]!);
    return [tensor(x.elemType, dims, x.data)];
  },
  Squeeze: (inputs, node) => {
    const x = input(inputs, 0, node);
    const given = inputs[1] ? values(inputs[1]) : node.has('axes') ? [...node.ints('axes')] : null;
    const axes = new Set(
      given === null
        ? x.dims.flatMap((d, i) => (d === 1 ? [i] : []))
        : given.map((a) => normaliseAxis(a, x.dims.length, `Squeeze ${node.name}`)),
    );
    return [
      tensor(
        x.elemType,
        x.dims.filter((_, i) => !axes.has(i)),
        x.data,
      ),
    ];
  },
  Slice: (inputs, node) => {
    const x = input(inputs, 0, node);
    const starts = values(input(inputs, 1, node));
    const ends = values(input(inputs, 2, node));
    const axes = inputs[3] ? values(inputs[3]) : starts.map((_, i) => i);
    const steps = inputs[4] ? values(inputs[4]) : starts.map(() => 1);
    const begin = x.dims.map(() => 0);
    const step = x.dims.map(() => 1);
    const dims = [...x.dims];
    axes.forEach((axisRaw, i) => {
      const axis = normaliseAxis(axisRaw, x.dims.length, `Slice ${node.name}`);
      const d = x.dims[axis]!;
      const s = steps[i]!;
      if (s === 0) throw new Error(`Slice ${node.name}: step 0`);
      // The spec's clamping: negative indices count from the end; then clamp to [0, d] (step > 0)
      // or [0, d − 1] for the start and [−1, d − 1] for the end (step < 0).
      const fix = (v: number, low: number, high: number) => Math.min(Math.max(v < 0 ? v + d : v, low), high);
      const st = s > 0 ? fix(starts[i]!, 0, d) : fix(starts[i]!, 0, d - 1);
      const en = s > 0 ? fix(ends[i]!, 0, d) : fix(ends[i]!, -1, d - 1);
      begin[axis] = st;
      step[axis] = s;
      dims[axis] = Math.max(0, Math.ceil((en - st) / s));
    });
    const strides = stridesOf(x.dims);
    return [
      tensor(
        x.elemType,
        dims,
        gatherFlat(x, dims, (idx) =>
          idx.reduce((sum, v, d) => sum + (begin[d]! + v * step[d]!) * strides[d]!, 0),
        ),
      ),
    ];
  },
  Gather: (inputs, node) => {
    const x = input(inputs, 0, node);
    const indices = input(inputs, 1, node);
    const axis = normaliseAxis(node.int('axis', 0), x.dims.length, `Gather ${node.name}`);
    const d = x.dims[axis]!;
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1));
    const dims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
    const out = new Float64Array(sizeOf(dims));
    const count = indices.data.length;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < count; k++) {
        let i = indices.data[k]!;
        if (i < 0) i += d;
        if (i < 0 || i >= d)
          throw new Error(`Gather ${node.name}: index ${indices.data[k]} is out of range for ${d}`);
        const from = (o * d + i) * inner;
        out.set(x.data.subarray(from, from + inner), (o * count + k) * inner);
      }
    }
    return [tensor(x.elemType, dims, out)];
  },
  Range: (inputs, node) => {
    const [start, limit, delta] = [0, 1, 2].map((i) =>
      scalar(input(inputs, i, node), `Range ${node.name}`),
    ) as [number, number, number];
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    return [
      tensor(
        input(inputs, 0, node).elemType,
        [n],
        Float64Array.from({ length: n }, (_, i) => start + i * delta),
      ),
    ];
  },
  ConstantOfShape: (inputs, node) => {
    const dims = values(input(inputs, 0, node));
    const valueProto = node.tensor('value');
    const fill = valueProto
      ? decodeTensor(valueProto, null)
      : tensor(ElemTypes.FLOAT, [1], Float64Array.of(0));
    return [tensor(fill.elemType, dims, new Float64Array(sizeOf(dims)).fill(fill.data[0]!))];
  },
  Expand: (inputs, node) => {
    const x = input(inputs, 0, node);
    const shape = values(input(inputs, 1, node));
    const rank = Math.max(shape.length, x.dims.length);
    const xd = [...new Array(rank - x.dims.length).fill(1), ...x.dims];
    const sd = [...new Array(rank - shape.length).fill(1), ...shape];
    const dims = xd.map((d, i) => (d === 1 ? sd[i]! : d));
    const strides = stridesOf(xd);
    return [
      tensor(
        x.elemType,
        dims,
        gatherFlat(x, dims, (idx) => idx.reduce((s, v, d) => s + (xd[d] === 1 ? 0 : v) * strides[d]!, 0)),
      ),
    ];
  },
  Identity: (inputs, node) => [input(inputs, 0, node)],
  /**
   * Trilu (opset 14): of each of the last two dims' matrices, upper = 1 (the default) keeps the
   * elements on and above the k-th diagonal (column − row ≥ k), upper = 0 those on and below it
   * (column − row ≤ k); the rest are 0. k, an optional int64 scalar, defaults to 0; a k beyond
   * the matrix keeps all or nothing.
   */
  Trilu: (inputs, node) => {
    const x = input(inputs, 0, node);
    if (x.dims.length < 2) throw new Error(`Trilu ${node.name}: input of rank ${x.dims.length} (needs ≥ 2)`);
    const k = inputs[1] ? scalar(inputs[1], `Trilu ${node.name} k`) : 0;
    const upper = node.int('upper', 1) === 1;
    const [rows, cols] = [x.dims.at(-2)!, x.dims.at(-1)!];
    return [
      tensor(
        x.elemType,
        x.dims,
        x.data.map((v, i) => {
          const diagonal = (i % cols) - (Math.floor(i / cols) % rows);
          return (upper ? diagonal >= k : diagonal <= k) ? v : 0;
        }),
      ),
    ];
  },
};

function evenSplit(length: number, parts: number): number[] {
  const size = Math.ceil(length / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(size, length - i * size)));
}
