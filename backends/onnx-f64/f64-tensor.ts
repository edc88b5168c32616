/**
 * A tensor of the float64 ONNX interpreter. Every element is a float64, whatever the graph's type:
 * floats (float16, bfloat16 and float32 decoded exactly) are computed in float64; integers (token
 * ids, shapes, quantized codes) are exact below 2^53; bools are 0 or 1. `elemType` keeps the
 * graph's TensorProto.DataType, for Cast, for what an op's output type is, and for reports.
 */
export interface F64Tensor {
  readonly elemType: number;
  readonly dims: readonly number[];
  /** Row-major. */
  readonly data: Float64Array;
}

/** TensorProto.DataType codes the interpreter handles. */
export const ElemTypes = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

const FLOAT_TYPES: ReadonlySet<number> = new Set([
  ElemTypes.FLOAT,
  ElemTypes.FLOAT16,
  ElemTypes.DOUBLE,
  ElemTypes.BFLOAT16,
]);

export function isFloatType(elemType: number): boolean {
  return FLOAT_TYPES.has(elemType);
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i]!;
  }
  return strides;
}

export function tensor(elemType: number, dims: readonly number[], data: Float64Array): F64Tensor {
  if (data.length !== sizeOf(dims)) {
    throw new Error(`tensor of dims [${dims.join(', ')}] needs ${sizeOf(dims)} values, got ${data.length}`);
  }
  return { elemType, dims: [...dims], data };
}

/** A 1-D int64 tensor (shapes, indices). */
export function int64s(values: readonly number[]): F64Tensor {
  return tensor(ElemTypes.INT64, [values.length], Float64Array.from(values));
}

/** The values of a tensor as plain numbers (small index inputs: shapes, axes, starts). */
export function values(t: F64Tensor): number[] {
  return Array.from(t.data);
}

/** A scalar or one-element tensor's value. */
export function scalar(t: F64Tensor, what: string): number {
  if (t.data.length !== 1) throw new Error(`${what}: expected one value, got dims [${t.dims.join(', ')}]`);
  return t.data[0]!;
}

/** `axis` (possibly negative) as an index into a rank-`rank` shape. */
export function normaliseAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new Error(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A shape seen around one axis: outer blocks × the axis × inner elements (row-major). */
export function aroundAxis(
  dims: readonly number[],
  axis: number,
): { outer: number; d: number; inner: number } {
  return { outer: sizeOf(dims.slice(0, axis)), d: dims[axis]!, inner: sizeOf(dims.slice(axis + 1)) };
}
