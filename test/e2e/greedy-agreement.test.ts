import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackendFactories, createBackend } from '../../harness/backend/registry.ts';
import { greedy } from '../../harness/decode/greedy.ts';
import { eosTokenIds } from '../../harness/model/eos-token-ids.ts';
import { loadModelDir } from '../../harness/model/load-model-dir.ts';
import type { ModelDir } from '../../harness/model/model-dir.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/model/tokenizer.ts';
import { EMBEDDED_MODEL_NAMES, embeddedModelDtype } from '../../harness/model-gen/embedded-models.ts';

/** Greedy continuations must be token-identical across every backend and transformers.js. */
const PROMPTS = [
  'The quick brown fox',
  'Hello, my name is',
  'In 1905, Albert Einstein published',
  'def fibonacci(n):\n    ',
  'Le château de',
  '🚀 launch',
];
const NEW_TOKENS = 24;

/**
 * Float32 models only: a float16 model's backends round every activation to half precision, so
 * greedy can flip at near-ties that the float64 reference does not see. Their agreement is the
 * golden suite's job, which labels each such flip with its margin (test/golden).
 */
const MODELS = EMBEDDED_MODEL_NAMES.filter((name) => embeddedModelDtype(name) === 'float32');
for (const name of EMBEDDED_MODEL_NAMES.filter((n) => !MODELS.includes(n))) {
  console.warn(
    `greedy agreement skips ${name}: float16, checked by the golden suite's near-tie rule instead`,
  );
}

describe.each(MODELS)('greedy agreement on %s', (modelName) => {
  let model: ModelDir;
  let tokenizer: Tokenizer;
  const continuations = new Map<string, number[][]>();

  beforeAll(async () => {
    model = await loadModelDir(modelName);
    tokenizer = await loadTokenizer(model);
  });

  for (const factory of allBackendFactories()) {
    it(`${factory.id} greedy`, async (ctx) => {
      const availability = await factory.availability();
      if (!availability.available) {
        console.warn(`SKIP ${factory.id}: ${availability.reason}`);
        ctx.skip(`${factory.id}: ${availability.reason}`);
      }
      const source = await createBackend(factory.id, model);
      try {
        const rows: number[][] = [];
        for (const text of PROMPTS) {
          const result = await greedy(source, tokenizer.encode(text), {
            maxNewTokens: NEW_TOKENS,
            eosTokenIds: eosTokenIds(model),
            recordTopK: 1,
          });
          rows.push([...result.sequences[0]!.tokenIds]);
        }
        continuations.set(factory.id, rows);
      } finally {
        await source.dispose();
      }
      // The software WebGPU adapter (SwiftShader) takes ~0.3 s a step: give slow backends room.
    }, 600_000);
  }

  it('transformers.js generate() greedy, offline from the same directory', async () => {
    env.allowRemoteModels = false;
    const peer = await AutoModelForCausalLM.from_pretrained(model.path, {
      local_files_only: true,
      dtype: 'fp32',
      device: 'cpu',
    });
    try {
      const rows: number[][] = [];
      for (const text of PROMPTS) {
        const ids = tokenizer.encode(text);
        const inputIds = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
        const attentionMask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
        const output = (await peer.generate({
          input_ids: inputIds,
          attention_mask: attentionMask,
          max_new_tokens: NEW_TOKENS,
          do_sample: false,
        })) as Tensor;
        rows.push(Array.from(output.data as BigInt64Array, Number).slice(ids.length));
      }
      continuations.set('transformers-js', rows);
    } finally {
      await peer.dispose();
    }
  });

  afterAll(() => {
    // Summarise what ran for the log; the assertion below is the test.
    for (const [id, rows] of continuations)
      console.log(`${id}: ${rows.map((r) => r.slice(0, 6).join(' ')).join(' | ')}`);
  });

  it('all continuations are identical to ts:f64', () => {
    const reference = continuations.get('ts:f64');
    expect(reference, 'ts:f64 must have run').toBeDefined();
    expect(continuations.size).toBeGreaterThanOrEqual(2);
    for (const [id, rows] of continuations) {
      for (const [p, row] of rows.entries()) {
        expect(row, `${id} on ${JSON.stringify(PROMPTS[p])}`).toEqual(reference![p]);
      }
    }
  });
});
