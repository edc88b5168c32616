import { describe, expect, it } from 'vitest';
import { NumericError, UsageError } from '../../harness/core/errors.ts';
import { checkLengths } from '../../harness/engine/decode/lengths.ts';
import { logPartition, logSoftmax } from '../../harness/engine/decode/log-softmax.ts';
import { rawLogprob, rawRow } from '../../harness/engine/decode/raw-row.ts';
import { argmax, topK } from '../../harness/engine/decode/top-candidates.ts';

describe('logSoftmax', () => {
  it('matches the textbook formula in float64 and sums to 1', () => {
    const logits = [2, 1, 0.5, -3];
    const z = logits.reduce((s, x) => s + Math.exp(x), 0);
    const out = logSoftmax(logits, 'test');
    for (const [i, x] of logits.entries()) expect(out[i]).toBeCloseTo(x - Math.log(z), 14);
    expect(out.reduce((s, lp) => s + Math.exp(lp), 0)).toBeCloseTo(1, 14);
  });

  it('is stable for huge logits (max-subtracted)', () => {
    const out = logSoftmax([1000, 999], 'test');
    expect(out[0]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 12);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'rejects %s naming the token and where',
    (bad) => {
      expect(() => logSoftmax([0, bad, 1], 'ort-node:cpu step 3')).toThrow(NumericError);
      expect(() => logSoftmax([0, bad, 1], 'ort-node:cpu step 3')).toThrow(
        /ort-node:cpu step 3: logit for token 1/,
      );
    },
  );
});

/** The textbook two passes: max, then Σ exp(x − max), in float64 (the one-pass twin's reference). */
function twoPassLogPartition(logits: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

describe('logPartition (one pass, the sum rescaled when the max moves)', () => {
  // Ascending rows move the max at every element, the most rescaling a row can ask for.
  const rows: [string, Float32Array][] = [
    ['random', Float32Array.from({ length: 50257 }, (_, i) => Math.sin(i * 12.9898) * 15)],
    ['ascending', Float32Array.from({ length: 50257 }, (_, i) => i / 1000 - 20)],
    ['descending', Float32Array.from({ length: 50257 }, (_, i) => 20 - i / 1000)],
    ['spiky', Float32Array.from({ length: 4096 }, (_, i) => (i % 977 === 0 ? 80 + i / 1e3 : -30))],
  ];
  it.each(rows)('equals the two-pass log-sum-exp to float64 rounding on a %s row', (_, logits) => {
    const expected = twoPassLogPartition(logits);
    expect(Math.abs(logPartition(logits, 'test') - expected)).toBeLessThanOrEqual(1e-13 * Math.abs(expected));
  });

  it('rawRow holds what the full float64 row would: the top-k and any token logprob', () => {
    const logits = Float32Array.from({ length: 50257 }, (_, i) => Math.round(Math.sin(i * 7.31) * 40) / 8);
    const full = logSoftmax(logits, 'test');
    const row = rawRow(logits, 8, 'test');
    expect(row.top.map(([id]) => id)).toEqual(topK(full, 8).map(([id]) => id)); // ties included
    for (const [id, logprob] of row.top) expect(logprob).toBe(full[id]);
    for (const id of [0, 17, 50256]) expect(rawLogprob(row, id)).toBe(full[id]);
    expect(row.top[0]![0]).toBe(argmax(logits));
  });
});

describe('candidate order', () => {
  it('argmax breaks ties to the lowest id', () => {
    expect(argmax([0.1, 0.7, 0.7, 0.2])).toBe(1);
    expect(argmax([5])).toBe(0);
  });

  it('topK is descending with ties to lower id, and equals a full sort', () => {
    const values = Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i * 12.9898) * 20) / 4);
    const sorted = values
      .map((v, id) => [id, v] as const)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, 17);
    expect(topK(values, 17)).toEqual(sorted);
  });

  it('topK with k larger than the vocabulary returns everything', () => {
    expect(topK([1, 3, 2], 10)).toEqual([
      [1, 3],
      [2, 2],
      [0, 1],
    ]);
  });
});

describe('checkLengths', () => {
  it('accepts a budget that exactly fits', () => {
    expect(() => checkLengths(10, 247, 256)).not.toThrow();
  });
  it('rejects an empty prompt', () => {
    expect(() => checkLengths(0, 5, 256)).toThrow(/prompt is empty/);
  });
  it('rejects a prompt longer than n_positions', () => {
    expect(() => checkLengths(300, 1, 256)).toThrow(/300 tokens but the model holds at most 256/);
  });
  it('rejects prompt + max_new_tokens past n_positions and says the largest budget', () => {
    expect(() => checkLengths(10, 248, 256)).toThrow(/--max-new-tokens 247 or less/);
  });
  it('rejects a non-positive budget', () => {
    expect(() => checkLengths(3, 0, 256)).toThrow(UsageError);
  });
});
