import type { BackendInfo } from '../../core/backend/contract.ts';
import type { MachineRecord } from '../../core/machine.ts';
import type {
  BackendAgreement,
  GreedyAgreement as CompareGreedy,
} from '../../engine/compare/compare-record.ts';
import type { ConformanceResult } from '../../engine/conformance/run-conformance.ts';
import type { GoldenSummary } from '../../engine/golden/model-goldens.ts';
import type { ModelIdentity } from '../../engine/model/model-identity.ts';

export const MAIN_JOB_SCHEMA = 'decode-harness/main-job@2';

/** What the main job was asked to run. */
export interface MainJobOptions {
  /** Backend ids to run, in report order. */
  readonly backends: readonly string[];
  /** Backends that must be available and pass; any other outcome fails the job. */
  readonly required: readonly string[];
  /** Every golden case on software adapters too (otherwise the representative subset). */
  readonly full: boolean;
}

/**
 * The backend's greedy continuations against the reference's, from compare (teacher-forced
 * per-step metrics plus the free-running divergence with its near-tie label).
 */
export interface GreedyAgreement {
  /** Greedy budget per prompt (shorter on software adapters). */
  readonly newTokens: number;
  readonly comparison: BackendAgreement<CompareGreedy>;
}

/** A short greedy run after a warm-up: a smoke figure, not a benchmark. */
export type QuickTiming =
  | {
      readonly status: 'measured';
      readonly promptTokens: number;
      readonly newTokens: number;
      readonly prefillMs: number;
      readonly decodeTokensPerSec: number;
    }
  | { readonly status: 'not-meaningful'; readonly reason: string };

export type BackendOutcome =
  | {
      readonly id: string;
      readonly required: boolean;
      readonly status: 'unavailable';
      readonly reason: string;
      readonly fix: string;
    }
  | { readonly id: string; readonly required: boolean; readonly status: 'error'; readonly error: string }
  | {
      readonly id: string;
      readonly required: boolean;
      readonly status: 'ran';
      readonly info: BackendInfo;
      readonly conformance: ConformanceResult;
      /** Null for the reference itself. */
      readonly greedy: GreedyAgreement | null;
      /** The model's committed golden suite on this backend (all, or the software-adapter subset). */
      readonly goldens: GoldenSummary;
      readonly timing: QuickTiming;
      /** Wall time of this backend's stages, creation to timing. */
      readonly ms: number;
    };

export interface MainJobCounts {
  readonly ran: number;
  readonly passed: number;
  readonly failed: number;
  readonly unavailable: number;
  /** Required backends that were unavailable or did not pass. */
  readonly requiredNotPassed: number;
}

export interface MainJobRecord {
  readonly schema: typeof MAIN_JOB_SCHEMA;
  readonly createdAt: string;
  /** The whole job, model loading included. */
  readonly wallMs: number;
  readonly machine: MachineRecord;
  readonly model: { readonly name: string; readonly path: string; readonly graph: ModelIdentity['graph'] };
  readonly referenceId: string;
  /** Why this reference, in one sentence (registry.ts referenceChoice). */
  readonly referenceChoice: string;
  readonly options: MainJobOptions;
  readonly backends: readonly BackendOutcome[];
  readonly counts: MainJobCounts;
  /**
   * Every backend that ran passed conformance, matched the reference's greedy tokens (a labelled
   * near-tie counts as a match) and passed its goldens, and every required backend ran.
   */
  readonly passed: boolean;
}

export function backendPassed(outcome: BackendOutcome): boolean {
  if (outcome.status !== 'ran') return false;
  const { goldens, greedy } = outcome;
  const goldensPassed =
    goldens.status === 'none' || (goldens.status === 'checked' && goldens.passed === goldens.cases);
  return outcome.conformance.passed && greedyAgreed(greedy) && goldensPassed;
}

/**
 * Greedy agreement holds when compare's gates pass and every continuation equals the reference's
 * or parts from it at a near-tie (a flip float noise explains, labelled with its margin).
 */
export function greedyAgreed(greedy: GreedyAgreement | null): boolean {
  if (greedy === null) return true;
  const { comparison } = greedy;
  return comparison.passed && comparison.greedy.divergences.every((d) => d.label === 'near-tie');
}

export function mainJobCounts(backends: readonly BackendOutcome[]): MainJobCounts {
  const ran = backends.filter((b) => b.status !== 'unavailable');
  const passed = ran.filter(backendPassed).length;
  return {
    ran: ran.length,
    passed,
    failed: ran.length - passed,
    unavailable: backends.length - ran.length,
    requiredNotPassed: backends.filter((b) => b.required && !backendPassed(b)).length,
  };
}
