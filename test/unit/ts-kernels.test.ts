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
    f64.matmulTransposed(reference, widen(h), widen(wte), null, rows, C, V);
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
    f32.attention(fast, q, keys, values, count, nHead, nHead, new Float64Array(capacity));
    const at = (a: Float32Array, t: number): Float64Array => widen(a.subarray(t * C, (t + 1) * C));
    const positions = Array.from({ length: count }, (_, t) => t);
    const reference = new Float64Array(C);
    f64.attention(
      reference,
      widen(q),
      positions.map((t) => at(keys, t)),
      positions.map((t) => at(values, t)),
      nHead,
      nHead,
    );
    expectCloseToTwin(fast, reference);
  });

  it('matmulTransposed with bias = its f64 twin (an nn.Linear layer)', () => {
    const [rows, inDim, outDim] = [5, 13, 7];
    const x = randomArray(rows * inDim, next); // [rows, in]
    const w = randomArray(outDim * inDim, next); // [out, in], nn.Linear layout
    const bias = randomArray(outDim, next);
    const fast = new Float32Array(rows * outDim);
    f32.matmulTransposed(fast, x, w, bias, rows, inDim, outDim);
    const reference = new Float64Array(rows * outDim);
    f64.matmulTransposed(reference, widen(x), widen(w), widen(bias), rows, inDim, outDim);
    expectCloseToTwin(fast, reference);
  });

  it('rmsNorm, also in place', () => {
    const [rows, dim, eps] = [3, 10, 1e-5];
    const x = randomArray(rows * dim, next, 3);
    const weight = randomArray(dim, next);
    const reference = new Float64Array(rows * dim);
    f64.rmsNorm(reference, widen(x), widen(weight), rows, dim, eps);
    const fast = new Float32Array(rows * dim);
    f32.rmsNorm(fast, x, weight, rows, dim, eps);
    expectCloseToTwin(fast, reference);
    f32.rmsNorm(x, x, weight, rows, dim, eps);
    expectCloseToTwin(x, reference);
  });

  it.each([0, 1, 7, 255])(
    'rope from tables = the f64 rope at position %i, on heads at an offset',
    (position) => {
      const [nHead, headDim, theta, offset] = [3, 8, 10000, 5];
      const x = randomArray(offset + nHead * headDim + 2, next, 2);
      const fast = x.slice();
      f32.rope(fast, offset, nHead, position, f32.ropeTables(256, headDim, theta));
      const reference = widen(x.subarray(offset, offset + nHead * headDim));
      f64.rope(reference, position, nHead, headDim, theta);
      expectCloseToTwin(fast.subarray(offset, offset + nHead * headDim), reference);
      expect(fast.subarray(0, offset)).toEqual(x.subarray(0, offset));
      expect(fast.subarray(offset + nHead * headDim)).toEqual(x.subarray(offset + nHead * headDim));
    },
  );

  it('swiglu touches only the first `length` elements', () => {
    const gate = randomArray(20, next, 4);
    const up = randomArray(20, next, 2);
    const reference = widen(gate).subarray(0, 15);
    f64.swiglu(reference, widen(up));
    const fast = gate.slice();
    f32.swiglu(fast, up, 15);
    expectCloseToTwin(fast.subarray(0, 15), reference);
    expect(fast.subarray(15)).toEqual(gate.subarray(15));
  });

  it('grouped-query attention (6 query heads over 2 key/value heads) = its f64 twin', () => {
    const [nHead, nKvHead, headDim, count, capacity] = [6, 2, 4, 5, 8];
    const kvWidth = nKvHead * headDim;
    const q = randomArray(nHead * headDim, next, 2);
    const keys = randomArray(capacity * kvWidth, next, 2); // [capacity, kvHeads·headDim]
    const values = randomArray(capacity * kvWidth, next);
    keys.fill(Number.NaN, count * kvWidth);
    values.fill(Number.NaN, count * kvWidth);
    const fast = new Float32Array(nHead * headDim);
    f32.attention(fast, q, keys, values, count, nHead, nKvHead, new Float64Array(capacity));
    const at = (a: Float32Array, t: number): Float64Array =>
      widen(a.subarray(t * kvWidth, (t + 1) * kvWidth));
    const positions = Array.from({ length: count }, (_, t) => t);
    const reference = new Float64Array(nHead * headDim);
    f64.attention(
      reference,
      widen(q),
      positions.map((t) => at(keys, t)),
      positions.map((t) => at(values, t)),
      nHead,
      nKvHead,
    );
    expectCloseToTwin(fast, reference);
  });
});

