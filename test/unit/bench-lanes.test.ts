import { beforeAll, describe, expect, it } from 'vitest';
import { OrtNodeSource } from '../../backends/ort-node/ort-node-source.ts';
import { BareOrtLoop } from '../../harness/app/bench-targets/bare-ort-loop.ts';
import {
  openTransformersJs,
  timeTransformersJsGreedy,
} from '../../harness/app/bench-targets/transformers-js-generate.ts';
import { createBackend } from '../../harness/app/registry.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { syntheticPrompt } from '../../harness/engine/bench/synthetic-prompt.ts';
import { greedy } from '../../harness/engine/decode/greedy.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const NEW_TOKENS = 12;
let model: ModelDir;
let prompt: number[];
let ours: number[];

beforeAll(async () => {
  model = await loadModelDir('tiny-gpt2');
  prompt = syntheticPrompt(8, model.config.vocab_size, [50256]);
  const source = await createBackend('ort-node:cpu', model, { threads: 1 });
  try {
    const result = await greedy(source, prompt, { maxNewTokens: NEW_TOKENS, eosTokenIds: [], recordTopK: 1 });
    ours = [...result.sequences[0]!.tokenIds];
  } finally {
    await source.dispose();
  }
});

describe('the comparators of the targets table compute what the harness computes', () => {
  it('the bare ORT loop, on ort-node:cpu’s own session, generates our greedy tokens', async () => {
    const source = await createBackend('ort-node:cpu', model, { threads: 1 });
    try {
      expect(source).toBeInstanceOf(OrtNodeSource);
      const loop = new BareOrtLoop((source as OrtNodeSource).inferenceSession, {
        layers: 2,
        kvHeads: 4,
        headDim: 16,
      });
      const t = await loop.generate(prompt, NEW_TOKENS);
      expect(t.tokenIds).toEqual(ours);
      expect(t.stepMs).toHaveLength(NEW_TOKENS - 1);
      expect(t.stepCpuMs).toHaveLength(NEW_TOKENS - 1);
      expect(t.tokenGapsMs).toHaveLength(NEW_TOKENS - 1);
      expect(t.timeToFirstTokenMs).toBeGreaterThanOrEqual(t.prefillMs);
      // the session is the backend's: it still runs after the loop is done with it
      expect((await source.prefill([prompt])).vocab).toBe(model.config.vocab_size);
    } finally {
      await source.dispose();
    }
  });

  it('transformers.js generate(), timed through its streamer, generates our greedy tokens', async () => {
    const peer = await openTransformersJs(model.path, 1);
    try {
      const t = await timeTransformersJsGreedy(peer, prompt, NEW_TOKENS);
      expect(t.tokenIds).toEqual(ours);
      expect(t.tokenGapsMs).toHaveLength(NEW_TOKENS - 1);
      expect(t.decodeCpuMs).toBeGreaterThan(0);
    } finally {
      await peer.dispose();
    }
  });
});
