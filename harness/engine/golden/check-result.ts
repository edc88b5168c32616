import type { BackendInfo } from '../../core/backend/contract.ts';

/** The `check --json` object's tag. */
export const CHECK_SCHEMA = 'decode-harness/check@1';

/** A place in a golden: `steps[step]` of `sequences[sequence]` (both 0-based). */
export interface StepPosition {
  readonly sequence: number;
  readonly step: number;
}

/**
 * A token flip that float noise explains: `near-tie` (greedy / beam: the golden's decision margin
 * was within tolerance) or `cdf-boundary` (sampling: the coin fell within tolerance of an edge of the
 * chosen token's CDF interval).
 */
export type MismatchLabel = 'near-tie' | 'cdf-boundary';

export interface TokenMismatch {
  readonly at: StepPosition;
  /** Token ids at `at`; null where that run's sequence had already ended. */
  readonly golden: number | null;
  readonly ours: number | null;
  /** null: not explained by float noise (the case fails). */
  readonly label: MismatchLabel | null;
  /** The golden's margin for the decision that flipped (null: it had no alternative) and its tolerance. */
  readonly margin: number | null;
  readonly tolerance: number;
  /** Which decision the margin belongs to, e.g. `step 5 top-2 gap`. */
  readonly marginAt: string;
}

export interface CaseOutcome {
  readonly case: string;
  readonly file: string;
  readonly backend: string;
  readonly passed: boolean;
  /** First place where the free-running tokens differ from the golden; null when identical. */
  readonly mismatch: TokenMismatch | null;
  /** Largest teacher-forced |Δlogprob| along the golden path (chosen and top-k tokens), nats. */
  readonly maxLogprobDeviation: number;
  readonly deviationAt: StepPosition | null;
  readonly logprobTolerance: number;
  /** One line per failed rule, naming the step; empty when the case passed. */
  readonly failures: readonly string[];
  readonly ms: number;
}

export interface BackendCheck {
  readonly backend: BackendInfo;
  readonly cases: readonly CaseOutcome[];
  readonly passed: boolean;
  readonly ms: number;
}

export interface CheckReport {
  readonly schema: typeof CHECK_SCHEMA;
  readonly model: { readonly name: string; readonly path: string; readonly sha256: string };
  readonly goldenDir: string;
  readonly backends: readonly BackendCheck[];
  readonly passed: boolean;
}
