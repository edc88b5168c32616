import { softmax } from './kernels-f64.ts';

/**
 * The causal mask Hugging Face adds to the attention scores of n tokens, [n, n] row-major: 0 where
 * query i may attend key j (j ≤ i), −∞ above the diagonal. `ts:f64` never builds it (attending to
 * the cached keys only is the same mask); the attention view shows it.
 */
export function causalMask(n: number): Float64Array {
  const mask = new Float64Array(n * n);
  for (let i = 0; i < n; i++) mask.fill(Number.NEGATIVE_INFINITY, i * n + i + 1, (i + 1) * n);
  return mask;
}

/** Each row of x [n, n] through the reference's softmax: of the mask alone, row i is 1/(i + 1) on keys 0..i. */
export function rowSoftmax(x: Float64Array, n: number): Float64Array {
  const out = x.slice();
  for (let i = 0; i < n; i++) softmax(out.subarray(i * n, (i + 1) * n));
  return out;
}
