import { describe, expect, it } from 'vitest';
import { tsF32Factory, tsF64Factory } from '../../backends/ts-kernels/factories.ts';
import { LlamaF32 } from '../../backends/ts-kernels/llama-f32.ts';
import { LlamaF64 } from '../../backends/ts-kernels/llama-f64.ts';
import { llamaWeights } from '../../backends/ts-kernels/llama-weights.ts';
import { MatmulThreads } from '../../backends/ts-kernels/matmul-threads.ts';
import { ModelDirError } from '../../harness/core/errors.ts';
import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import type { HostTensor } from '../../harness/core/model/tensor.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { LLAMA_VARIANTS, smallLlamaConfig, smallLlamaTensors } from './helpers/random-llama.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const tokens = (length: number, salt: number): number[] =>
  Array.from({ length }, (_, i) => (i * 31 + salt * 17 + 5) % 97);

describe.each(LLAMA_VARIANTS)('ts:f32 agrees with the ts:f64 reference: %s', (_name, config) => {
  const tensors = smallLlamaTensors(config);

  it('on a padded batch prefill and the steps after it: max |Δlogit| < 1e-4', async () => {
    const reference = new LlamaF64(llamaWeights(tensors, config, Float64Array, 'w'));
    const fast = new LlamaF32(llamaWeights(tensors, config, Float32Array, 'w'), MatmulThreads.start(1));
    const rows = [tokens(9, 1), tokens(3, 2), tokens(6, 3)];
    const a = await reference.prefill(rows, { allPositions: true });
    expect(Math.max(...a.data) - Math.min(...a.data), 'logits spread over several units').toBeGreaterThan(4);
    expect(maxAbsDiff(a.data, (await fast.prefill(rows, { allPositions: true })).data)).toBeLessThan(1e-4);
    for (let step = 0; step < 5; step++) {
      const next = [step, step + 40, step + 80];
      expect(maxAbsDiff((await reference.step(next)).data, (await fast.step(next)).data)).toBeLessThan(1e-4);
    }
  });
});

describe('ts Llama backends', () => {
  it('use the attention biases the config names (zeroing them moves the logits)', async () => {
    for (const config of [
      smallLlamaConfig({ attention_bias: true, o_proj_bias: true }),
      smallLlamaConfig({ model_type: 'qwen2', attention_bias: true }),
    ]) {
      const tensors = smallLlamaTensors(config);
      const zeroed = new Map(
        [...tensors].map(([name, t]) => [
          name,
          name.endsWith('.bias') ? { ...t, data: t.data.map(() => 0) } : t,
        ]),
      );
      const logits = async (m: Map<string, HostTensor>) =>
        (await new LlamaF64(llamaWeights(m, config, Float64Array, 'w')).prefill([tokens(5, 4)])).data;
      expect(maxAbsDiff(await logits(tensors), await logits(zeroed))).toBeGreaterThan(1e-3);
    }
  });

  it('the factories pick the Llama kernels by model_type and report what ran', async () => {
    const model = await loadModelDir('tiny-llama');
    const f64 = await tsF64Factory.create(model);
    const f32 = await tsF32Factory.create(model);
    expect(f64).toBeInstanceOf(LlamaF64);
    expect(f32).toBeInstanceOf(LlamaF32);
    expect(f64.info).toMatchObject({ id: 'ts:f64', dtype: 'float64' });
    expect([f32.vocabSize, f32.maxPositions]).toEqual([50257, 256]);
  });
});

describe('llamaWeights', () => {
  const failure = (edit: (t: Map<string, HostTensor>) => void, config: LlamaConfig = smallLlamaConfig()) => {
    const tensors = smallLlamaTensors(config);
    edit(tensors);
    try {
      llamaWeights(tensors, config, Float64Array, 'model.safetensors');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelDirError);
      return (e as Error).message;
    }
    throw new Error('llamaWeights accepted the edited weights');
  };

  it('uses float32 data as is for Float32Array, widens it for Float64Array, shares a tied head', () => {
    const config = smallLlamaConfig({ tie_word_embeddings: true });
    const tensors = smallLlamaTensors(config);
    const embed = tensors.get('model.embed_tokens.weight')!.data;
    expect(llamaWeights(tensors, config, Float32Array, 'm').embedTokens).toBe(embed);
    const widened = llamaWeights(tensors, config, Float64Array, 'm');
    expect(Array.from(widened.embedTokens)).toEqual(Array.from(embed));
    expect(widened.lmHead).toBe(widened.embedTokens);
    expect(widened.layers[1]!.qBias).toBeNull();
  });

  it('names the tensor, the config field and the fix on every mismatch', () => {
    expect(failure((t) => t.delete('model.layers.1.input_layernorm.weight'))).toBe(
      'config.json says num_hidden_layers 2 but model.safetensors has no model.layers.1.input_layernorm.weight; ' +
        'config.json and the weights come from different models; re-export them together',
    );
    expect(
      failure((t) => t.set('model.layers.2.input_layernorm.weight', t.get('model.norm.weight')!)),
    ).toMatch(
      /config.json says num_hidden_layers 2 but model.safetensors also has model.layers.2.input_layernorm.weight/,
    );
    expect(
      failure((t) =>
        t.set('model.layers.0.self_attn.k_proj.weight', t.get('model.layers.0.self_attn.q_proj.weight')!),
      ),
    ).toMatch(
      /model.layers.0.self_attn.k_proj.weight has shape \[24, 16\] but config.json implies \[num_key_value_heads·head_dim, hidden_size\] = \[12, 16\]/,
    );
    expect(failure((t) => t.delete('lm_head.weight'))).toMatch(/model.safetensors has no lm_head.weight/);
    expect(
      failure(
        (t) => t.delete('model.layers.0.self_attn.o_proj.bias'),
        smallLlamaConfig({ attention_bias: true, o_proj_bias: true }),
      ),
    ).toMatch(/has no model.layers.0.self_attn.o_proj.bias/);
    expect(
      failure((t) => {
        const norm = t.get('model.norm.weight')!;
        t.set('model.norm.weight', { ...norm, dtype: 'I32', data: Float64Array.from(norm.data) });
      }),
    ).toMatch(/model.norm.weight has dtype I32; the ts backends read F32, F64, F16, BF16 weights/);
  });
});
