import { existsSync } from 'node:fs';
import { HarnessError } from '../../core/errors.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import type { TextOf } from '../decode/stopping.ts';
import type { FileIdentity } from '../model/model-identity.ts';
import { graphFlags } from '../model/select-graph.ts';
import type { BackendCheck } from './check-result.ts';
import { defaultGoldenDir, type GoldenFile, readGoldenDir } from './golden-dir.ts';
import { assertGoldensMatchModel, textOfFor } from './run-check.ts';
import type { GoldenSelection } from './software-adapter-subset.ts';

/** A model's committed goldens, ready to check, or why there are none to check. */
export type ModelGoldens =
  | {
      readonly status: 'ready';
      readonly dir: string;
      readonly goldens: readonly GoldenFile[];
      readonly textOf?: TextOf;
    }
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'unusable'; readonly reason: string };

/**
 * The goldens in fixtures/golden/<model name>/ for a job that checks every backend (the main job):
 * none committed is a note, not a failure; goldens that do not load or belong to other weights are
 * unusable, which fails the job with the reason (re-record).
 */
export async function loadModelGoldens(model: ModelDir, identity: FileIdentity): Promise<ModelGoldens> {
  const dir = defaultGoldenDir(model.name, model.graph);
  if (!existsSync(dir)) {
    return {
      status: 'none',
      reason: `no goldens in ${dir}; record them with \`decode-harness record --model ${model.name}${graphFlags(model.graph)}\``,
    };
  }
  try {
    const goldens = readGoldenDir(dir, model.name);
    assertGoldensMatchModel(goldens, identity, model.name);
    const textOf = await textOfFor(model, goldens);
    return { status: 'ready', dir, goldens, ...(textOf ? { textOf } : {}) };
  } catch (error) {
    if (!(error instanceof HarnessError)) throw error;
    return { status: 'unusable', reason: error.message };
  }
}

/** What the main job's report keeps of one backend's golden check. */
export type GoldenSummary =
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'unusable'; readonly reason: string }
  | {
      readonly status: 'checked';
      readonly cases: number;
      readonly passed: number;
      /** Cases that passed with a labelled flip (near-tie, cdf-boundary). */
      readonly labelled: number;
      readonly maxLogprobDeviation: number;
      /** `<case>: <failure>` lines. */
      readonly failures: readonly string[];
      readonly ms: number;
      /** Cases of the model's suite that were not run on this backend, and why (null: none). */
      readonly skipped: readonly string[];
      readonly skippedReason: string | null;
    };

export function goldenSummary(check: BackendCheck, selection: GoldenSelection): GoldenSummary {
  return {
    status: 'checked',
    skipped: selection.skipped,
    skippedReason: selection.reason,
    cases: check.cases.length,
    passed: check.cases.filter((c) => c.passed).length,
    labelled: check.cases.filter((c) => c.passed && c.mismatch).length,
    maxLogprobDeviation: Math.max(0, ...check.cases.map((c) => c.maxLogprobDeviation)),
    failures: check.cases.flatMap((c) => c.failures.map((f) => `${c.case}: ${f}`)),
    ms: check.ms,
  };
}
