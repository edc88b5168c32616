import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { agreementSummary } from '../../harness/engine/compare/agreement-summary.ts';
import { firstDivergence, noiseLogit } from '../../harness/engine/compare/free-running.ts';
import {
  evaluateGates,
  gateFailureLine,
  gateLimits,
  parseGateOverrides,
} from '../../harness/engine/compare/gates.ts';
import { conformanceTolerance } from '../../harness/engine/conformance/tolerances.ts';
import type { SequenceResult } from '../../harness/engine/decode/decode-result.ts';
import type { TokenLogprob } from '../../harness/engine/decode/top-candidates.ts';

describe('gate limits', () => {
  it('default to the float noise of the less precise dtype of the pair', () => {
    const f32 = gateLimits({}, ['float64', 'float32']);
    expect(f32['max-mean-kld']).toEqual({ limit: 1e-9, source: 'default for float32' });
    expect(f32['min-same-top-p']).toEqual({ limit: 99, source: 'default for float32' });
    expect(f32['max-abs-logit-diff']).toEqual({ limit: 1e-4, source: 'default for float32' });
    const f64 = gateLimits({}, ['float64', 'float64']);
    expect(f64['max-mean-kld'].limit).toBe(1e-19);
    expect(f64['max-abs-logit-diff'].limit).toBe(1e-9);
    expect(gateLimits({}, ['float16', 'float64'])['max-abs-logit-diff'].limit).toBe(1.25e-1);
  });

  it('take command-line values where given, naming the flag as their source', () => {
    const limits = gateLimits({ 'max-mean-kld': 0.01 }, ['float64', 'float32']);
    expect(limits['max-mean-kld']).toEqual({ limit: 0.01, source: '--max-mean-kld' });
    expect(limits['max-abs-logit-diff'].source).toBe('default for float32');
  });

  it('parse the three options and leave absent ones out', () => {
    expect(parseGateOverrides({})).toEqual({});
    expect(
      parseGateOverrides({ 'max-mean-kld': '1e-9', 'min-same-top-p': '99.5', 'max-abs-logit-diff': '0' }),
    ).toEqual({ 'max-mean-kld': 1e-9, 'min-same-top-p': 99.5, 'max-abs-logit-diff': 0 });
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      'not a number',
      { 'max-mean-kld': 'abc' },
      /--max-mean-kld "abc" must be a number ≥ 0, e\.g\. --max-mean-kld 1e-9/,
    ],
    ['negative', { 'max-abs-logit-diff': '-1' }, /--max-abs-logit-diff "-1" must be a number ≥ 0/],
    ['empty', { 'max-mean-kld': ' ' }, /--max-mean-kld " " must be/],
    ['infinite', { 'max-mean-kld': 'Infinity' }, /--max-mean-kld "Infinity" must be/],
    [
      'percentage over 100',
      { 'min-same-top-p': '101' },
      /--min-same-top-p "101" must be a number from 0 to 100/,
    ],
  ];
  for (const [name, raw, message] of bad) {
    it(`reject a bad value (${name}) with a usage error naming it`, () => {
      expect(() => parseGateOverrides(raw)).toThrow(UsageError);
      expect(() => parseGateOverrides(raw)).toThrow(message);
    });
  }
});

describe('evaluateGates', () => {
  const position = (kld: number, maxAbsLogitDiff: number, sameTop: boolean) => ({
    prompt: 0,
    step: 0,
    position: 0,
    kld,
    referenceTopId: 0,
    scoredId: 0,
    deltaP: 0,
    sameTop,
    logprob: -1,
    referenceLogprob: -1,
    maxAbsLogitDiff,
  });
  const limits = gateLimits({}, ['float32']);

  it('passes within every limit', () => {
    const summary = agreementSummary([position(1e-12, 1e-5, true), position(3e-12, 2e-5, true)], {
      centredSqDiff: 0,
      centredSqRef: 1,
    });
    expect(evaluateGates(summary, limits).every((g) => g.passed)).toBe(true);
  });

  it('fails each gate on its own metric and says which, by how much, against what', () => {
    const summary = agreementSummary([position(1e-3, 0.5, false), position(1e-3, 1e-5, true)], {
      centredSqDiff: 0,
      centredSqRef: 1,
    });
    const results = evaluateGates(summary, limits);
    expect(results.map((g) => [g.gate, g.passed])).toEqual([
      ['max-mean-kld', false],
      ['min-same-top-p', false],
      ['max-abs-logit-diff', false],
    ]);
    expect(gateFailureLine('ts:x', results[1]!)).toBe(
      'gate --min-same-top-p failed for ts:x: Same top p (%) 50 < limit 99 (default for float32)',
    );
    expect(gateFailureLine('ts:x', results[0]!)).toMatch(/Mean KLD 0\.001 > limit 1e-9/);
  });

  it('fails on a NaN measurement whichever way the gate points', () => {
    const summary = agreementSummary([position(Number.NaN, Number.NaN, true)], {
      centredSqDiff: 0,
      centredSqRef: 1,
    });
    const results = evaluateGates(summary, limits);
    expect(results.find((g) => g.gate === 'max-mean-kld')!.passed).toBe(false);
  });
});

