/** A named dense tensor as stored in model.safetensors (row-major, HF parameter layout). */
export interface HostTensor {
  readonly dtype: 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32';
  readonly shape: readonly number[];
  /** F32 → Float32Array; F64 → Float64Array. Other dtypes are rejected by the TS backends. */
  readonly data: Float32Array | Float64Array;
}

/** Parameters by HF name, with any `transformer.` prefix already stripped. */
export type TensorMap = ReadonlyMap<string, HostTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
