import { describe, expect, it } from 'vitest';
import { tsF32Factory, tsF64Factory } from '../../backends/ts-kernels/factories.ts';
import { Gemma2F32 } from '../../backends/ts-kernels/gemma2-f32.ts';
import { Gemma2F64 } from '../../backends/ts-kernels/gemma2-f64.ts';
import { gemma2Weights } from '../../backends/ts-kernels/gemma2-weights.ts';
import * as f32 from '../../backends/ts-kernels/kernels-f32.ts';
import * as f64 from '../../backends/ts-kernels/kernels-f64.ts';
import { MatmulThreads } from '../../backends/ts-kernels/matmul-threads.ts';
import { logitsRow } from '../../harness/core/backend/contract.ts';
import { ModelDirError } from '../../harness/core/errors.ts';
import { type Gemma2Config, gemma2EmbedScale } from '../../harness/core/model/families/gemma2.ts';
import type { HostTensor } from '../../harness/core/model/tensor.ts';
import { maxAbsDiff } from '../../harness/engine/conformance/tolerances.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { GEMMA2_VARIANTS, smallGemma2Config, smallGemma2Tensors } from './helpers/random-gemma2.ts';

const tokens = (length: number, salt: number): number[] =>
  Array.from({ length }, (_, i) => (i * 31 + salt * 17 + 5) % 97);

const reference = (config: Gemma2Config, tensors = smallGemma2Tensors(config)) =>
  new Gemma2F64(gemma2Weights(tensors, config, Float64Array, 'w'));

describe('the Gemma-2 pieces against hand-computed values', () => {
  it('soft-capping: cap · tanh(x / cap), f64 and f32', () => {
    // 3 · tanh(x / 3) for x = 0, 1.5, −6, 30.
    const expected = [0, 1.3863514717800292, -2.8920827402274507, 2.9999999876330783];
    const x64 = Float64Array.of(0, 1.5, -6, 30);
    f64.softcap(x64, 3);
    for (const [i, v] of expected.entries()) expect(x64[i]).toBeCloseTo(v, 14);
    const x32 = Float32Array.of(0, 1.5, -6, 30, 7);
    f32.softcap(x32, 4, 3);
    for (const [i, v] of expected.entries()) expect(x32[i]).toBeCloseTo(v, 6);
    expect(x32[4], 'only the first `length` elements').toBe(7);
  });

  it('RMSNorm by (1 + weight): the loader adds the 1, the norm then divides by the RMS', () => {
    const config = smallGemma2Config({ hidden_size: 4 });
    const tensors = smallGemma2Tensors(config);
    tensors.set('model.norm.weight', { dtype: 'F32', shape: [4], data: Float32Array.of(0, 0.5, -0.5, 1) });
    const norm = gemma2Weights(tensors, config, Float64Array, 'w').norm;
    expect(Array.from(norm)).toEqual([1, 1.5, 0.5, 2]);
    // x / √(mean(x²) + 1e-6) · (1 + w) for x = 1, 2, 3, 4: mean(x²) = 7.5.
    const out = new Float64Array(4);
    f64.rmsNorm(out, Float64Array.of(1, 2, 3, 4), norm, 1, 4, 1e-6);
    const expected = [0.3651483473268884, 1.0954450419806652, 0.5477225209903326, 2.921186778615107];
    for (const [i, v] of expected.entries()) expect(out[i]).toBeCloseTo(v, 14);
  });

  it('sliding-window attention sees the `window` latest positions, soft-capped scores, f64 and f32', () => {
    // One head of width 1, q = 1, keys 1..5, values 10..50, scale 1: the query is the 5th position.
    const keys = [1, 2, 3, 4, 5].map((k) => Float64Array.of(k));
    const values = [10, 20, 30, 40, 50].map((v) => Float64Array.of(v));
    const run64 = (options: f64.AttentionOptions) => {
      const [out, probs] = [new Float64Array(1), new Float64Array(5)];
      f64.attention(out, Float64Array.of(1), keys, values, 1, 1, probs, { scale: 1, ...options });
      return { out: out[0]!, probs: Array.from(probs) };
    };
    const run32 = (options: f64.AttentionOptions) => {
      const out = new Float32Array(1);
      const [k, v] = [Float32Array.of(1, 2, 3, 4, 5), Float32Array.of(10, 20, 30, 40, 50)];
      f32.attention(out, Float32Array.of(1), k, v, 5, 1, 1, new Float64Array(5), { scale: 1, ...options });
      return out[0]!;
    };
    // Window 2: softmax over scores 4 and 5 only, 40 · 0.2689 + 50 · 0.7311.
    const windowed = run64({ window: 2 });
    expect(windowed.out).toBeCloseTo(47.31058578630005, 12);
    expect(windowed.probs.slice(0, 3)).toEqual([0, 0, 0]);
    expect(windowed.probs[4]).toBeCloseTo(0.7310585786300049, 14);
    expect(run32({ window: 2 })).toBeCloseTo(47.31058578630005, 4);
    // Soft cap 2 first: scores 2·tanh(2) = 1.92806 and 2·tanh(2.5) = 1.97323.
    expect(run64({ window: 2, softcap: 2 }).out).toBeCloseTo(45.11291438956903, 12);
    expect(run32({ window: 2, softcap: 2 })).toBeCloseTo(45.11291438956903, 4);
    // A window covering every position is no window.
    expect(run64({ window: 5 }).out).toBe(run64({}).out);
  });

  it('a sliding layer lets position i see key j only while i − j < sliding_window (HF)', async () => {
    // Window 3 on layers 0 and 2 against the same weights with a window covering all 32 positions:
    // positions 0..2 see every earlier key either way, position 3 no longer sees position 0.
    const config = smallGemma2Config();
    const tensors = smallGemma2Tensors(config);
    const row = tokens(6, 1);
    const windowed = await reference(config, tensors).prefill([row], { allPositions: true });
    const full = await reference({ ...config, sliding_window: 32 }, tensors).prefill([row], {
      allPositions: true,
    });
    for (let p = 0; p < 3; p++) expect(logitsRow(windowed, 0, p)).toEqual(logitsRow(full, 0, p));
    for (let p = 3; p < 6; p++) {
      expect(maxAbsDiff(logitsRow(windowed, 0, p), logitsRow(full, 0, p))).toBeGreaterThan(1e-3);
    }
  });

  it('the embedding normalizer √hidden_size is rounded to the model dtype, as HF rounds it', () => {
    const config = smallGemma2Config({ hidden_size: 48 });
    expect(gemma2EmbedScale(config, 'float64')).toBe(6.928203230275509);
    expect(gemma2EmbedScale(config, 'float32')).toBe(Math.fround(6.928203230275509));
    expect(gemma2EmbedScale(config, 'float32')).not.toBe(6.928203230275509);
  });
});

