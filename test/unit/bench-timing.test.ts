import { describe, expect, it } from 'vitest';
import type { BackendInfo, Logits, LogitsSource } from '../../harness/core/backend/contract.ts';
import { timeBatchedGreedy, timeDecode } from '../../harness/engine/bench/decode-timing.ts';
import { TimedSource } from '../../harness/engine/bench/timed-source.ts';
import { HF_DEFAULTS } from '../../harness/engine/decode/generation-config.ts';

const VOCAB = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Next token is always (last token + 1) mod 8; prefill takes `prefillMs`, each step `stepMs`. */
class CountingSource implements LogitsSource {
  readonly info: BackendInfo = {
    id: 'test:counting',
    device: 'none',
    deviceKind: 'cpu',
    executionProvider: 'none',
    dtype: 'float64',
    threads: 1,
    versions: {},
  };
  readonly vocabSize = VOCAB;
  readonly maxPositions = 1000;
  steps = 0;
  reorders = 0;
  constructor(
    private readonly prefillMs: number,
    private readonly stepMs: number,
  ) {}
  async prefill(rows: readonly (readonly number[])[]): Promise<Logits> {
    await sleep(this.prefillMs);
    return this.logits(rows.map((r) => r[r.length - 1]!));
  }
  async step(tokens: readonly number[]): Promise<Logits> {
    this.steps++;
    await sleep(this.stepMs);
    return this.logits(tokens);
  }
  async reorder(): Promise<void> {
    this.reorders++;
  }
  reset(): void {}
  async dispose(): Promise<void> {}
  private logits(last: readonly number[]): Logits {
    const data = new Float64Array(last.length * VOCAB);
    last.forEach((id, b) => {
      data[b * VOCAB + ((id + 1) % VOCAB)] = 5;
    });
    return { batch: last.length, positions: 1, vocab: VOCAB, data };
  }
}

describe('timeDecode', () => {
  it('splits model time from choice time and derives token times from step starts', async () => {
    const inner = new CountingSource(20, 5);
    const timed = new TimedSource(inner);
    const t = await timeDecode(timed, [1, 2, 3], { ...HF_DEFAULTS, max_new_tokens: 6, eos_token_id: [] });
    expect(t.tokenIds).toEqual([4, 5, 6, 7, 0, 1]);
    expect(t).toMatchObject({ rows: 1, promptTokens: 3, newTokens: 6 });
    expect(t.stepMs).toHaveLength(5); // the first new token comes from the prefill
    expect(t.tokenGapsMs).toHaveLength(5);
    expect(t.prefillMs).toBeGreaterThanOrEqual(19);
    expect(t.timeToFirstTokenMs).toBeGreaterThanOrEqual(t.prefillMs);
    for (const ms of t.stepMs) expect(ms).toBeGreaterThanOrEqual(4);
    // each gap is one step plus one choice, so the gaps add up to the steps and choices after the first
    const gaps = t.tokenGapsMs.reduce((s, x) => s + x, 0);
    const steps = t.stepMs.reduce((s, x) => s + x, 0);
    expect(gaps).toBeGreaterThanOrEqual(steps - 1);
    expect(gaps).toBeLessThanOrEqual(steps + t.choiceMs + 5);
    expect(timed.stepStarts).toHaveLength(5);
  });

  it('counts a beam step as one token, its reorder inside the gap', async () => {
    const inner = new CountingSource(1, 2);
    const t = await timeDecode(new TimedSource(inner), [1], {
      ...HF_DEFAULTS,
      max_new_tokens: 4,
      num_beams: 2,
      eos_token_id: [],
    });
    expect(t.stepMs).toHaveLength(3);
    expect(t.tokenGapsMs).toHaveLength(3);
    expect(inner.reorders).toBeGreaterThanOrEqual(3);
  });
});

describe('timeBatchedGreedy', () => {
  it('decodes every row greedily with one step call per token for the whole batch', async () => {
    const inner = new CountingSource(1, 1);
    const t = await timeBatchedGreedy(inner, [[1], [5]], 4);
    expect(t).toMatchObject({ rows: 2, promptTokens: 1, newTokens: 4, tokenIds: [2, 3, 4, 5] });
    expect(inner.steps).toBe(3);
    expect(t.stepMs).toHaveLength(3);
    expect(t.tokenGapsMs).toHaveLength(3);
  });
});
