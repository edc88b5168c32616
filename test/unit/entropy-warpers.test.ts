import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { createRng } from '../../harness/core/rng/seeded-rng.ts';
import { inverseCdfChoice } from '../../harness/engine/decode/inverse-cdf.ts';
import {
  createEpsilonCutoff,
  epsilonCutoffNoOp,
} from '../../harness/engine/decode/processors/epsilon-cutoff.ts';
import { createEtaCutoff, etaCutoffNoOp } from '../../harness/engine/decode/processors/eta-cutoff.ts';
import type { LogitsProcessor } from '../../harness/engine/decode/processors/logits-processor.ts';
import { createTypicalP, typicalPNoOp } from '../../harness/engine/decode/processors/typical-p.ts';
import { chiSquare, chiSquareCritical } from '../helpers/chi-square.ts';

/*
 * typical_p, epsilon_cutoff and eta_cutoff against Hugging Face's TypicalLogitsWarper,
 * EpsilonLogitsWarper and EtaLogitsWarper (transformers src/transformers/generation/logits_process.py):
 * hand-computed rows, naive full-sort twins on seeded random rows, and sampling frequencies.
 */

const NEG = Number.NEGATIVE_INFINITY;
const sequence = { ids: [], promptLength: 0 };

/** Logits whose softmax is exactly `probs` up to rounding (0 gives -Infinity). */
const logitsOf = (probs: readonly number[]) => Float64Array.from(probs, (p) => (p === 0 ? NEG : Math.log(p)));

/** Apply to a copy; return the surviving ids and check that survivors' scores are unchanged. */
function survivors(processor: LogitsProcessor, row: Float64Array | Float32Array): number[] {
  const out = row.slice();
  processor.apply(out, sequence);
  const kept: number[] = [];
  const changed: number[] = [];
  out.forEach((x, id) => {
    if (x === NEG) return;
    kept.push(id);
    if (!Object.is(x, row[id])) changed.push(id);
  });
  if (changed.length > 0) expect.fail(`survivors ${changed} changed their scores`);
  return kept;
}

// ---- hand-computed rows ----
// Row A: p = [0.05, 0.4, 0.25, 0.15, 0.1, 0.05] (ids 0 and 5 tied).
//   H = -Σ p ln p = 1.52749 nats. Surprisal -ln p and shifted |(-ln p) - H|:
//   id0 2.99573 → 1.46824   id1 0.91629 → 0.61120   id2 1.38629 → 0.14120
//   id3 1.89712 → 0.36963   id4 2.30259 → 0.77510   id5 2.99573 → 1.46824
//   ascending shifted, ties to the lower id: 2, 3, 1, 4, 0, 5; cumulative p: .25 .40 .80 .90 .95 1.0
const rowA = logitsOf([0.05, 0.4, 0.25, 0.15, 0.1, 0.05]);
// Row B: p = [0.5, 0, 0.3, 0, 0.2] (ids 1 and 3 filtered already, -Infinity).
//   H over the survivors (HF's nansum drops -inf · 0 = NaN) = 1.02965; exp(-H) = 0.35713.
//   shifted: id0 |0.69315 - H| = 0.33651, id2 |1.20397 - H| = 0.17432, id4 |1.60944 - H| = 0.57978
//   ascending: 2, 0, 4 (then the -inf ids 1, 3 with shifted +inf); cumulative .3 .8 1.0
const rowB = logitsOf([0.5, 0, 0.3, 0, 0.2]);
// Row C: p = [0.5, 0.2, 0.15, 0.1, 0.05]; H = 1.33307, exp(-H) = 0.26367.
const rowC = logitsOf([0.5, 0.2, 0.15, 0.1, 0.05]);
// Row D: p = [0.9, 0.05, 0.03, 0.02] (peaked); H = 0.42805, exp(-H) = 0.65178.
const rowD = logitsOf([0.9, 0.05, 0.03, 0.02]);
// Row T: logits [2, 1, 1, 0, -3], ids 1 and 2 tied; p ≈ [0.5325, 0.1959, 0.1959, 0.0721, 0.0036],
//   H = 1.18401, exp(-H) = 0.30605.
const rowT = Float64Array.from([2, 1, 1, 0, -3]);
// Row E: p = [0.5, 0.25, 0.125, 0.125], exact in float64 (exp(ln 0.5) = 0.5, exp(ln 0.25) = 0.25,
//   sum of weights 2), so a cumulative or a probability can sit exactly on the boundary.
//   H = 1.75 ln 2 = 1.21301; shifted: id0 0.75 ln 2 = 0.51986, id1 0.25 ln 2 = 0.17329,
//   ids 2 and 3 1.25 ln 2 = 0.86643; ascending 1, 0, 2, 3 with cumulative .25 .75 .875 1 (exact).
const rowE = Float64Array.from([0, Math.log(0.5), Math.log(0.25), Math.log(0.25)]);