/** A greedy sequence whose step n has the given top candidates (the first is the chosen token). */
function sequence(tops: TokenLogprob[][]): SequenceResult {
  return {
    tokenIds: tops.map((t) => t[0]![0]),
    steps: tops.map((top) => ({ id: top[0]![0], logprob: top[0]![1], top })),
    totalLogprob: 0,
    finishReason: 'max_new_tokens',
  };
}

describe('firstDivergence', () => {
  const text = (id: number) => `t${id}`;
  const reference = sequence([
    [
      [1, -0.1],
      [2, -3],
    ],
    [
      [3, -1.0],
      [4, -1.0005],
    ],
  ]);

  it('is null for identical continuations', () => {
    expect(firstDivergence(0, reference, reference, 1e-4, text)).toBeNull();
  });

  it('labels a flip within twice the noise a near-tie and prints the margin', () => {
    const ours = sequence([
      [
        [1, -0.1],
        [2, -3],
      ],
      [
        [4, -1.0],
        [3, -1.0002],
      ],
    ]);
    const d = firstDivergence(3, reference, ours, 3e-4, text)!;
    expect(d).toMatchObject({ prompt: 3, step: 1, label: 'near-tie', nearTieThreshold: 6e-4 });
    expect(d.referenceMargin).toBeCloseTo(5e-4, 12);
    expect(d.referenceToken).toEqual({ id: 3, token: 't3', logprob: -1.0 });
    expect(d.backendToken.id).toBe(4);
    expect(d.backendTop.map((c) => c.id)).toEqual([4, 3]);
  });

  it('labels a flip beyond twice the noise a divergence', () => {
    const ours = sequence([
      [
        [2, -0.2],
        [1, -1],
      ],
    ]);
    const d = firstDivergence(0, reference, ours, 1e-4, text)!;
    expect(d).toMatchObject({ step: 0, label: 'divergence' });
    expect(d.referenceMargin).toBeCloseTo(2.9, 12);
  });

  it('takes the measured noise but never more than the --max-abs-logit-diff limit', () => {
    const limits = gateLimits({}, ['float32']);
    const summary = (maxAbsLogitDiff: number) =>
      agreementSummary(
        [
          {
            prompt: 0,
            step: 0,
            position: 0,
            kld: 0,
            referenceTopId: 0,
            scoredId: 0,
            deltaP: 0,
            logprob: -1,
            referenceLogprob: -1,
            sameTop: true,
            maxAbsLogitDiff,
          },
        ],
        {
          centredSqDiff: 0,
          centredSqRef: 1,
        },
      );
    expect(noiseLogit(summary(3e-5), limits)).toBe(3e-5);
    expect(noiseLogit(summary(2), limits)).toBe(1e-4);
  });
});

describe('conformance tolerance by depth', () => {
  it('is the per-dtype limit up to the 2-layer calibration depth and grows as √(layers / 2) beyond', () => {
    expect(conformanceTolerance('float32', 1)).toBe(1e-4);
    expect(conformanceTolerance('float32', 2)).toBe(1e-4);
    expect(conformanceTolerance('float32', 8)).toBeCloseTo(2e-4, 12);
    expect(conformanceTolerance('float16', 32)).toBeCloseTo(0.5, 12);
  });
});
