import * as f32 from '../../../../backends/ts-kernels/kernels-f32.ts';
import * as f64 from '../../../../backends/ts-kernels/kernels-f64.ts';
import { streamSeed, Xoshiro128ss } from '../../../engine/model-gen/int-prng.ts';
import type { MicroTask } from './micro-result.ts';

/** The decode-step shapes of distilgpt2 / gpt2 (batch 1, one new token). */
const KERNEL_SHAPES = { width: 768, inner: 3072, vocab: 50257, heads: 12, context: 80 } as const;

function random(length: number, label: string): Float32Array {
  const rng = new Xoshiro128ss(streamSeed(1, label));
  return Float32Array.from({ length }, () => rng.nextNormalish() * 0.05);
}

/**
 * Each fast ts:f32 kernel beside its naive float64 twin (kernels-f64.ts: the reference), on one
 * decode step of a distilgpt2-shaped model, so the table shows what the fast kernel buys:
 * the MLP's c_fc (768 → 3072), the tied LM head (768 → 50257) and one layer's attention over 80
 * cached positions. Inputs are the same values, widened to float64 for the twin.
 */
export function kernelTasks(): MicroTask[] {
  const { width: C, inner: F, vocab: V, heads: H, context: T } = KERNEL_SHAPES;
  const x = random(C, 'x');
  const x64 = Float64Array.from(x);

  // c_fc: the twin multiplies the Conv1D layout [in, out]; the fast kernel its transpose [out, in].
  const fcWeight = random(C * F, 'c_fc'); // [C, F]
  const fcWeight64 = Float64Array.from(fcWeight);
  const fcWeightT = f32.transpose(fcWeight, C, F); // [F, C]
  const fcBias = random(F, 'c_fc.bias');
  const fcBias64 = Float64Array.from(fcBias);
  const fcOut = new Float32Array(F);
  const fcOut64 = new Float64Array(F);

  const lmHead = random(V * C, 'wte'); // [V, C]
  const lmHead64 = Float64Array.from(lmHead);
  const logits = new Float32Array(V);
  const logits64 = new Float64Array(V);

  // attention: the fast kernel reads a row cache [T, C]; the twin per-position arrays.
  const q = random(C, 'q');
  const q64 = Float64Array.from(q);
  const keys = random(T * C, 'keys');
  const values = random(T * C, 'values');
  const keys64 = Array.from({ length: T }, (_, t) => Float64Array.from(keys.subarray(t * C, (t + 1) * C)));
  const values64 = Array.from({ length: T }, (_, t) =>
    Float64Array.from(values.subarray(t * C, (t + 1) * C)),
  );
  const scores = new Float64Array(T);
  const attnOut = new Float32Array(C);
  const attnOut64 = new Float64Array(C);

  return [
    { name: `c_fc ${C}→${F} f32`, fn: () => f32.matmulTransposed(fcOut, x, fcWeightT, fcBias, 1, C, F) },
    { name: `c_fc ${C}→${F} f64 naive`, fn: () => f64.matmul(fcOut64, x64, fcWeight64, fcBias64, 1, C, F) },
    { name: `LM head ${C}→${V} f32`, fn: () => f32.matmulTransposed(logits, x, lmHead, null, 1, C, V) },
    {
      name: `LM head ${C}→${V} f64 naive`,
      fn: () => f64.matmulTransposed(logits64, x64, lmHead64, null, 1, C, V),
    },
    { name: `attention ${H}×${T} f32`, fn: () => f32.attention(attnOut, q, keys, values, T, H, H, scores) },
    {
      name: `attention ${H}×${T} f64 naive`,
      fn: () => f64.attention(attnOut64, q64, keys64, values64, H, H),
    },
  ];
}