describe('typical_p (HF TypicalLogitsWarper), by hand', () => {
  it('keeps the head of the shifted-score order whose mass reaches p; the argmax may go', () => {
    // p = 0.2: no cumulative < 0.2 → last = 0 → cut = shifted(id2) = 0.14120 → only id2.
    expect(survivors(createTypicalP(0.2), rowA)).toEqual([2]);
    // p = 0.3: one cumulative (.25) < 0.3 → last = 1 → cut = 0.36963 → ids 2, 3; id1 (p = 0.4) goes.
    expect(survivors(createTypicalP(0.3), rowA)).toEqual([2, 3]);
    // p = 0.85: .25 .40 .80 < 0.85 → last = 3 → cut = shifted(id4) = 0.77510 → 1, 2, 3, 4.
    expect(survivors(createTypicalP(0.85), rowA)).toEqual([1, 2, 3, 4]);
  });

  it('a cut on a tied shifted score keeps the whole tie (a value threshold, not a position)', () => {
    // p = 0.92: .25 .40 .80 .90 < 0.92 → last = 4 (id0) → cut = 1.46824, which id5 ties → all six.
    expect(survivors(createTypicalP(0.92), rowA)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('min_tokens_to_keep exempts the first positions of the shifted order, ties to the lower id', () => {
    // p = 0.2 keeps id2 alone; the first 3 positions are 2, 3, 1.
    expect(survivors(createTypicalP(0.2, 3), rowA)).toEqual([1, 2, 3]);
    // The first 5 positions are 2, 3, 1, 4 and then id0 of the tie {0, 5}: id5 goes.
    expect(survivors(createTypicalP(0.2, 5), rowA)).toEqual([0, 1, 2, 3, 4]);
    // So strict that only the exempt tokens survive: p = 0.01 → last = 0, plus the first 2.
    expect(survivors(createTypicalP(0.01, 2), rowA)).toEqual([2, 3]);
  });

  it('a cumulative exactly equal to p counts as reached (HF: cumulative < p)', () => {
    // p = 0.75: only .25 < 0.75 → last = 1 → cut 0.51986 → ids 0, 1 (cumulative .75 = p stops it).
    expect(survivors(createTypicalP(0.75), rowE)).toEqual([0, 1]);
    // p = 0.25: nothing < 0.25 → last = 0 → only id1.
    expect(survivors(createTypicalP(0.25), rowE)).toEqual([1]);
  });

  it('-Infinity entries: entropy of the survivors only, and they stay -Infinity', () => {
    // p = 0.5: .3 < 0.5 → last = 1 (id0) → cut = 0.33651 → ids 0, 2; id4 goes.
    expect(survivors(createTypicalP(0.5), rowB)).toEqual([0, 2]);
    // p = 0.2 → only id2; min_tokens_to_keep 4 exempts 2, 0, 4 and the -inf id1: all three finite.
    expect(survivors(createTypicalP(0.2), rowB)).toEqual([2]);
    expect(survivors(createTypicalP(0.2, 4), rowB)).toEqual([0, 2, 4]);
  });

  it('equal scores are ranked by id; a row with every score tied is kept whole', () => {
    // All four tied: H = ln 4, every shifted score 0 → the cut 0 keeps them all for any p.
    expect(survivors(createTypicalP(0.1), Float64Array.from([3, 3, 3, 3]))).toEqual([0, 1, 2, 3]);
    // Row T: H = 1.18401; shifted: id0 0.55389, ids 1 and 2 0.44611 (tied), id3 1.44611,
    // id4 4.44611; ascending 1, 2, 0, 3, 4 with cumulative .1959 .3918 .9243 …
    // p = 0.01 → last = 0 → cut 0.44611 keeps both tied ids (and drops the argmax id0).
    expect(survivors(createTypicalP(0.01), rowT)).toEqual([1, 2]);
    // p = 0.5 → .1959, .3918 < 0.5 → last = 2 → cut 0.55389 → 0, 1, 2.
    expect(survivors(createTypicalP(0.5), rowT)).toEqual([0, 1, 2]);
  });

  it('the no-op value 1 leaves the row untouched; an all -Infinity row is left alone', () => {
    expect(typicalPNoOp).toBe(1);
    expect(survivors(createTypicalP(typicalPNoOp), rowA)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(survivors(createTypicalP(0.5), Float64Array.from([NEG, NEG]))).toEqual([]);
  });
});

describe('epsilon_cutoff (HF EpsilonLogitsWarper), by hand', () => {
  it('filters p < epsilon', () => {
    // Row C, epsilon 0.12: 0.5, 0.2, 0.15 ≥ 0.12 stay; 0.1 and 0.05 go.
    expect(survivors(createEpsilonCutoff(0.12), rowC)).toEqual([0, 1, 2]);
    // Row T, epsilon 0.1: 0.5325, 0.1959, 0.1959 stay.
    expect(survivors(createEpsilonCutoff(0.1), rowT)).toEqual([0, 1, 2]);
  });

  it('a probability exactly equal to epsilon stays (HF: p < epsilon)', () => {
    // Row E: 0.125 is not < 0.125, so all four stay; at 0.25 the two 0.125s go and 0.25 stays.
    expect(survivors(createEpsilonCutoff(0.125), rowE)).toEqual([0, 1, 2, 3]);
    expect(survivors(createEpsilonCutoff(0.25), rowE)).toEqual([0, 1]);
  });

  it('so strict that only the top min_tokens_to_keep by score survive, every tie with the k-th too', () => {
    expect(survivors(createEpsilonCutoff(0.99), rowC)).toEqual([0]);
    expect(survivors(createEpsilonCutoff(0.99, 2), rowC)).toEqual([0, 1]);
    // Row T, k = 2: the 2nd best score is 1, tied by ids 1 and 2 → HF's `score < kth` keeps both.
    expect(survivors(createEpsilonCutoff(0.9, 2), rowT)).toEqual([0, 1, 2]);
  });

  it('-Infinity entries: probabilities of the survivors; a k past them keeps every finite token', () => {
    // Row B, epsilon 0.25: 0.5 and 0.3 stay, 0.2 goes.
    expect(survivors(createEpsilonCutoff(0.25), rowB)).toEqual([0, 2]);
    // k = 4: the 4th best score is -inf and nothing is below it.
    expect(survivors(createEpsilonCutoff(0.99, 4), rowB)).toEqual([0, 2, 4]);
  });

  it('the no-op value 0 leaves the row untouched', () => {
    expect(epsilonCutoffNoOp).toBe(0);
    expect(survivors(createEpsilonCutoff(epsilonCutoffNoOp), rowC)).toEqual([0, 1, 2, 3, 4]);
    expect(survivors(createEpsilonCutoff(0.5), Float64Array.from([NEG, NEG]))).toEqual([]);
  });
});

describe('eta_cutoff (HF EtaLogitsWarper), by hand', () => {
  it('eta = min(epsilon, sqrt(epsilon) · exp(-H)): a flat row lowers the cutoff below epsilon', () => {
    // Row C, epsilon 0.12: sqrt(0.12) · 0.26367 = 0.09134 < 0.12 → eta = 0.09134: ids 0..3 stay
    // (0.1 ≥ eta), only 0.05 goes. (epsilon_cutoff 0.12 drops id3 too; the docstring's
    // sqrt(0.12 · 0.26367) = 0.1779 would drop ids 2 and 3.)
    expect(survivors(createEtaCutoff(0.12), rowC)).toEqual([0, 1, 2, 3]);
  });

  it('a peaked row raises it up to epsilon, no further', () => {
    // Row D, epsilon 0.04: sqrt(0.04) · 0.65178 = 0.13036 > 0.04 → eta = 0.04: 0.9 and 0.05 stay.
    expect(survivors(createEtaCutoff(0.04), rowD)).toEqual([0, 1]);
  });

  it('so strict that only the top min_tokens_to_keep survive', () => {
    // Row D, epsilon 0.99: eta = min(0.99, 0.99499 · 0.65178 = 0.64852) → only 0.9 stays.
    expect(survivors(createEtaCutoff(0.99), rowD)).toEqual([0]);
    expect(survivors(createEtaCutoff(0.99, 3), rowD)).toEqual([0, 1, 2]);
    // Row T: eta = min(0.9, 0.94868 · exp(-1.18401) = 0.29034): only id0 (0.5325) is above it;
    // k = 2 keeps the 2nd best score, 1, and so both tied ids 1 and 2.
    expect(survivors(createEtaCutoff(0.9, 2), rowT)).toEqual([0, 1, 2]);
  });

  it('-Infinity entries: entropy of the survivors only', () => {
    // Row B, epsilon 0.5: sqrt(0.5) · 0.35713 = 0.25253 → 0.5 and 0.3 stay, 0.2 goes.
    expect(survivors(createEtaCutoff(0.5), rowB)).toEqual([0, 2]);
  });

  it('the no-op value 0 leaves the row untouched', () => {
    expect(etaCutoffNoOp).toBe(0);
    expect(survivors(createEtaCutoff(etaCutoffNoOp), rowC)).toEqual([0, 1, 2, 3, 4]);
    expect(survivors(createEtaCutoff(0.5), Float64Array.from([NEG, NEG]))).toEqual([]);
  });
});

describe('invalid values are refused with the flag, the value and the fix', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'typical_p 0',
      () => createTypicalP(0),
      /^--typical-p 0 must be in \(0, 1\]; use e\.g\. --typical-p 0\.9/,
    ],
    ['typical_p -0.5', () => createTypicalP(-0.5), /^--typical-p -0\.5 must be in \(0, 1\]/],
    ['typical_p 1.5', () => createTypicalP(1.5), /^--typical-p 1\.5 must be in \(0, 1\]/],
    ['typical_p NaN', () => createTypicalP(Number.NaN), /^--typical-p NaN must be in/],
    ['epsilon 1', () => createEpsilonCutoff(1), /^--epsilon-cutoff 1 must be in \[0, 1\); use e\.g\./],
    ['epsilon -0.1', () => createEpsilonCutoff(-0.1), /^--epsilon-cutoff -0\.1 must be in \[0, 1\)/],
    ['epsilon NaN', () => createEpsilonCutoff(Number.NaN), /^--epsilon-cutoff NaN must be in/],
    ['eta 1', () => createEtaCutoff(1), /^--eta-cutoff 1 must be in \[0, 1\); use e\.g\./],
    ['eta 2', () => createEtaCutoff(2), /^--eta-cutoff 2 must be in \[0, 1\)/],
    ['eta -1e-9', () => createEtaCutoff(-1e-9), /^--eta-cutoff -1e-9 must be in/],
    ['typical min_tokens_to_keep 0', () => createTypicalP(0.5, 0), /min_tokens_to_keep 0 must be/],
    ['epsilon min_tokens_to_keep 1.5', () => createEpsilonCutoff(0.1, 1.5), /min_tokens_to_keep 1\.5/],
    ['eta min_tokens_to_keep -1', () => createEtaCutoff(0.1, -1), /min_tokens_to_keep -1 must be/],
  ];
  it.each(cases)('%s', (_name, create, message) => {
    expect(create).toThrow(UsageError);
    expect(create).toThrow(message);
  });

  it('the edges that are allowed', () => {
    expect(() => createTypicalP(1)).not.toThrow();
    expect(() => createTypicalP(1e-12)).not.toThrow();
    expect(() => createEpsilonCutoff(0)).not.toThrow();
    expect(() => createEpsilonCutoff(1 - 2 ** -53)).not.toThrow();
    expect(() => createEtaCutoff(0)).not.toThrow();
  });
});

// ---- naive twins: HF's code step by step, full sorts with an explicit id tiebreak, float64 ----
const logSoftmax = (x: readonly number[]) => {
  const max = Math.max(...x);
  const logZ = max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0));
  return x.map((v) => v - logZ);
};
const softmax = (x: readonly number[]) => {
  const max = Math.max(...x);
  const w = x.map((v) => Math.exp(v - max));
  const z = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / z);
};
const nansum = (x: readonly number[]) => x.reduce((s, v) => (Number.isNaN(v) ? s : s + v), 0);
const keptIds = (x: readonly number[], remove: readonly boolean[]) =>
  x.flatMap((v, i) => (remove[i] || v === NEG ? [] : [i]));

