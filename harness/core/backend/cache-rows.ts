/** A host cache tensor as any onnxruntime package holds it: float32 values or float16 bits. */
export interface CacheRows {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/**
 * New row b = old row sourceRows[b] of a [batch, heads, length, headDim] tensor; each row is one
 * block copy, float32 or float16 alike. Shared by every runtime that keeps its cache on the host.
 */
export function gatherCacheRows(t: CacheRows, sourceRows: readonly number[]): CacheRows {
  const [, heads, length, headDim] = t.dims as [number, number, number, number];
  const rowSize = heads * length * headDim;
  const src = t.data as Float32Array | Uint16Array;
  const dst =
    t.type === 'float16'
      ? new Uint16Array(sourceRows.length * rowSize)
      : new Float32Array(sourceRows.length * rowSize);
  sourceRows.forEach((r, b) => {
    dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), b * rowSize);
  });
  return { type: t.type, data: dst, dims: [sourceRows.length, heads, length, headDim] };
}
