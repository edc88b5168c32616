import { describe, expect, it } from 'vitest';
import { NumericError } from '../../harness/core/errors.ts';
import { agreementSummary, stepSeries } from '../../harness/engine/compare/agreement-summary.ts';
import type { PositionMetrics } from '../../harness/engine/compare/compare-record.ts';
import { distribution } from '../../harness/engine/compare/distribution.ts';
import { firstFlagged } from '../../harness/engine/compare/first-flagged.ts';
import { comparePosition, referenceRow } from '../../harness/engine/compare/position-metrics.ts';
import { logSoftmax } from '../../harness/engine/decode/log-softmax.ts';

/** Deterministic pseudo-random logits in about [-8, 8]. */
function logits(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 16 - 8;
  });
}

function naiveKld(ref: Float64Array, ours: Float64Array): number {
  const a = logSoftmax(ref, 'ref');
  const b = logSoftmax(ours, 'ours');
  return a.reduce((sum, la, i) => sum + Math.exp(la) * (la - b[i]!), 0);
}

describe('comparePosition', () => {
  const ref = logits(1000, 7);
  const row = referenceRow(ref, 'ref');

  it('is exactly zero for identical logits, and log p is the reference top token’s', () => {
    expect(comparePosition(row, ref, 'x')).toEqual({
      kld: 0,
      deltaP: 0,
      sameTop: true,
      maxAbsLogitDiff: 0,
      logprob: Math.log(row.probs[row.topId]!),
      centredSqDiff: 0,
    });
  });

  it('ignores a constant shift in KLD and NMSE (softmax does) but not in max |Δlogit|', () => {
    const c = comparePosition(
      row,
      ref.map((x) => x + 3),
      'x',
    );
    expect(Math.abs(c.kld)).toBeLessThan(1e-25);
    expect(c.centredSqDiff).toBeLessThan(1e-20);
    expect(c.maxAbsLogitDiff).toBeCloseTo(3, 12);
    expect(c.sameTop).toBe(true);
  });

  it('matches the textbook KL sum for a large difference', () => {
    const ours = logits(1000, 11);
    const c = comparePosition(row, ours, 'x');
    expect(c.kld).toBeGreaterThan(1);
    expect(c.kld).toBeCloseTo(naiveKld(ref, ours), 10);
  });

  it('resolves float-noise divergences: ½·Var_p(Δlogit) to second order', () => {
    const e = logits(1000, 3).map((x) => x * 1e-7); // |Δlogit| ≤ 8e-7
    const c = comparePosition(
      row,
      ref.map((x, i) => x + e[i]!),
      'x',
    );
    const p = row.probs;
    const mean = p.reduce((s, pi, i) => s + pi * e[i]!, 0);
    const halfVar = 0.5 * p.reduce((s, pi, i) => s + pi * (e[i]! - mean) ** 2, 0);
    expect(c.kld).toBeGreaterThan(0);
    expect(c.kld / halfVar).toBeCloseTo(1, 5);
  });

  it('signs Δp by the reference top token and tells when the top token changes', () => {
    const up = ref.slice();
    up[row.topId] = up[row.topId]! + 0.5;
    expect(comparePosition(row, up, 'x').deltaP).toBeGreaterThan(0);
    const flipped = ref.slice();
    flipped[(row.topId + 1) % ref.length] = ref[row.topId]! + 1;
    const c = comparePosition(row, flipped, 'x');
    expect(c.sameTop).toBe(false);
    expect(c.deltaP).toBeLessThan(0);
  });

  it('rejects non-finite logits naming the backend and position, and a wrong row length', () => {
    const bad = ref.slice();
    bad[5] = Number.NaN;
    expect(() => comparePosition(row, bad, 'b:x step 3')).toThrow(NumericError);
    expect(() => comparePosition(row, bad, 'b:x step 3')).toThrow(/b:x step 3: logit for token 5 is NaN/);
    expect(() => comparePosition(row, ref.subarray(1), 'b:x')).toThrow(/999 logits, the reference has 1000/);
  });
});

describe('distribution', () => {
  it('interpolates percentiles linearly between ranks (the one percentile of statistics.ts)', () => {
    expect(distribution([4, 1, 3, 2]).median).toBe(2.5);
    expect(distribution([4, 1, 3, 2])).toMatchObject({ min: 1, max: 4 });
    expect(distribution([0, 10]).percentiles['99.9%']).toBeCloseTo(9.99, 12);
    expect(distribution([0, 10]).percentiles['0.1%']).toBeCloseTo(0.01, 12);
    expect(distribution([]).median).toBeNaN();
    expect(distribution([]).min).toBeNaN();
  });

  it('gives the mean with its standard error, the RMS, extremes and named percentiles', () => {
    const d = distribution([3, -1, 2, 0]);
    expect(d).toMatchObject({ count: 4, mean: 1, min: -1, max: 3, median: 1 });
    // population variance 2.5 → standard error sqrt(2.5 / 3)
    expect(d.meanUncertainty).toBeCloseTo(Math.sqrt(2.5 / 3), 12);
    expect(d.rms).toBeCloseTo(Math.sqrt(14 / 4), 12);
    expect(d.rmsUncertainty).toBeGreaterThan(0);
    expect(Object.keys(d.percentiles)).toEqual(['99.9%', '99%', '95%', '90%', '10%', '5%', '1%', '0.1%']);
  });

  it('has no uncertainty for a single sample or an all-zero RMS', () => {
    const one = distribution([0]);
    expect(one.meanUncertainty).toBeNull();
    expect(one.rmsUncertainty).toBeNull();
  });
});