function naiveTypical(x: readonly number[], mass: number, minTokensToKeep: number): number[] {
  const normalized = logSoftmax(x);
  const p = normalized.map(Math.exp);
  const ent = -nansum(normalized.map((l, i) => l * p[i]!));
  const shifted = normalized.map((l) => Math.abs(-l - ent));
  // Ascending, ties to the lower id; Infinity - Infinity is NaN: two -inf tokens compare by id.
  const sortedIndices = [...x.keys()].sort((a, b) => {
    const d = shifted[a]! - shifted[b]!;
    return Number.isNaN(d) || d === 0 ? a - b : d;
  });
  const sortedScores = sortedIndices.map((i) => shifted[i]!);
  const sortedProbs = softmax(sortedIndices.map((i) => x[i]!));
  let cumulative = 0;
  let lastInd = 0;
  for (const q of sortedProbs) {
    cumulative += q;
    if (cumulative < mass) lastInd++;
  }
  lastInd = Math.min(lastInd, x.length - 1);
  const sortedRemove = sortedScores.map((s) => s > sortedScores[lastInd]!);
  for (let r = 0; r < Math.min(minTokensToKeep, x.length); r++) sortedRemove[r] = false;
  const remove = new Array<boolean>(x.length).fill(false);
  sortedIndices.forEach((id, r) => {
    remove[id] = sortedRemove[r]!;
  });
  return keptIds(x, remove);
}

