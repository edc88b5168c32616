import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tsF32Factory, tsF64Factory } from '../../backends/ts-kernels/factories.ts';
import { Gpt2F64 } from '../../backends/ts-kernels/gpt2-f64.ts';
import { gpt2Weights } from '../../backends/ts-kernels/gpt2-weights.ts';
import { ModelDirError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { encodeSafetensors } from '../../harness/core/model/safetensors.ts';
import type { HostTensor } from '../../harness/core/model/tensor.ts';
import { randomGpt2 } from './helpers/random-gpt2.ts';

describe('gpt2Weights', () => {
  /** The ModelDirError message gpt2Weights throws for the model after `edit`. */
  const failure = (edit: (tensors: Map<string, HostTensor>) => void, tied = true): string => {
    const { config, tensors } = randomGpt2({ tied });
    edit(tensors);
    try {
      gpt2Weights(tensors, config, Float64Array, 'model.safetensors');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelDirError);
      return (e as Error).message;
    }
    throw new Error('gpt2Weights accepted the edited weights');
  };

  it('uses float32 data as is for Float32Array and widens it for Float64Array', () => {
    const { config, tensors } = randomGpt2();
    const wte = tensors.get('wte.weight')!.data;
    expect(gpt2Weights(tensors, config, Float32Array, 'm').wte).toBe(wte);
    const widened = gpt2Weights(tensors, config, Float64Array, 'm');
    expect(widened.wte).toBeInstanceOf(Float64Array);
    expect(Array.from(widened.wte)).toEqual(Array.from(wte));
    expect(widened.lmHead).toBe(widened.wte);
    expect(widened.layers).toHaveLength(config.n_layer);
  });

  it('names a layer tensor missing for config n_layer', () => {
    expect(failure((t) => t.delete('h.1.ln_1.weight'))).toBe(
      'config.json says n_layer 2 but model.safetensors has no h.1.ln_1.weight; ' +
        'the config and weights come from different models',
    );
  });

  it('names a layer past config n_layer', () => {
    expect(failure((t) => t.set('h.2.ln_1.weight', t.get('h.0.ln_1.weight')!))).toMatch(
      /config.json says n_layer 2 but model.safetensors also has h.2.ln_1.weight/,
    );
  });

  it('names a tensor whose shape disagrees with the config, with both shapes', () => {
    const message = failure((t) => {
      t.set('h.0.attn.c_attn.weight', { dtype: 'F32', shape: [16, 32], data: new Float32Array(16 * 32) });
    });
    expect(message).toBe(
      'model.safetensors: h.0.attn.c_attn.weight has shape [16, 32] but config.json implies ' +
        '[n_embd, 3*n_embd] = [16, 48]; the config and weights come from different models',
    );
  });

  it('names a missing embedding and a non-float dtype', () => {
    expect(failure((t) => t.delete('wte.weight'))).toMatch(
      /model.safetensors has no wte.weight \(GPT-2's \[vocab_size, n_embd\]\); it is not a GPT-2 checkpoint/,
    );
    expect(failure((t) => t.set('ln_f.bias', { ...t.get('ln_f.bias')!, dtype: 'I64' }))).toMatch(
      /ln_f.bias has dtype I64; the ts backends read F32, F64, F16, BF16 weights/,
    );
  });

  it('reads lm_head.weight when the config unties it, and requires it then', async () => {
    const { config, tensors } = randomGpt2({ tied: false });
    const weights = gpt2Weights(tensors, config, Float64Array, 'm');
    expect(Array.from(weights.lmHead)).toEqual(Array.from(tensors.get('lm_head.weight')!.data));
    const untied = await new Gpt2F64(weights).prefill([[1, 2]]);
    const tied = await new Gpt2F64({ ...weights, lmHead: weights.wte }).prefill([[1, 2]]);
    expect(untied.data).not.toEqual(tied.data);

    expect(failure((t) => t.delete('lm_head.weight'), false)).toMatch(
      /config.json says tie_word_embeddings false but model.safetensors has no lm_head.weight/,
    );
  });
});

describe('tsF64Factory and tsF32Factory', () => {
  const { config, tensors } = randomGpt2();
  const dir = mkdtempSync(join(tmpdir(), 'ts-kernels-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const safetensorsPath = join(dir, 'model.safetensors');
  // Written with the `transformer.` prefix of a GPT2LMHeadModel export; the reader strips it.
  writeFileSync(
    safetensorsPath,
    encodeSafetensors(
      [...tensors].map(([name, t]) => ({
        name: `transformer.${name}`,
        dtype: 'F32',
        shape: t.shape,
        data: t.data as Float32Array,
      })),
    ),
  );
  const model: ModelDir = {
    path: dir,
    name: 'random',
    config,
    generationConfig: {},
    graph: { file: 'onnx/model.onnx', dtype: 'fp32' },
    variants: [{ file: 'onnx/model.onnx', dtype: 'fp32' }],
    onnxPath: join(dir, 'onnx', 'model.onnx'),
    externalData: [],
    safetensorsPath,
  };

  it('are always available and load model.safetensors into matching backends', async () => {
    const direct = await new Gpt2F64(gpt2Weights(tensors, config, Float64Array, 'm')).prefill([[3, 4, 5]]);
    for (const factory of [tsF64Factory, tsF32Factory]) {
      expect(await factory.availability()).toEqual({ available: true });
      const source = await factory.create(model);
      expect(source.info.id).toBe(factory.id);
      expect(source.info.versions.node).toBe(process.versions.node);
      const logits = await source.prefill([[3, 4, 5]]);
      logits.data.forEach((v, i) => {
        expect(Math.abs(v - direct.data[i]!)).toBeLessThan(1e-4);
      });
      await source.dispose();
    }
  });

  it('ts:f64 (the one-thread reference) refuses more than one thread instead of ignoring it', async () => {
    await expect(tsF64Factory.create(model, { threads: 4 })).rejects.toThrow(
      /ts:f64 runs on one thread; got threads 4; pass 1 or leave it unset/,
    );
  });
});
