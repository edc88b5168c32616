import { type BackendInfo, type LogitsSource, toleranceDtypeOf } from '../../core/backend/contract.ts';
import { type CheckOutcome, CONFORMANCE_CHECKS } from './checks.ts';
import { conformanceTolerance } from './tolerances.ts';

export interface ConformanceResult {
  readonly backend: BackendInfo;
  readonly passed: boolean;
  readonly checks: readonly CheckOutcome[];
}

/**
 * Run the whole suite on `source` against `reference` (the ts:f64 backend), with the tolerance of
 * its dtype at the model's depth (`layers`: conformanceTolerance). A check that throws
 * fails with the error's message rather than aborting the suite, so one report shows every problem.
 */
export async function runConformance(
  source: LogitsSource,
  reference: LogitsSource,
  prompts: readonly (readonly number[])[],
  layers: number,
): Promise<ConformanceResult> {
  const tolerance = conformanceTolerance(toleranceDtypeOf(source.info), layers);
  const checks: CheckOutcome[] = [];
  for (const check of CONFORMANCE_CHECKS) {
    try {
      checks.push(await check.run({ source, reference, prompts, tolerance }));
    } catch (error) {
      checks.push({
        name: check.name,
        passed: false,
        maxAbsLogitDiff: Number.POSITIVE_INFINITY,
        tolerance,
        detail: `threw: ${error instanceof Error ? error.message : String(error)}`,
      });
    } finally {
      source.reset();
      if (reference !== source) reference.reset();
    }
  }
  return { backend: source.info, passed: checks.every((c) => c.passed), checks };
}