function naiveCut(x: readonly number[], cutoff: number, minTokensToKeep: number): number[] {
  const probabilities = softmax(x);
  const k = Math.min(minTokensToKeep, x.length);
  const kth = [...x].sort((a, b) => b - a)[k - 1]!;
  return keptIds(
    x,
    x.map((v, i) => probabilities[i]! < cutoff && v < kth),
  );
}
const naiveEpsilon = naiveCut;
function naiveEta(x: readonly number[], epsilon: number, minTokensToKeep: number): number[] {
  // torch.distributions.Categorical(logits).entropy(): logits clamped to the lowest finite value.
  const logits = logSoftmax(x).map((l) => Math.max(l, -Number.MAX_VALUE));
  const probs = softmax(x);
  const entropy = -logits.reduce((s, l, i) => s + l * probs[i]!, 0);
  return naiveCut(x, Math.min(epsilon, Math.sqrt(epsilon) * Math.exp(-entropy)), minTokensToKeep);
}

/** Seeded rows: Gaussian logits, some rounded to a coarse grid (ties), some with -Infinity entries. */
function randomRows(count: number): { row: number[]; kind: string }[] {
  const random = seedrandom('entropy-warpers', { global: false });
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: { row: number[]; kind: string }[] = [];
  for (let r = 0; r < count; r++) {
    const n = 2 + Math.floor(random() * 40);
    const scale = [0.3, 1, 2.5, 6][r % 4]!;
    let row = Array.from({ length: n }, () => scale * gaussian());
    const kind = ['plain', 'ties', 'neg-inf', 'ties+neg-inf'][Math.floor(r / 4) % 4]!;
    if (kind.includes('ties')) row = row.map((v) => Math.round(v * 2) / 2);
    if (kind.includes('neg-inf')) row = row.map((v, i) => (i > 0 && random() < 0.3 ? NEG : v));
    rows.push({ row, kind });
  }
  return rows;
}