describe.each(GEMMA2_VARIANTS)('ts:f32 agrees with the ts:f64 reference: %s', (_name, config) => {
  it('on a padded batch prefill and the steps after it: max |Δlogit| < 1e-4', async () => {
    const tensors = smallGemma2Tensors(config);
    const slow = reference(config, tensors);
    const fast = new Gemma2F32(gemma2Weights(tensors, config, Float32Array, 'w'), MatmulThreads.start(1));
    const rows = [tokens(9, 1), tokens(3, 2), tokens(6, 3)];
    const a = await slow.prefill(rows, { allPositions: true });
    expect(Math.max(...a.data) - Math.min(...a.data), 'logits spread over several units').toBeGreaterThan(1);
    expect(maxAbsDiff(a.data, (await fast.prefill(rows, { allPositions: true })).data)).toBeLessThan(1e-4);
    for (let step = 0; step < 5; step++) {
      const next = [step, step + 40, step + 80];
      expect(maxAbsDiff((await slow.step(next)).data, (await fast.step(next)).data)).toBeLessThan(1e-4);
    }
  });
});

describe('ts Gemma-2 backends', () => {
  it('the factories pick the Gemma-2 kernels by model_type and report what ran', async () => {
    const model = await loadModelDir('tiny-gemma2');
    const [slow, fast] = [await tsF64Factory.create(model), await tsF32Factory.create(model)];
    expect(slow).toBeInstanceOf(Gemma2F64);
    expect(fast).toBeInstanceOf(Gemma2F32);
    expect(slow.info).toMatchObject({ id: 'ts:f64', dtype: 'float64' });
    expect([fast.vocabSize, fast.maxPositions]).toEqual([50259, 256]);
  });

  it('both soft caps bind on the small model (removing either moves the logits)', async () => {
    const config = smallGemma2Config();
    const tensors = smallGemma2Tensors(config);
    const logits = async (c: Gemma2Config) => (await reference(c, tensors).prefill([tokens(7, 4)])).data;
    const capped = await logits(config);
    expect(Math.max(...capped.map(Math.abs))).toBeLessThan(3);
    for (const edit of [{ attn_logit_softcapping: null }, { final_logit_softcapping: null }]) {
      expect(maxAbsDiff(capped, await logits({ ...config, ...edit }))).toBeGreaterThan(1e-2);
    }
  });
});

describe('gemma2Weights', () => {
  const failure = (edit: (t: Map<string, HostTensor>) => void): string => {
    const config = smallGemma2Config();
    const tensors = smallGemma2Tensors(config);
    edit(tensors);
    try {
      gemma2Weights(tensors, config, Float64Array, 'model.safetensors');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelDirError);
      return (e as Error).message;
    }
    throw new Error('gemma2Weights accepted the edited weights');
  };

  it('shares a tied head with the unscaled embeddings and reads an untied one', () => {
    const tied = gemma2Weights(
      smallGemma2Tensors(smallGemma2Config()),
      smallGemma2Config(),
      Float64Array,
      'm',
    );
    expect(tied.lmHead).toBe(tied.embedTokens);
    const config = smallGemma2Config({ tie_word_embeddings: false });
    const untied = gemma2Weights(smallGemma2Tensors(config), config, Float64Array, 'm');
    expect(untied.lmHead).not.toBe(untied.embedTokens);
  });

  it('names a missing norm of the four and a misshapen projection', () => {
    expect(failure((t) => t.delete('model.layers.1.pre_feedforward_layernorm.weight'))).toBe(
      'model.safetensors has no model.layers.1.pre_feedforward_layernorm.weight; ' +
        'config.json and the weights come from different models; re-export them together',
    );
    expect(
      failure((t) =>
        t.set('model.layers.0.self_attn.k_proj.weight', t.get('model.layers.0.self_attn.q_proj.weight')!),
      ),
    ).toMatch(
      /k_proj.weight has shape \[24, 18\] but config.json implies \[num_key_value_heads·head_dim, hidden_size\] = \[12, 18\]/,
    );
  });
});
