import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { parameterCount } from '../../harness/core/model/parameter-layout.ts';
import { gpuMemorySampler, usedBytesOf } from '../../harness/engine/bench/gpu-memory.ts';
import { checkPointsFitMemory, estimatePointMemory } from '../../harness/engine/bench/memory-estimate.ts';
import {
  checkDistinctContexts,
  checkPointsFit,
  decodeTest,
  prefillTest,
  sweepPoints,
} from '../../harness/engine/bench/sweep.ts';
import { SMALL_GPT2_CONFIG } from '../helpers/small-gpt2-config.ts';

const config = SMALL_GPT2_CONFIG;
const model = { name: 'small', path: '/small', config } as unknown as ModelDir;

describe('sweepPoints', () => {
  it('gives one point per (batch, depth, prompt), batch outermost, with its context and test names', () => {
    const points = sweepPoints({ promptTokens: [16, 128], depths: [0, 512], batches: [1, 4] });
    expect(points.map((p) => [p.batch, p.depth, p.promptTokens, p.contextTokens])).toEqual([
      [1, 0, 16, 16],
      [1, 0, 128, 128],
      [1, 512, 16, 528],
      [1, 512, 128, 640],
      [4, 0, 16, 16],
      [4, 0, 128, 128],
      [4, 512, 16, 528],
      [4, 512, 128, 640],
    ]);
    expect(prefillTest(points[2]!)).toBe('pp528');
    expect(decodeTest(points[2]!, 64)).toBe('tg64 @ d528');
  });

  it('refuses two points that make the same context (the same test twice)', () => {
    const points = sweepPoints({ promptTokens: [16, 528], depths: [0, 512], batches: [1] });
    expect(() => checkDistinctContexts(points)).toThrow(UsageError);
    expect(() => checkDistinctContexts(points)).toThrow(
      /--prompt-tokens 528 at --depth 0 and --prompt-tokens 16 at --depth 512 both make a 528-token context.*drop one of the values/,
    );
  });

  it('refuses a point beyond the model context, naming the values', () => {
    const positions = config.n_positions;
    const points = sweepPoints({ promptTokens: [4], depths: [0, positions - 8], batches: [1] });
    expect(() => checkPointsFit(model, points, 4)).not.toThrow();
    expect(() => checkPointsFit(model, points, 5)).toThrow(
      new RegExp(
        `--depth ${positions - 8} \\+ --prompt-tokens 4 \\+ --new-tokens 5 = ${positions + 1} positions, more than small's ${positions}`,
      ),
    );
  });
});

describe('the memory estimate', () => {
  const [point] = sweepPoints({ promptTokens: [10], depths: [6], batches: [3] });
  const e = estimatePointMemory(model, point!, 4, 2, 'float32');
  // per token and row: keys + values × layers × heads × headDim × 4 bytes
  const kvPerToken = 2 * config.n_layer * config.n_embd * 4;

  it('adds the weights, the KV cache at the full context twice, and the prefill logits, by hand', () => {
    expect(e.weightsBytes).toBe(parameterCount(config) * 4);
    expect(e.kvCacheBytes).toBe(3 * 2 * kvPerToken * (16 + 4)); // 3 rows × 2 beams × 20 tokens
    expect(e.prefillLogitsBytes).toBe(3 * 2 * 16 * config.vocab_size * 4);
    expect(e.totalBytes).toBe(e.weightsBytes + 2 * e.kvCacheBytes + e.prefillLogitsBytes);
  });

  it('refuses a batch that does not fit, with the estimate and the batch that would', () => {
    const points = [point!];
    expect(() => checkPointsFitMemory(model, points, 4, 2, 'float32', e.totalBytes)).not.toThrow();
    expect(() => checkPointsFitMemory(model, points, 4, 2, 'float32', e.totalBytes - 1)).toThrow(UsageError);
    expect(() => checkPointsFitMemory(model, points, 4, 2, 'float32', e.totalBytes - 1)).toThrow(
      /--batch 3 at a 16-token context on small needs about [\d.]+ GiB \(float32 weights [\d.]+ GiB \+ KV cache [\d.]+ GiB held twice during a step \+ prefill logits [\d.]+ GiB\) but [\d.]+ GiB is available; lower --batch \(about 2 fits at this context\)/,
    );
  });
});

describe('GPU memory', () => {
  const info = (deviceKind: BackendInfo['deviceKind'], device = 'x') =>
    ({
      id: 'b',
      device,
      deviceKind,
      executionProvider: 'x',
      dtype: 'float32',
      threads: 1,
      versions: {},
    }) as BackendInfo;

  it('reads this process tree’s used memory from nvidia-smi’s compute-apps CSV (MiB)', () => {
    const listing = '4242, 300\n 77 , 12\n999, 5000\n';
    expect(usedBytesOf(listing, new Set([4242, 77]))).toBe(312 * 2 ** 20);
    expect(usedBytesOf(listing, new Set([1]))).toBeNull();
    expect(usedBytesOf('', new Set([1]))).toBeNull();
  });

  it('keeps the highest sample on a GPU and says why where it cannot know', () => {
    const listings = [`${process.pid}, 100`, `${process.pid}, 250`, `${process.pid}, 200`];
    const gpu = gpuMemorySampler(info('gpu'), () => listings.shift() ?? null);
    for (let i = 0; i < 3; i++) gpu.sample();
    expect(gpu.result()).toMatchObject({ status: 'measured', bytes: 250 * 2 ** 20 });
    const missing = gpuMemorySampler(info('gpu'), () => null);
    missing.sample();
    expect(missing.result()).toMatchObject({ status: 'unknown', why: /nvidia-smi is not installed/ });
    expect(gpuMemorySampler(info('cpu')).result()).toMatchObject({
      status: 'not-applicable',
      why: /CPU backend/,
    });
    expect(gpuMemorySampler(info('software-gpu', 'SwiftShader')).result()).toMatchObject({
      status: 'not-applicable',
      why: /SwiftShader is a software GPU/,
    });
  });
});