describe('agree with naive twins of HF on seeded random rows', () => {
  const rows = randomRows(160);
  const sweeps: {
    name: string;
    values: number[];
    create: (v: number, k: number) => LogitsProcessor;
    naive: (x: readonly number[], v: number, k: number) => number[];
  }[] = [
    {
      name: 'typical_p',
      values: [1e-6, 0.05, 0.2, 0.5, 0.7, 0.9, 0.95, 0.999],
      create: createTypicalP,
      naive: naiveTypical,
    },
    {
      name: 'epsilon_cutoff',
      values: [1e-4, 3e-4, 0.003, 0.01, 0.05, 0.1, 0.3, 0.9],
      create: createEpsilonCutoff,
      naive: naiveEpsilon,
    },
    {
      name: 'eta_cutoff',
      values: [1e-4, 4e-3, 0.01, 0.05, 0.1, 0.3, 0.6, 0.95],
      create: createEtaCutoff,
      naive: naiveEta,
    },
  ];
  it.each(sweeps)('$name', ({ values, create, naive }) => {
    let filtered = 0;
    let compared = 0;
    for (const { row, kind } of rows) {
      for (const value of values) {
        for (const k of [1, 2, 3, 7]) {
          const expected = naive(row, value, k);
          const got = survivors(create(value, k), Float64Array.from(row));
          if (got.join() !== expected.join()) {
            expect(got, `${kind} row [${row}], value ${value}, k ${k}`).toEqual(expected);
          }
          // The float32 mode reads float32 values and writes only -Infinity.
          const row32 = Float32Array.from(row);
          const got32 = survivors(create(value, k), row32);
          const expected32 = naive(Array.from(row32), value, k);
          if (got32.join() !== expected32.join()) {
            expect(got32, `float32 ${kind} row [${row32}], value ${value}, k ${k}`).toEqual(expected32);
          }
          filtered += row.filter((v) => v !== NEG).length - expected.length;
          compared++;
        }
      }
    }
    expect(compared).toBe(rows.length * values.length * 4);
    expect(filtered).toBeGreaterThan(1000); // the sweep filters plenty, not only no-ops
  });
});

