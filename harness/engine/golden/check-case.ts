import { type ComputeDtype, type LogitsSource, toleranceDtypeOf } from '../../core/backend/contract.ts';
import { decode } from '../decode/decode.ts';
import type { DecodeResult } from '../decode/decode-result.ts';
import type { TextOf } from '../decode/stopping.ts';
import type { CaseOutcome, StepPosition, TokenMismatch } from './check-result.ts';
import type { GoldenFile } from './golden-dir.ts';
import type { Golden } from './golden-schema.ts';
import { labelMismatch } from './mismatch-label.ts';
import { type LogprobDeviation, teacherForcedDeviation } from './teacher-forced-deviation.ts';

const fmt = (x: number) => x.toExponential(2);
const where = (at: StepPosition, golden: Golden) =>
  golden.expected.sequences.length > 1 ? `sequence ${at.sequence} step ${at.step}` : `step ${at.step}`;

/** Why a flip is not float noise, in the golden's own terms. */
function unexplained({ margin, tolerance, marginAt }: TokenMismatch): string {
  if (margin === null) return `the golden recorded no alternative (${marginAt})`;
  if (margin > tolerance) return `golden margin ${fmt(margin)} (${marginAt}) > tolerance ${fmt(tolerance)}`;
  return `golden margin ${fmt(margin)} is within tolerance but ${marginAt}`;
}

/** First (sequence, step) where the free-running tokens differ, including one run ending early. */
function firstMismatch(
  golden: Golden,
  result: DecodeResult,
): Omit<TokenMismatch, 'label' | 'margin' | 'tolerance' | 'marginAt'> | null {
  const count = Math.max(golden.expected.sequences.length, result.sequences.length);
  for (let s = 0; s < count; s++) {
    const expected = golden.expected.sequences[s]?.tokenIds ?? [];
    const actual = result.sequences[s]?.tokenIds ?? [];
    for (let n = 0; n < Math.max(expected.length, actual.length); n++) {
      if (expected[n] !== actual[n])
        return { at: { sequence: s, step: n }, golden: expected[n] ?? null, ours: actual[n] ?? null };
    }
  }
  return null;
}

/**
 * Check one golden on one backend, HF's generation-test rule: the free-running tokens are identical,
 * or they part at a decision the golden recorded as within float noise of flipping (a labelled
 * near-tie or cdf-boundary). Independently, the teacher-forced logprobs along the golden path must
 * be within tolerance at every step. Also exact: the coins (the RNG is the host's, not the backend's);
 * and, while the tokens agree, beam scores and CDF intervals within tolerance.
 */
export async function checkCase(
  source: LogitsSource,
  { file, golden }: GoldenFile,
  textOf?: TextOf,
): Promise<CaseOutcome> {
  const t0 = performance.now();
  const dtype = toleranceDtypeOf(source.info);
  const failures: string[] = [];
  let mismatch: TokenMismatch | null = null;
  try {
    const result = await decode(source, golden.prompt.ids, golden.config, {
      recordTopK: 1,
      ...(textOf ? { textOf } : {}),
    });
    const first = firstMismatch(golden, result);
    if (first) {
      const ours = result.sequences[first.at.sequence]?.steps[first.at.step];
      mismatch = { ...first, ...labelMismatch(golden, dtype, first.at, ours) };
      if (mismatch.label === null) {
        failures.push(
          `${where(first.at, golden)}: token ${first.ours ?? '(ended)'}, golden ${first.golden ?? '(ended)'}; ` +
            `${unexplained(mismatch)}: not float noise`,
        );
      }
    }
    failures.push(...coinFailures(golden, result, first?.at.step ?? Number.POSITIVE_INFINITY));
    if (!first) failures.push(...pathFailures(golden, result, dtype));
  } catch (error) {
    failures.push(`decoding failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const tolerance = golden.tolerances.logprobAbs[dtype];
  let deviation: LogprobDeviation = { max: Number.POSITIVE_INFINITY, worst: null, firstOver: null };
  try {
    deviation = await teacherForcedDeviation(source, golden, tolerance);
    const { firstOver, worst } = deviation;
    if (firstOver && worst) {
      const worstNote =
        worst === firstOver ? '' : `; worst |Δ| ${fmt(worst.value)} at ${where(worst.at, golden)}`;
      failures.push(
        `${where(firstOver.at, golden)}: teacher-forced ${firstOver.detail} (|Δ| ${fmt(firstOver.value)} > tolerance ${fmt(tolerance)})${worstNote}`,
      );
    }
  } catch (error) {
    failures.push(`teacher-forced run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    case: golden.id,
    file,
    backend: source.info.id,
    passed: failures.length === 0,
    mismatch,
    maxLogprobDeviation: deviation.max,
    deviationAt: deviation.worst?.at ?? null,
    logprobTolerance: tolerance,
    failures,
    ms: performance.now() - t0,
  };
}

/** Coins are drawn on the host from (rng, seed): any difference before the tokens part is an RNG fault. */
function coinFailures(golden: Golden, result: DecodeResult, throughStep: number): string[] {
  for (const [s, sequence] of golden.expected.sequences.entries()) {
    for (const [n, step] of sequence.steps.entries()) {
      const coin = result.sequences[s]?.steps[n]?.coin;
      if (n > throughStep || step.coin === undefined || coin === undefined || coin === step.coin) continue;
      return [
        `${where({ sequence: s, step: n }, golden)}: coin ${coin}, golden ${step.coin}: the ${golden.config.rng} ` +
          `stream for seed ${golden.config.seed} differs (an RNG or seedrandom change, not float noise)`,
      ];
    }
  }
  return [];
}

/** With identical tokens: beam scores and sampled CDF intervals must agree within tolerance. */
function pathFailures(golden: Golden, result: DecodeResult, dtype: ComputeDtype): string[] {
  const failures: string[] = [];
  const perStep = golden.tolerances.logprobAbs[dtype];
  const cdfTolerance = golden.tolerances.cdfBoundary[dtype];
  for (const [s, sequence] of golden.expected.sequences.entries()) {
    const ours = result.sequences[s]!;
    if (sequence.score !== undefined && ours.score !== undefined) {
      // A sum of n processed logprobs, each within 2·perStep (penalties can double an error), over n^lp.
      const n = sequence.tokenIds.length;
      const tolerance = (2 * perStep * n) / n ** golden.config.length_penalty;
      if (!(Math.abs(ours.score - sequence.score) <= tolerance)) {
        failures.push(
          `sequence ${s}: beam score ${ours.score}, golden ${sequence.score} (|Δ| > tolerance ${fmt(tolerance)})`,
        );
      }
    }
    for (const [n, step] of sequence.steps.entries()) {
      const cdf = ours.steps[n]?.cdf;
      if (step.cdf === undefined || cdf === undefined) continue;
      const off = Math.max(Math.abs(cdf[0] - step.cdf[0]), Math.abs(cdf[1] - step.cdf[1]));
      if (!(off <= cdfTolerance)) {
        failures.push(
          `${where({ sequence: s, step: n }, golden)}: CDF interval [${cdf[0]}, ${cdf[1]}), golden [${step.cdf[0]}, ${step.cdf[1]}) (off by ${fmt(off)} > tolerance ${fmt(cdfTolerance)})`,
        );
        break;
      }
    }
  }
  return failures;
}
