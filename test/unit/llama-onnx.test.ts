import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { LlamaF64 } from '../../backends/ts-kernels/llama-f64.ts';
import { llamaWeights } from '../../backends/ts-kernels/llama-weights.ts';
import { type Logits, logitsRow } from '../../harness/core/backend/contract.ts';
import { ModelDirError } from '../../harness/core/errors.ts';
import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import { generateLlamaWeights } from '../../harness/engine/model-gen/generate-llama-weights.ts';
import { buildLlamaOnnx } from '../../harness/engine/model-gen/llama-onnx.ts';
import { decoderFeeds } from './helpers/ort-decoder-feeds.ts';
import { LLAMA_VARIANTS, smallLlamaConfig } from './helpers/random-llama.ts';

async function open(
  config: LlamaConfig,
  weights = generateLlamaWeights(config, 3),
): Promise<InferenceSession> {
  return InferenceSession.create(buildLlamaOnnx(config, weights), { executionProviders: ['cpu'] });
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('buildLlamaOnnx', () => {
  it('writes the same bytes for the same weights', () => {
    const config = smallLlamaConfig();
    const weights = generateLlamaWeights(config, 3);
    expect(
      Buffer.from(buildLlamaOnnx(config, weights)).equals(Buffer.from(buildLlamaOnnx(config, weights))),
    ).toBe(true);
  });

  it("has Optimum's KV-cache decoder I/O with num_key_value_heads cache heads", async () => {
    const session = await open(smallLlamaConfig());
    const total = 'past_sequence_length + sequence_length';
    const cache = (past: string) => ['batch_size', 2, past, 6];
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

  it.each(LLAMA_VARIANTS)(
    'computes %s: prefill with a padded row and a cached step match the float64 reference',
    async (_name, config) => {
      const weights = generateLlamaWeights(config, 3);
      const session = await open(config, weights);
      const reference = new LlamaF64(llamaWeights(weights, config, Float64Array, 'weights'));
      const [long, short] = [
        [5, 17, 3, 88, 42, 9],
        [61, 7, 30],
      ];
      const V = config.vocab_size;

      // Row 1 is left-padded by 3 columns (pad token 0); a third row is fully masked and must stay finite.
      const prompt = await session.run(
        decoderFeeds(config, [long, [0, 0, 0, ...short], long], [0, 3, 6], null),
      );
      const want = await reference.prefill([long, short], { allPositions: true });
      const got: Logits = { batch: 3, positions: 6, vocab: V, data: prompt.logits!.data as Float32Array };
      for (let p = 0; p < 6; p++)
        expect(maxDiff(logitsRow(got, 0, p), logitsRow(want, 0, p))).toBeLessThan(1e-4);
      for (let p = 3; p < 6; p++)
        expect(maxDiff(logitsRow(got, 1, p), logitsRow(want, 1, p))).toBeLessThan(1e-4);
      for (const name of session.outputNames) {
        expect((prompt[name]!.data as Float32Array).every(Number.isFinite), name).toBe(true);
      }

      const step = await session.run(decoderFeeds(config, [[11], [12], [13]], [0, 3, 6], prompt, 6));
      const wantStep = await reference.step([11, 12]);
      const gotStep: Logits = { batch: 3, positions: 1, vocab: V, data: step.logits!.data as Float32Array };
      for (const b of [0, 1])
        expect(maxDiff(logitsRow(gotStep, b), logitsRow(wantStep, b))).toBeLessThan(1e-4);
      await session.release();
    },
  );

  it('names a missing or misshapen weight', () => {
    const config = smallLlamaConfig({ attention_bias: true, o_proj_bias: true });
    const weights = new Map(generateLlamaWeights(config, 3));
    weights.delete('model.layers.1.self_attn.v_proj.bias');
    expect(() => buildLlamaOnnx(config, weights)).toThrow(ModelDirError);
    expect(() => buildLlamaOnnx(config, weights)).toThrow(
      /buildLlamaOnnx: weight "model.layers.1.self_attn.v_proj.bias" is missing/,
    );
    expect(() => buildLlamaOnnx({ ...config, intermediate_size: 48 }, weights)).toThrow(
      /weight "model.layers.0.mlp.gate_proj.weight" is F32 \[40, 16\] with 640 values, expected F32 \[48, 16\]/,
    );
  });
});