// ---- sampling: processor + seeded coins + inverse-CDF against the renormalised kept set ----
const DRAWS = 100_000;
const VOCAB = 50;
function syntheticRow(): Float64Array {
  const rng = createRng({ seed: 4242 });
  return Float64Array.from({ length: VOCAB }, () => {
    const gaussian = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return 1.3 * gaussian;
  });
}
const raw = Array.from(syntheticRow());
const renormalised = (kept: readonly number[]) => {
  const p = softmax(raw);
  const z = kept.reduce((s, id) => s + p[id]!, 0);
  return raw.map((_, id) => (kept.includes(id) ? p[id]! / z : 0));
};
const samplingConfigs = [
  {
    name: 'typical_p 0.7',
    processor: createTypicalP(0.7),
    analytic: renormalised(naiveTypical(raw, 0.7, 1)),
  },
  {
    name: 'epsilon_cutoff 0.015',
    processor: createEpsilonCutoff(0.015),
    analytic: renormalised(naiveEpsilon(raw, 0.015, 1)),
  },
  { name: 'eta_cutoff 0.1', processor: createEtaCutoff(0.1), analytic: renormalised(naiveEta(raw, 0.1, 1)) },
];

describe('sampled frequencies after each warper match the renormalised kept set (chi-square, fixed seed)', () => {
  it.each(samplingConfigs)('$name', ({ processor, analytic }) => {
    const row = Float64Array.from(raw);
    processor.apply(row, sequence);
    expect(Array.from(row, (x) => x !== NEG)).toEqual(analytic.map((p) => p > 0));
    const keptCount = analytic.filter((p) => p > 0).length;
    expect(keptCount).toBeGreaterThanOrEqual(6); // df ≥ 5 below
    expect(keptCount).toBeLessThan(VOCAB - 5); // and something to never draw

    // Exact: each survivor's coin interval is as wide as its renormalised probability.
    let coin = 0;
    for (let seen = 0; seen < keptCount; seen++) {
      const { id, cdfLow, cdfHigh } = inverseCdfChoice(row, coin);
      expect((cdfHigh - cdfLow) / analytic[id]!).toBeCloseTo(1, 9);
      coin = Math.min(cdfHigh, 1 - 2 ** -53);
    }

    const rng = createRng({ seed: 20240602 });
    const counts = new Float64Array(VOCAB);
    for (let n = 0; n < DRAWS; n++) counts[inverseCdfChoice(row, rng.next()).id]!++;
    analytic.forEach((p, id) => {
      if (p === 0) expect(counts[id], `filtered token ${id} was sampled`).toBe(0);
    });
    const { statistic, df } = chiSquare(counts, analytic);
    expect(df).toBeGreaterThanOrEqual(5);
    expect(statistic, `chi-square ${statistic.toFixed(1)} on ${df} df`).toBeLessThan(chiSquareCritical(df));
  });
});
