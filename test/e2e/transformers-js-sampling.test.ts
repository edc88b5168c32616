import { AutoModelForCausalLM, random, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../harness/app/registry.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { decode } from '../../harness/engine/decode/decode.ts';
import { resolveGenerationConfig } from '../../harness/engine/decode/resolve-generation-config.ts';
import { eosTokenIds } from '../../harness/engine/model/eos-token-ids.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

/**
 * The transformers.js-compatible RNG mode (`--rng mt19937`): for the options transformers.js
 * supports, our sampled tokens equal its own generate({ do_sample: true }) after random.seed(n).
 */
const CASES = [
  { temperature: 0.8, top_k: 20, repetition_penalty: 1 },
  { temperature: 1.3, top_k: 0, repetition_penalty: 1 },
  { temperature: 1, top_k: 50, repetition_penalty: 1.3 },
];
const SEEDS = [0, 7, 42];
const PROMPT = 'The meaning of life is';
const NEW_TOKENS = 20;

let model: ModelDir;
let tokenizer: Tokenizer;
let source: LogitsSource;
let peer: Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;

beforeAll(async () => {
  model = await loadModelDir('tiny-gpt2');
  tokenizer = await loadTokenizer(model);
  source = await createBackend('ort-node:cpu', model);
  peer = await AutoModelForCausalLM.from_pretrained(model.path, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
  });
});

afterAll(async () => {
  await source?.dispose();
  await peer?.dispose();
});

describe('transformers.js-compatible sampling', () => {
  for (const settings of CASES) {
    for (const seed of SEEDS) {
      it(`${JSON.stringify(settings)} seed ${seed}`, async () => {
        const ids = tokenizer.encode(PROMPT);
        random.seed(seed);
        const output = (await peer.generate({
          input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
          attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
          max_new_tokens: NEW_TOKENS,
          do_sample: true,
          ...settings,
        })) as Tensor;
        const theirs = Array.from(output.data as BigInt64Array, Number).slice(ids.length);

        const config = resolveGenerationConfig(
          [
            {
              values: {
                ...settings,
                do_sample: true,
                seed,
                rng: 'mt19937',
                max_new_tokens: NEW_TOKENS,
                eos_token_id: eosTokenIds(model),
              },
              label: (field) => field,
            },
          ],
          model.config.vocab_size,
        );
        const ours = await decode(source, ids, config);
        expect(ours.sequences[0]!.tokenIds).toEqual(theirs);
      });
    }
  }
});
