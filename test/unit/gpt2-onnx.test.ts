import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Gpt2F64 } from '../../backends/ts-kernels/gpt2-f64.ts';
import { gpt2Weights } from '../../backends/ts-kernels/gpt2-weights.ts';
import { logitsRow } from '../../harness/core/backend/contract.ts';
import { ModelDirError } from '../../harness/core/errors.ts';
import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import { generateGpt2Weights } from '../../harness/engine/model-gen/generate-gpt2-weights.ts';
import { buildGpt2Onnx } from '../../harness/engine/model-gen/gpt2-onnx.ts';
import { SMALL_GPT2_CONFIG } from '../helpers/small-gpt2-config.ts';

const CONFIG: Gpt2Config = SMALL_GPT2_CONFIG;
const weights = generateGpt2Weights(CONFIG, 3);
const int64 = (values: readonly number[], dims: readonly number[]): Tensor =>
  new Tensor('int64', BigInt64Array.from(values, BigInt), dims);

/** Feeds for one prompt per row with an empty cache (the first step of a generation). */
function firstStepFeeds(ids: number[][], mask: number[][]): Record<string, Tensor> {
  const [batch, length] = [ids.length, ids[0]!.length];
  const feeds: Record<string, Tensor> = {
    input_ids: int64(ids.flat(), [batch, length]),
    attention_mask: int64(mask.flat(), [batch, length]),
    position_ids: int64(
      ids.flatMap((row) => row.map((_, j) => j)),
      [batch, length],
    ),
  };
  for (let i = 0; i < CONFIG.n_layer; i++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kv}`] = new Tensor('float32', new Float32Array(0), [batch, 2, 0, 8]);
    }
  }
  return feeds;
}

describe('buildGpt2Onnx', () => {
  it('writes the same bytes for the same weights', () => {
    expect(
      Buffer.from(buildGpt2Onnx(CONFIG, weights)).equals(Buffer.from(buildGpt2Onnx(CONFIG, weights))),
    ).toBe(true);
  });

  it("has Optimum's KV-cache decoder inputs and outputs, with the dims transformers.js resolves", async () => {
    const session = await InferenceSession.create(buildGpt2Onnx(CONFIG, weights), {
      executionProviders: ['cpu'],
    });
    const total = 'past_sequence_length + sequence_length';
    const cache = (past: string) => ['batch_size', 2, past, 8];
    expect(session.inputMetadata.map((m) => [m.name, m.isTensor && m.type, m.isTensor && m.shape])).toEqual([
      ['input_ids', 'int64', ['batch_size', 'sequence_length']],
      ['attention_mask', 'int64', ['batch_size', total]],
      ['position_ids', 'int64', ['batch_size', 'sequence_length']],
      ['past_key_values.0.key', 'float32', cache('past_sequence_length')],
      ['past_key_values.0.value', 'float32', cache('past_sequence_length')],
      ['past_key_values.1.key', 'float32', cache('past_sequence_length')],
      ['past_key_values.1.value', 'float32', cache('past_sequence_length')],
    ]);
    expect(session.outputMetadata.map((m) => [m.name, m.isTensor && m.shape])).toEqual([
      ['logits', ['batch_size', 'sequence_length', 97]],
      ['present.0.key', cache(total)],
      ['present.0.value', cache(total)],
      ['present.1.key', cache(total)],
      ['present.1.value', cache(total)],
    ]);
    await session.release();
  });

  it('computes GPT-2: every position matches the float64 reference; a fully masked row stays finite', async () => {
    const session = await InferenceSession.create(buildGpt2Onnx(CONFIG, weights), {
      executionProviders: ['cpu'],
    });
    const prompt = [5, 17, 3, 88, 42, 9];
    const out = await session.run(
      firstStepFeeds([prompt, prompt], [prompt.map(() => 1), prompt.map(() => 0)]),
    );
    const logits = out.logits as Tensor; // [batch, seq, vocab]
    expect(logits.dims).toEqual([2, 6, 97]);
    const want = await new Gpt2F64(gpt2Weights(weights, CONFIG, Float64Array, 'weights')).prefill([prompt], {
      allPositions: true,
    });
    const got = { batch: 2, positions: 6, vocab: 97, data: logits.data as Float32Array };
    for (let p = 0; p < prompt.length; p++) {
      const [g, w] = [logitsRow(got, 0, p), logitsRow(want, 0, p)];
      expect(Math.max(...g.map((x, i) => Math.abs(x - w[i]!)))).toBeLessThan(1e-4);
    }
    for (const name of session.outputNames) {
      expect((out[name]!.data as Float32Array).every(Number.isFinite), name).toBe(true);
    }
    await session.release();
  });

  it('names a missing or misshapen weight, and refuses an untied LM head', () => {
    const without = new Map(weights);
    without.delete('h.1.mlp.c_fc.bias');
    expect(() => buildGpt2Onnx(CONFIG, without)).toThrow(ModelDirError);
    expect(() => buildGpt2Onnx(CONFIG, without)).toThrow(/weight "h.1.mlp.c_fc.bias" is missing/);
    expect(() => buildGpt2Onnx({ ...CONFIG, n_positions: 64 }, weights)).toThrow(
      /weight "wpe.weight" is F32 \[32, 16\] with 512 values, expected F32 \[64, 16\]/,
    );
    expect(() => buildGpt2Onnx({ ...CONFIG, tie_word_embeddings: false }, weights)).toThrow(
      /tie_word_embeddings false is not supported/,
    );
  });
});
