import { describe, expect, it } from 'vitest';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import { parameterCount } from '../../harness/core/model/parameter-layout.ts';
import { EXACT_LIMIT, mannWhitneyU } from '../../harness/core/rank-test.ts';
import {
  coefficientOfVariation,
  interquartileRange,
  median,
  percentile,
  summarize,
} from '../../harness/core/statistics.ts';
import {
  decodeRoofline,
  kvCacheBytesPerToken,
  parametersReadPerStep,
  windowedRoofline,
} from '../../harness/engine/bench/roofline.ts';
import { syntheticPrompt } from '../../harness/engine/bench/synthetic-prompt.ts';

describe('summarize', () => {
  it('gives mean, sample sd (n - 1), extremes and keeps the raw samples', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect([s.min, s.max]).toEqual([2, 9]);
    expect(s.samples).toEqual([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(coefficientOfVariation(s)).toBeCloseTo(Math.sqrt(32 / 7) / 5, 12);
  });

  it('gives the median, quartiles (linear interpolation), IQR and CV, computed by hand', () => {
    // sorted 2 4 4 4 5 5 7 9: q1 at rank 0.25·7 = 1.75 → 4; median at 3.5 → 4.5; q3 at 5.25 → 5 + 0.25·2
    const s = summarize([9, 2, 4, 5, 4, 7, 4, 5]);
    expect([s.q1, s.median, s.q3]).toEqual([4, 4.5, 5.5]);
    expect(interquartileRange(s)).toBe(1.5);
    expect(s.cv).toBeCloseTo(Math.sqrt(32 / 7) / 5, 12);
    // 10 … 50: quartiles on samples, sd √250
    const t = summarize([50, 10, 40, 20, 30]);
    expect([t.q1, t.median, t.q3, t.min, t.max]).toEqual([20, 30, 40, 10, 50]);
    expect(t.cv).toBeCloseTo(Math.sqrt(250) / 30, 12);
    expect(t.samples).toEqual([50, 10, 40, 20, 30]); // raw order kept
  });

  it('has sd 0 for one sample and refuses none', () => {
    expect(summarize([3]).sd).toBe(0);
    expect(() => summarize([])).toThrow(/no samples/);
  });
});

describe('mannWhitneyU', () => {
  it('is exact for small samples: all of one side below the other', () => {
    // C(6,3) = 20 equally likely rank sets; only {1,2,3} has W = 6: p = 2 · 1/20
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6])).toEqual({
      u: 0,
      pValue: 0.1,
      method: 'exact',
      minPValue: 0.1,
    });
    const five = mannWhitneyU([10, 11, 12, 13, 14], [1, 2, 3, 4, 5]);
    expect(five.u).toBe(25);
    expect(five.pValue).toBeCloseTo(2 / 252, 12);
    expect(five.minPValue).toBeCloseTo(2 / 252, 12);
    expect(mannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8]).pValue).toBeCloseTo(2 / 70, 12);
  });

  it('counts the null distribution of the rank sum: interleaved samples are far from significant', () => {
    // x ranks 1, 3, 5 → W = 9; 3-subsets of 1..6 with sum ≤ 9: 7 of 20, ≥ 9: 16 of 20
    const r = mannWhitneyU([1, 3, 5], [2, 4, 6]);
    expect(r.u).toBe(3);
    expect(r.pValue).toBeCloseTo(0.7, 12);
  });

  it('gives ties their mean rank and counts exactly, conditional on the ties', () => {
    // 1 2 2 2 3 4 → ranks 1 3 3 3 5 6; x = {1, 3, 3}: W = 7, U = 1; sets with sum ≤ 7: {1,3,3} three ways of 20
    const r = mannWhitneyU([1, 2, 2], [2, 3, 4]);
    expect(r.u).toBe(1);
    expect(r.pValue).toBeCloseTo(0.3, 12);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
  });

  it('uses the normal approximation (tie-corrected, continuity 1/2) above the exact limit', () => {
    const odd = Array.from({ length: 31 }, (_, i) => 2 * i + 1);
    const even = odd.map((x) => x + 1);
    expect(odd.length + even.length).toBeGreaterThan(EXACT_LIMIT);
    // U = Σ (k − 1) = 465, mean 480.5, variance 31²·63/12 = 5045.25: z = 15/71.03 = 0.2112, p = 2(1 − Φ(z))
    const r = mannWhitneyU(odd, even);
    expect(r).toMatchObject({ u: 465, method: 'normal' });
    expect(r.pValue).toBeCloseTo(0.8327, 3);
    expect(
      mannWhitneyU(
        even.map((x) => x + 100),
        odd,
      ).pValue,
    ).toBeLessThan(1e-10);
  });

  it('refuses an empty side and non-finite samples', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(/at least one sample/);
    expect(() => mannWhitneyU([Number.NaN], [1])).toThrow(/finite/);
  });
});

