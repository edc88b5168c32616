import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsF32Factory } from '../../backends/ts-kernels/factories.ts';
import { Gemma2F32 } from '../../backends/ts-kernels/gemma2-f32.ts';
import { gemma2Weights } from '../../backends/ts-kernels/gemma2-weights.ts';
import { Gpt2F32 } from '../../backends/ts-kernels/gpt2-f32.ts';
import { gpt2Weights } from '../../backends/ts-kernels/gpt2-weights.ts';
import { LlamaF32 } from '../../backends/ts-kernels/llama-f32.ts';
import { llamaWeights } from '../../backends/ts-kernels/llama-weights.ts';
import { MatmulThreads } from '../../backends/ts-kernels/matmul-threads.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { GEMMA2_VARIANTS, smallGemma2Tensors } from './helpers/random-gemma2.ts';
import { randomGpt2 } from './helpers/random-gpt2.ts';
import { LLAMA_VARIANTS, smallLlamaTensors } from './helpers/random-llama.ts';

const tokens = (length: number, salt: number): number[] =>
  Array.from({ length }, (_, i) => (i * 31 + salt * 17 + 5) % 97);

/**
 * Every logit a source gives over a padded three-row prefill (all positions, so rows of five and of
 * one share products), a beam-style reorder and three steps: the bits a split must not change.
 */
async function run(source: LogitsSource): Promise<Float32Array[]> {
  try {
    const out = [
      (await source.prefill([tokens(9, 1), tokens(3, 2), tokens(6, 3)], { allPositions: true })).data,
    ];
    await source.reorder([2, 0, 0]);
    for (let step = 0; step < 3; step++) out.push((await source.step([step + 4, 11, 60])).data);
    return out.map((d) => Float32Array.from(d));
  } finally {
    await source.dispose();
  }
}

function expectSameBits(threaded: Float32Array[], single: Float32Array[]): void {
  expect(threaded.length).toBe(single.length);
  threaded.forEach((call, i) => {
    expect(Buffer.from(call.buffer).equals(Buffer.from(single[i]!.buffer)), `call ${i}`).toBe(true);
  });
}

// minSplitMacs 0: every product is split, however small; three threads give unequal ranges.
const split = (threads: number) => MatmulThreads.start(threads, 0);

describe('ts:f32 on worker threads gives the one-thread bits (the split is by output, each summed alike)', () => {
  const gpt2 = randomGpt2();
  it.each([2, 3])('GPT-2 on %i threads', async (threads) => {
    const make = (m: MatmulThreads) =>
      new Gpt2F32(gpt2Weights(gpt2.tensors, gpt2.config, Float32Array, 'random'), m);
    expectSameBits(await run(make(split(threads))), await run(make(MatmulThreads.start(1))));
  });

  it.each(LLAMA_VARIANTS)('Llama family, %s, on 3 threads', async (_name, config) => {
    const tensors = smallLlamaTensors(config);
    const make = (m: MatmulThreads) => new LlamaF32(llamaWeights(tensors, config, Float32Array, 'w'), m);
    expectSameBits(await run(make(split(3))), await run(make(MatmulThreads.start(1))));
  });

  it.each(GEMMA2_VARIANTS)('Gemma-2, %s, on 3 threads', async (_name, config) => {
    const tensors = smallGemma2Tensors(config);
    const make = (m: MatmulThreads) => new Gemma2F32(gemma2Weights(tensors, config, Float32Array, 'w'), m);
    expectSameBits(await run(make(split(3))), await run(make(MatmulThreads.start(1))));
  });

  it('the factory takes threads, reports them, and splits the LM head of the embedded tiny-gpt2', async () => {
    const model = await loadModelDir('tiny-gpt2');
    const threaded = await tsF32Factory.create(model, { threads: 2 });
    expect(threaded.info.threads).toBe(2);
    const single = await tsF32Factory.create(model, { threads: 1 });
    expect(single.info.threads).toBe(1);
    expectSameBits(await run(threaded), await run(single));
  });

  it('refuses a thread count that is not a positive integer, naming it', async () => {
    const model = await loadModelDir('tiny-gpt2');
    await expect(tsF32Factory.create(model, { threads: 0 })).rejects.toThrow(UsageError);
    await expect(tsF32Factory.create(model, { threads: 1.5 })).rejects.toThrow(/threads 1\.5/);
  });

  it('disposing the workers keeps a plain Node process alive until they exit (no exit 13)', () => {
    // Workers are unref'd so an undisposed backend cannot hold a process open; awaiting their exit
    // must ref them again, or a process with nothing else pending ends mid-await with code 13.
    const threads = new URL('../../backends/ts-kernels/matmul-threads.ts', import.meta.url).href;
    const script = `import { register } from 'tsx/esm/api'; register();
      const { MatmulThreads } = await import(${JSON.stringify(threads)});
      await MatmulThreads.start(2).dispose();
      console.log('disposed');`;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: run.status, stdout: run.stdout.trim() }, run.stderr).toEqual({
      status: 0,
      stdout: 'disposed',
    });
  });

  it('starts, answers once disposed with an error instead of computing, and disposes twice', async () => {
    const threads = split(2);
    await threads.ready;
    const w = threads.share(Float32Array.from([1, 2, 3, 4]));
    const out = new Float32Array(2);
    threads.matmul(out, Float32Array.from([1, 1]), w, null, 1, 2, 2);
    expect([...out]).toEqual([3, 7]);
    await threads.dispose();
    await threads.dispose();
    expect(() => threads.matmul(out, Float32Array.from([1, 1]), w, null, 1, 2, 2)).toThrow(/disposed/);
  });
});
