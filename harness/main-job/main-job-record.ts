import type { BackendInfo } from '../backend/contract.ts';
import type { MachineRecord } from '../bench/machine.ts';
import type { ConformanceResult } from '../conformance/run-conformance.ts';
import type { GoldenSummary } from '../golden/model-goldens.ts';

export const MAIN_JOB_SCHEMA = 'decode-harness/main-job@1';

/** Greedy continuations of the fixture prompts compared with the reference backend's. */
export interface GreedyAgreement {
  readonly prompts: number;
  readonly identical: number;
  /** First prompt whose continuation differs, if any. */
  readonly firstMismatch: {
    readonly prompt: number;
    readonly position: number;
    readonly ours: number;
    readonly reference: number;
    /** Reference's top-1 minus top-2 logprob at that step, nats: small means a near-tie. */
    readonly referenceMargin: number;
  } | null;
}

/** A single short greedy run after a warm-up: a smoke figure, not a benchmark. */
export interface QuickTiming {
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly prefillMs: number;
  readonly decodeTokensPerSec: number;
}

export type BackendOutcome =
  | { readonly id: string; readonly status: 'unavailable'; readonly reason: string; readonly fix: string }
  | { readonly id: string; readonly status: 'error'; readonly error: string }
  | {
      readonly id: string;
      readonly status: 'ran';
      readonly info: BackendInfo;
      readonly conformance: ConformanceResult;
      readonly greedy: GreedyAgreement;
      readonly timing: QuickTiming;
      /** The model's committed golden suite on this backend (as `decode-harness check` runs it). */
      readonly goldens: GoldenSummary;
    };

export interface MainJobRecord {
  readonly schema: typeof MAIN_JOB_SCHEMA;
  readonly createdAt: string;
  readonly machine: MachineRecord;
  readonly model: { readonly name: string; readonly path: string };
  readonly referenceId: string;
  readonly backends: readonly BackendOutcome[];
  /**
   * True when every backend that ran passed conformance, matched the reference's greedy tokens and
   * passed the committed goldens (a model without goldens is noted, not failed).
   */
  readonly passed: boolean;
}

export function backendPassed(outcome: BackendOutcome): boolean {
  if (outcome.status === 'unavailable') return true;
  if (outcome.status === 'error') return false;
  const goldens = outcome.goldens;
  const goldensPassed =
    goldens.status === 'none' || (goldens.status === 'checked' && goldens.passed === goldens.cases);
  return outcome.conformance.passed && outcome.greedy.identical === outcome.greedy.prompts && goldensPassed;
}