describe('percentile', () => {
  it('interpolates linearly between closest ranks (NumPy default)', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6, 12);
    expect(percentile([10], 0.99)).toBe(10);
    expect(percentile([1, 2], 0)).toBe(1);
    expect(percentile([1, 2], 1)).toBe(2);
  });

  it('refuses an empty list and a q outside [0, 1]', () => {
    expect(() => percentile([], 0.5)).toThrow(/no samples/);
    expect(() => percentile([1], 1.5)).toThrow(/q 1.5 must be in \[0, 1\]/);
  });
});

const gpt2: Gpt2Config = {
  model_type: 'gpt2',
  vocab_size: 100,
  n_positions: 32,
  n_embd: 8,
  n_layer: 2,
  n_head: 2,
  n_inner: 32,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
  tie_word_embeddings: true,
  bos_token_id: 99,
  eos_token_id: 99,
};

describe('roofline', () => {
  it('reads every GPT-2 parameter per step except the unused rows of the position table', () => {
    expect(parametersReadPerStep(gpt2)).toBe(parameterCount(gpt2) - 31 * 8);
  });

  it('reads one row of an untied Llama embedding, the whole of a tied one', () => {
    const llama = {
      model_type: 'llama',
      vocab_size: 100,
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 4,
      max_position_embeddings: 32,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      rope_scaling: null,
      hidden_act: 'silu',
      tie_word_embeddings: false,
      attention_bias: false,
      o_proj_bias: false,
      bos_token_id: 99,
      eos_token_id: 99,
    } as LlamaConfig;
    expect(parametersReadPerStep(llama)).toBe(parameterCount(llama) - 99 * 8);
    const tied = { ...llama, tie_word_embeddings: true } as LlamaConfig;
    expect(parametersReadPerStep(tied)).toBe(parameterCount(tied));
  });

  it('bounds tokens/s by bandwidth over weights plus each row’s KV cache at the mean context', () => {
    const r = decodeRoofline(
      gpt2,
      'float32',
      { promptTokens: 4, newTokens: 8, rows: 2, tokensPerStep: 2 },
      10,
    );
    const weights = parametersReadPerStep(gpt2) * 4;
    const kvPerRow = 2 * 2 * 2 * 4 * 8 * 4; // k and v × layers × heads × headDim × (4 + 8/2) × 4 bytes
    expect(r.weightBytesPerStep).toBe(weights);
    expect(r.kvBytesPerStepPerRow).toBe(kvPerRow);
    expect(r.meanContextTokens).toBe(8);
    expect(r.limitTokensPerSec).toBeCloseTo((2 * 10e9) / (weights + 2 * kvPerRow), 6);
    // float64 reads twice the bytes; beam search reads 4 rows but counts one token per step
    const f64 = decodeRoofline(
      gpt2,
      'float64',
      { promptTokens: 4, newTokens: 8, rows: 1, tokensPerStep: 1 },
      10,
    );
    expect(f64.weightBytesPerStep).toBe(2 * weights);
    const beam = decodeRoofline(
      gpt2,
      'float32',
      { promptTokens: 4, newTokens: 8, rows: 4, tokensPerStep: 1 },
      10,
    );
    expect(beam.limitTokensPerSec).toBeCloseTo(10e9 / (weights + 4 * kvPerRow), 6);
  });
});

