import { describe, expect, it } from 'vitest';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import { parameterCount } from '../../harness/core/model/parameter-layout.ts';
import { coefficientOfVariation, median, percentile, summarize } from '../../harness/core/statistics.ts';
import { decodeRoofline, parametersReadPerStep } from '../../harness/engine/bench/roofline.ts';
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

  it('has sd 0 for one sample and refuses none', () => {
    expect(summarize([3]).sd).toBe(0);
    expect(() => summarize([])).toThrow(/no samples/);
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