describe('naive f64 Llama kernels against the definitions', () => {
  const next = uniform(7);

  it("grouped-query attention = multi-head attention over HF's repeat_kv of the key/value heads", () => {
    const [nHead, nKvHead, headDim, positions] = [6, 2, 4, 3];
    const group = nHead / nKvHead;
    const q = widen(randomArray(nHead * headDim, next, 2));
    const keys = Array.from({ length: positions }, () => widen(randomArray(nKvHead * headDim, next, 2)));
    const values = Array.from({ length: positions }, () => widen(randomArray(nKvHead * headDim, next)));
    // repeat_kv: kv head j serves query heads j·group .. (j+1)·group − 1.
    const repeat = (v: Float64Array): Float64Array =>
      Float64Array.from({ length: nHead * headDim }, (_, i) => {
        const [h, d] = [Math.floor(i / headDim), i % headDim];
        return v[Math.floor(h / group) * headDim + d]!;
      });
    const grouped = new Float64Array(nHead * headDim);
    f64.attention(grouped, q, keys, values, nHead, nKvHead);
    const repeated = new Float64Array(nHead * headDim);
    f64.attention(repeated, q, keys.map(repeat), values.map(repeat), nHead, nHead);
    expect(Array.from(grouped)).toEqual(Array.from(repeated));
  });

  it('rope: identity at position 0, turns each (i, i + D/2) pair, scores depend on relative position only', () => {
    const [headDim, theta] = [8, 10000];
    const x = widen(randomArray(headDim, next));
    const at = (v: Float64Array, p: number): Float64Array => {
      const r = v.slice();
      f64.rope(r, p, 1, headDim, theta);
      return r;
    };
    expect(Array.from(at(x, 0))).toEqual(Array.from(x));
    // Pair 0 turns by exactly `position` radians (theta^0 = 1), pair i by position · theta^(-2i/D).
    const turned = at(x, 3);
    expect(turned[0]).toBeCloseTo(x[0]! * Math.cos(3) - x[4]! * Math.sin(3), 14);
    expect(turned[4]).toBeCloseTo(x[4]! * Math.cos(3) + x[0]! * Math.sin(3), 14);
    for (let i = 0; i < headDim / 2; i++) {
      expect(Math.hypot(turned[i]!, turned[i + 4]!)).toBeCloseTo(Math.hypot(x[i]!, x[i + 4]!), 14);
    }
    const k = widen(randomArray(headDim, next));
    const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
    expect(dot(at(x, 9), at(k, 4))).toBeCloseTo(dot(at(x, 105), at(k, 100)), 12);
  });

  it('rmsNorm divides by the root mean square, then scales by the weight', () => {
    const out = new Float64Array(2);
    f64.rmsNorm(out, Float64Array.of(3, 4), Float64Array.of(1, 2), 1, 2, 0);
    const rms = Math.sqrt((9 + 16) / 2);
    expect(Array.from(out)).toEqual([3 / rms, (2 * 4) / rms]);
  });

  it('swiglu is silu(gate) · up', () => {
    const gate = Float64Array.of(0, 2, -1);
    f64.swiglu(gate, Float64Array.of(5, 3, 2));
    expect(Array.from(gate)).toEqual([0, (2 / (1 + Math.exp(-2))) * 3, (-1 / (1 + Math.exp(1))) * 2]);
  });
});
