import type { BackendInfo } from '../../core/backend/contract.ts';
import type { GoldenFile } from './golden-dir.ts';

/**
 * The golden cases a software GPU adapter (SwiftShader, lavapipe) runs unless asked for all: one
 * greedy, one top-p sample and beam search of width 2 and 4. A software adapter takes ~0.5 s a
 * decode step on 2 cores (its LM-head matmul alone), so the whole 38-case suite costs it ~10
 * minutes a model; these four still cover every strategy, the KV-cache steps and the beam
 * reorder. `--full` (main job) or `npm run test:full` runs every case.
 */
export const SOFTWARE_ADAPTER_CASES: readonly string[] = [
  'greedy--fox',
  'sample-t1.0-topp0.9--fox',
  'beam2--fox',
  'beam4-lp0.5--story',
];

/** The goldens one backend runs, and the ones it leaves out with why. */
export interface GoldenSelection {
  readonly run: readonly GoldenFile[];
  /** Case ids left out; empty when every golden runs. */
  readonly skipped: readonly string[];
  /** Why they were left out and how to run them; null when none were. */
  readonly reason: string | null;
}

/** Every golden on a CPU or a hardware GPU (or with `full`); SOFTWARE_ADAPTER_CASES on a software one. */
export function selectGoldens(
  goldens: readonly GoldenFile[],
  info: Pick<BackendInfo, 'id' | 'deviceKind'>,
  full: boolean,
): GoldenSelection {
  if (full || info.deviceKind !== 'software-gpu') return { run: goldens, skipped: [], reason: null };
  const run = goldens.filter((g) => SOFTWARE_ADAPTER_CASES.includes(g.golden.id));
  const skipped = goldens.filter((g) => !run.includes(g)).map((g) => g.golden.id);
  return {
    run,
    skipped,
    reason:
      skipped.length === 0
        ? null
        : `${info.id} runs on a software GPU adapter: ${run.length} representative cases ` +
          `(${run.map((g) => g.golden.id).join(', ')}) of ${goldens.length}; --full or npm run test:full runs all`,
  };
}