describe('windowedRoofline', () => {
  const run = { promptTokens: 4, newTokens: 8, rows: 1, tokensPerStep: 1 };
  const limitAt = (gbps: number) => decodeRoofline(gpt2, 'float32', run, gbps).limitTokensPerSec;

  it('bounds each repetition by the bandwidth probed around it; the percentage is the median of the ratios', () => {
    const l10 = limitAt(10);
    const windows = [
      { tokensPerSec: 0.5 * l10, bandwidthGBps: 10 },
      { tokensPerSec: 0.3 * l10, bandwidthGBps: 5 }, // 0.6 of its own window's limit
      { tokensPerSec: 0.7 * l10, bandwidthGBps: 10 },
    ];
    const r = windowedRoofline(gpt2, 'float32', run, windows, {
      cacheBytes: null,
      probeBufferBytes: 2 ** 28,
    });
    expect(r.verdict.kind).toBe('bound');
    expect(r.verdict.kind === 'bound' && r.verdict.percent).toBeCloseTo(60, 9);
    expect(r.bandwidthGBps.samples).toEqual([10, 5, 10]);
    expect(r.limitTokensPerSec.median).toBeCloseTo(l10, 9);
    expect(r.kvBytesPerStepPerRow).toBe(kvCacheBytesPerToken(gpt2, 'float32') * 8);
  });

  it('reports a repetition above its limit as a measurement error with the two numbers, never a percentage', () => {
    const l10 = limitAt(10);
    const r = windowedRoofline(
      gpt2,
      'float32',
      run,
      [
        { tokensPerSec: 0.9 * l10, bandwidthGBps: 10 },
        { tokensPerSec: 1.2 * l10, bandwidthGBps: 10 },
        { tokensPerSec: 1.1 * l10, bandwidthGBps: 10 },
      ],
      { cacheBytes: null, probeBufferBytes: 2 ** 28 },
    );
    expect(r.verdict).toEqual({
      kind: 'measurement-error',
      repetition: 2,
      tokensPerSec: 1.2 * l10,
      limitTokensPerSec: l10,
      bandwidthGBps: 10,
    });
  });

  it('gives no bound when the weights are smaller than both the largest cache and the probe buffer', () => {
    const fast = [{ tokensPerSec: 1e12, bandwidthGBps: 1 }];
    const cache = { cacheBytes: 2 ** 25, probeBufferBytes: 2 ** 28 };
    expect(windowedRoofline(gpt2, 'float32', run, fast, cache).verdict).toEqual({
      kind: 'in-cache',
      ...cache,
    });
    // weights at least as large as the probe's buffer read no faster than the probe did: the bound stands
    const weights = parametersReadPerStep(gpt2) * 4;
    const small = { cacheBytes: 2 ** 25, probeBufferBytes: weights };
    expect(windowedRoofline(gpt2, 'float32', run, fast, small).verdict.kind).toBe('measurement-error');
  });
});

describe('syntheticPrompt', () => {
  it('is deterministic per row, of the requested length, inside the vocabulary, without avoided ids', () => {
    const a = syntheticPrompt(64, 50, [7, 8]);
    expect(a).toEqual(syntheticPrompt(64, 50, [7, 8]));
    expect(a).toHaveLength(64);
    expect(a.every((id) => Number.isInteger(id) && id >= 0 && id < 50 && id !== 7 && id !== 8)).toBe(true);
    expect(syntheticPrompt(64, 50, [7, 8], 1)).not.toEqual(a);
  });

  it('refuses a length that is not a whole number ≥ 1', () => {
    expect(() => syntheticPrompt(0, 50, [])).toThrow(/length 0 must be a whole number ≥ 1/);
    expect(() => syntheticPrompt(2.5, 50, [])).toThrow(/length 2.5/);
  });
});
