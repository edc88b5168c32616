import { type F64Tensor, sizeOf, stridesOf } from './f64-tensor.ts';

/** ONNX's multidirectional (numpy) broadcasting of shapes (Broadcasting.md). */
export function broadcastDims(shapes: readonly (readonly number[])[], what: string): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const offset = rank - shape.length;
    shape.forEach((d, i) => {
      const o = out[offset + i]!;
      if (d === o || d === 1) return;
      if (o !== 1) {
        throw new Error(
          `${what}: shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')} do not broadcast`,
        );
      }
      out[offset + i] = d;
    });
  }
  return out;
}

/** For each output element, the flat index into `t` under broadcasting to `dims`. */
export function broadcastIndex(t: F64Tensor, dims: readonly number[]): Int32Array | null {
  const n = sizeOf(dims);
  if (t.dims.length === dims.length && t.dims.every((d, i) => d === dims[i])) return null; // same shape
  const offset = dims.length - t.dims.length;
  const inStrides = stridesOf(t.dims);
  // Stride 0 on broadcast dims, so walking the output walks the input's repeated rows.
  const strides = dims.map((_, i) => (i < offset || t.dims[i - offset] === 1 ? 0 : inStrides[i - offset]!));
  const index = new Int32Array(n);
  const counter = new Array<number>(dims.length).fill(0);
  let at = 0;
  for (let k = 0; k < n; k++) {
    index[k] = at;
    for (let d = dims.length - 1; d >= 0; d--) {
      counter[d]!++;
      at += strides[d]!;
      if (counter[d]! < dims[d]!) break;
      at -= strides[d]! * dims[d]!;
      counter[d] = 0;
    }
  }
  return index;
}

/** fn over the broadcast of `inputs`, element by element. */
export function mapBroadcast(
  inputs: readonly F64Tensor[],
  what: string,
  fn: (args: number[]) => number,
): { dims: number[]; data: Float64Array } {
  const dims = broadcastDims(
    inputs.map((t) => t.dims),
    what,
  );
  const n = sizeOf(dims);
  const indices = inputs.map((t) => broadcastIndex(t, dims));
  const data = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < inputs.length; i++) args[i] = inputs[i]!.data[indices[i]?.[k] ?? k]!;
    data[k] = fn(args);
  }
  return { dims, data };
}
