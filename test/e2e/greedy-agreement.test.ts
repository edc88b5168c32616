import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { allBackendFactories, createBackend, REFERENCE_BACKEND_ID } from '../../harness/app/registry.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { greedy } from '../../harness/engine/decode/greedy.ts';
import { eosTokenIds } from '../../harness/engine/model/eos-token-ids.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import {
  EMBEDDED_MODEL_NAMES,
  embeddedModelDtype,
  embeddedModelRepository,
} from '../../harness/engine/model-gen/embedded-models.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { createOrSkip, requireAvailable } from '../helpers/backends.ts';
import { FULL_MATRIX } from '../helpers/full-matrix.ts';

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
/** Backends that cannot run a model here, with why (see createOrSkip). */
const refusals = new Map<string, string>();
/** A software GPU adapter (~0.5 s a step) runs the first prompts' first tokens unless FULL_MATRIX. */
const SOFTWARE_PROMPTS = 3;
const SOFTWARE_NEW_TOKENS = 8;

/**
 * Float32 models in the project's own layout only: a float16 model's backends round every
 * activation to half precision, so greedy can flip at near-ties that the float64 reference does not
 * see; their agreement is the golden suite's job, which labels each such flip with its margin
 * (test/golden). An ONNX-only repository layout has no ts:f64 reference; test/layouts holds it to
 * its base model's logits on every backend and to transformers.js's greedy.
 */
const MODELS = EMBEDDED_MODEL_NAMES.filter(
  (name) => embeddedModelDtype(name) === 'float32' && embeddedModelRepository(name) === null,
);
for (const name of EMBEDDED_MODEL_NAMES.filter((n) => !MODELS.includes(n))) {
  const why =
    embeddedModelRepository(name) === null
      ? "float16, checked by the golden suite's near-tie rule instead"
      : `an ONNX-only ${embeddedModelRepository(name)} layout, checked against its base model by test/layouts`;
  console.warn(`greedy agreement skips ${name}: ${why}`);
}

async function continuations(
  source: LogitsSource,
  model: ModelDir,
  prompts: readonly number[][],
  newTokens: number,
): Promise<number[][]> {
  const rows: number[][] = [];
  for (const ids of prompts) {
    const result = await greedy(source, ids, {
      maxNewTokens: newTokens,
      eosTokenIds: eosTokenIds(model),
      recordTopK: 1,
    });
    rows.push([...result.sequences[0]!.tokenIds]);
  }
  return rows;
}

describe.each(MODELS)('greedy agreement on %s', (modelName) => {
  let model: ModelDir;
  let tokenizer: Tokenizer;
  let prompts: number[][];
  /** ts:f64's continuations of every prompt: what each test below compares with. */
  let reference: number[][];

  beforeAll(async () => {
    model = await loadModelDir(modelName);
    tokenizer = await loadTokenizer(model);
    prompts = PROMPTS.map((text) => tokenizer.encode(text));
    const source = await createBackend(REFERENCE_BACKEND_ID, model);
    try {
      reference = await continuations(source, model, prompts, NEW_TOKENS);
    } finally {
      await source.dispose();
    }
    console.log(
      `${modelName} ${REFERENCE_BACKEND_ID}: ${reference.map((r) => r.slice(0, 6).join(' ')).join(' | ')}`,
    );
  });

  for (const factory of allBackendFactories().filter((f) => f.id !== REFERENCE_BACKEND_ID)) {
    it(`${factory.id} continues every prompt as ${REFERENCE_BACKEND_ID} does`, async (ctx) => {
      if (!(await requireAvailable(factory, ctx))) return;
      const source = await createOrSkip(factory, model, ctx, refusals);
      try {
        const reduced = source.info.deviceKind === 'software-gpu' && !FULL_MATRIX;
        const count = reduced ? SOFTWARE_PROMPTS : PROMPTS.length;
        const newTokens = reduced ? SOFTWARE_NEW_TOKENS : NEW_TOKENS;
        if (reduced) {
          console.warn(
            `${factory.id} on ${modelName}: software GPU adapter, ${count} of ${PROMPTS.length} prompts × ` +
              `${newTokens} of ${NEW_TOKENS} tokens (npm run test:full runs all)`,
          );
        }
        const rows = await continuations(source, model, prompts.slice(0, count), newTokens);
        for (const [p, row] of rows.entries()) {
          expect(row, `${factory.id} on ${JSON.stringify(PROMPTS[p])}`).toEqual(
            reference[p]!.slice(0, newTokens),
          );
        }
      } finally {
        await source.dispose();
      }
      // A software WebGPU adapter takes ~0.5 s a step: give slow backends room.
    }, 600_000);
  }

  it(`transformers.js generate() greedy, offline from the same directory, continues as ${REFERENCE_BACKEND_ID} does`, async () => {
    env.allowRemoteModels = false;
    const peer = await AutoModelForCausalLM.from_pretrained(model.path, {
      local_files_only: true,
      dtype: 'fp32',
      device: 'cpu',
    });
    try {
      for (const [p, ids] of prompts.entries()) {
        const inputIds = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
        const attentionMask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
        const output = (await peer.generate({
          input_ids: inputIds,
          attention_mask: attentionMask,
          max_new_tokens: NEW_TOKENS,
          do_sample: false,
        })) as Tensor;
        const row = Array.from(output.data as BigInt64Array, Number).slice(ids.length);
        expect(row, `transformers.js on ${JSON.stringify(PROMPTS[p])}`).toEqual(reference[p]);
      }
    } finally {
      await peer.dispose();
    }
  });
});
