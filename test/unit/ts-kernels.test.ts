import { describe, expect, it } from 'vitest';
import * as f32 from '../../backends/ts-kernels/kernels-f32.ts';
import * as f64 from '../../backends/ts-kernels/kernels-f64.ts';
import { randomArray, uniform } from './helpers/random-gpt2.ts';

const widen = (a: Float32Array): Float64Array => Float64Array.from(a);

/**
 * Fast kernels read float32, sum in float64 and round once on store; their twins read the same
 * values widened exactly to float64. Sums differ only in order (≈1e-16 relative), so outputs agree
 * to float32 rounding: |Δ| ≤ 1e-6 · max(1, |reference|) (float32's half-ulp is 6e-8 relative).
 */
function expectCloseToTwin(fast: Float32Array, reference: Float64Array): void {
  expect(fast.length).toBe(reference.length);
  reference.forEach((r, i) => {
    expect(Math.abs(fast[i]! - r)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(r)));
  });
}

describe('fast f32 kernels vs their naive f64 twins', () => {
  const next = uniform(42);

  it('transpose is exact', () => {
    const w = randomArray(5 * 3, next);
    const t = f32.transpose(w, 5, 3);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 3; c++) expect(t[c * 5 + r]).toBe(w[r * 3 + c]);
  });

  // rows 1..9 cover whole blocks of four and every leftover; inDim 13 is not a multiple of four.
  it.each([1, 2, 3, 4, 5, 8, 9])(
    'matmulTransposed with bias = matmul over the [in, out] layout (%i rows)',
    (rows) => {
      const [inDim, outDim] = [13, 11];
      const x = randomArray(rows * inDim, next); // [rows, in]
      const w = randomArray(inDim * outDim, next); // [in, out], HF Conv1D layout
      const bias = randomArray(outDim, next);
      const fast = new Float32Array(rows * outDim);
      f32.matmulTransposed(fast, x, f32.transpose(w, inDim, outDim), bias, rows, inDim, outDim);
      const reference = new Float64Array(rows * outDim);
      f64.matmul(reference, widen(x), widen(w), widen(bias), rows, inDim, outDim);
      expectCloseToTwin(fast, reference);
    },
  );

  it.each([1, 6])('matmulTransposed without bias = the LM head twin (%i rows)', (rows) => {
    const [C, V] = [17, 50];
    const h = randomArray(rows * C, next); // [rows, C]
    const wte = randomArray(V * C, next); // [V, C]
    const fast = new Float32Array(rows * V);
    f32.matmulTransposed(fast, h, wte, null, rows, C, V);
    const reference = new Float64Array(rows * V);
    f64.matmulTransposed(reference, widen(h), widen(wte), rows, C, V);
    expectCloseToTwin(fast, reference);
  });

  it('layerNorm, also in place', () => {
    const [rows, dim, eps] = [3, 10, 1e-5];
    const x = randomArray(rows * dim, next, 3);
    const weight = randomArray(dim, next);
    const bias = randomArray(dim, next);
    const reference = new Float64Array(rows * dim);
    f64.layerNorm(reference, widen(x), widen(weight), widen(bias), rows, dim, eps);
    const fast = new Float32Array(rows * dim);
    f32.layerNorm(fast, x, weight, bias, rows, dim, eps);
    expectCloseToTwin(fast, reference);
    f32.layerNorm(x, x, weight, bias, rows, dim, eps);
    expectCloseToTwin(x, reference);
  });

  it('geluNew and add touch only the first `length` elements', () => {
    const x = randomArray(20, next, 4);
    const reference = widen(x).subarray(0, 15);
    f64.geluNew(reference);
    const fast = x.slice();
    f32.geluNew(fast, 15);
    expectCloseToTwin(fast.subarray(0, 15), reference);
    expect(fast.subarray(15)).toEqual(x.subarray(15));

    const y = randomArray(20, next);
    const sum = widen(x);
    f64.add(sum, widen(y));
    const fastSum = x.slice();
    f32.add(fastSum, y, 20);
    expectCloseToTwin(fastSum, sum);
  });

  it('attention over a flat cache attends exactly the first `count` positions', () => {
    const [nHead, headDim, count, capacity] = [3, 4, 5, 8];
    const C = nHead * headDim;
    const q = randomArray(C, next, 2);
    const keys = randomArray(capacity * C, next, 2); // [capacity, C]
    const values = randomArray(capacity * C, next);
    // Positions past `count` are unwritten cache: NaN there would poison the output if read.
    keys.fill(Number.NaN, count * C);
    values.fill(Number.NaN, count * C);
    const fast = new Float32Array(C);
    f32.attention(fast, q, keys, values, count, nHead, new Float64Array(capacity));
    const at = (a: Float32Array, t: number): Float64Array => widen(a.subarray(t * C, (t + 1) * C));
    const positions = Array.from({ length: count }, (_, t) => t);
    const reference = new Float64Array(C);
    f64.attention(
      reference,
      widen(q),
      positions.map((t) => at(keys, t)),
      positions.map((t) => at(values, t)),
      nHead,
    );
    expectCloseToTwin(fast, reference);
  });
});