const position = (over: Partial<PositionMetrics>): PositionMetrics => ({
  prompt: 0,
  step: 0,
  position: 0,
  kld: 0,
  referenceTopId: 1,
  scoredId: 1,
  deltaP: 0,
  sameTop: true,
  maxAbsLogitDiff: 0,
  logprob: -1,
  referenceLogprob: -1,
  ...over,
});

describe('perplexity over the scored tokens (llama.cpp: PPL, PPL ratio, their uncertainties)', () => {
  it('is exp of the mean negative log-probability, with the paired ratio and a hand-computed table', () => {
    // ours: −log p = 1, 2, 3 → mean 2, sd 1, stderr 1/√3; reference: 1, 1, 1 → 1, stderr 0.
    // Δ = log p_ref − log p_ours = 0, 1, 2 → mean 1, stderr 1/√3.
    const s = agreementSummary(
      [
        position({ logprob: -1, referenceLogprob: -1 }),
        position({ step: 1, logprob: -2, referenceLogprob: -1 }),
        position({ step: 2, logprob: -3, referenceLogprob: -1 }),
      ],
      { centredSqDiff: 0, centredSqRef: 1 },
    );
    const p = s.perplexity;
    expect(p.ours).toBeCloseTo(Math.exp(2), 12);
    expect(p.oursUncertainty).toBeCloseTo(Math.exp(2) / Math.sqrt(3), 12);
    expect(p.reference).toBeCloseTo(Math.E, 12);
    expect(p.referenceUncertainty).toBe(0);
    expect(p.ratio).toBeCloseTo(Math.E, 12);
    expect(p.ratioUncertainty).toBeCloseTo(Math.E / Math.sqrt(3), 12);
    expect(p.difference).toBeCloseTo(Math.exp(2) - Math.E, 12);
  });
});

describe('agreementSummary and stepSeries', () => {
  const positions = [
    position({ step: 0, kld: 1e-3, maxAbsLogitDiff: 0.1 }),
    position({ step: 1, kld: 3e-3, maxAbsLogitDiff: 0.2, sameTop: false }),
    position({ prompt: 1, step: 0, kld: 2e-3, maxAbsLogitDiff: 0.4 }),
    position({ prompt: 1, step: 1, kld: 0, maxAbsLogitDiff: 0 }),
  ];

  it('pools NMSE, counts top-1 agreement with a binomial error, takes the worst |Δlogit|', () => {
    const s = agreementSummary(positions, { centredSqDiff: 2, centredSqRef: 8 });
    expect(s.nmse).toBe(0.25);
    expect(s.sameTop.fraction).toBe(0.75);
    expect(s.sameTop.uncertainty).toBeCloseTo(Math.sqrt((0.75 * 0.25) / 3), 12);
    expect(s.maxAbsLogitDiff).toBe(0.4);
    expect(s.kld.mean).toBeCloseTo(1.5e-3, 15);
  });

  it('aggregates each step over the prompts that reach it', () => {
    expect(stepSeries(positions)).toEqual([
      { step: 0, prompts: 2, meanKld: 1.5e-3, maxKld: 2e-3, maxAbsLogitDiff: 0.4 },
      { step: 1, prompts: 2, meanKld: 1.5e-3, maxKld: 3e-3, maxAbsLogitDiff: 0.2 },
    ]);
  });
});

describe('firstFlagged', () => {
  const limits = {
    'max-mean-kld': { limit: 1e-6, source: 'test' },
    'min-same-top-p': { limit: 99, source: 'test' },
    'max-abs-logit-diff': { limit: 1e-3, source: 'test' },
  };

  it('is the smallest step, then the lowest prompt, where one position exceeds a limit', () => {
    const positions = [
      position({ prompt: 0, step: 5, kld: 1 }),
      position({ prompt: 2, step: 3, maxAbsLogitDiff: 0.5 }),
      position({ prompt: 1, step: 3, kld: 2e-6, position: 9 }),
      position({ prompt: 0, step: 1, kld: 1e-7 }),
    ];
    expect(firstFlagged(positions, limits)).toEqual({
      prompt: 1,
      step: 3,
      position: 9,
      kld: 2e-6,
      maxAbsLogitDiff: 0,
      exceeded: ['KLD 2.00e-6 > 0.000001'],
    });
  });

  it('is null when every position is within the limits, and counts NaN as exceeding', () => {
    expect(firstFlagged([position({ kld: 1e-7 })], limits)).toBeNull();
    expect(firstFlagged([position({ kld: Number.NaN })], limits)?.exceeded).toEqual(['KLD NaN > 0.000001']);
  });
});
