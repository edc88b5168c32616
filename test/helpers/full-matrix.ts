import type { BackendInfo } from '../../harness/core/backend/contract.ts';

/**
 * `npm run test:full` sets DECODE_HARNESS_FULL=1: software GPU adapters (SwiftShader, ~0.5 s a
 * decode step here) then run every golden case and the whole greedy-agreement set, on every
 * embedded model, as CPUs and hardware GPUs always do. Otherwise they run the main job's
 * representative subset on the default model only, and each test says what it left out.
 */
export const FULL_MATRIX = process.env.DECODE_HARNESS_FULL === '1';

/**
 * The one golden case software GPU adapters check in `npm test` (~15 s each there). The main job
 * runs them through its four-case subset (software-adapter-subset.ts) and `npm run test:full`
 * through every case; the strategies' model calls (cache steps, padded batches, the beam reorder)
 * are each checked against the reference by the conformance suite, which they run in full.
 */
export const SOFTWARE_ADAPTER_TEST_CASES: readonly string[] = ['greedy--fox'];

/** The embedded model software GPU adapters run in `npm test` (the main job's default). */
export const SOFTWARE_ADAPTER_MODEL = 'tiny-gpt2';

/**
 * Why a backend on a software GPU adapter skips `modelName` in `npm test`, or null when it runs.
 * Their kernels are the same on every model; the other models' graphs are covered on the CPU
 * backends here and on every backend by `npm run test:full` and on hardware GPUs.
 */
export function softwareAdapterSkip(info: BackendInfo, backendId: string, modelName: string): string | null {
  if (FULL_MATRIX || info.deviceKind !== 'software-gpu' || modelName === SOFTWARE_ADAPTER_MODEL) return null;
  return (
    `${backendId} on ${modelName}: ${info.device} is a software GPU adapter, run on ` +
    `${SOFTWARE_ADAPTER_MODEL} only (npm run test:full runs every model)`
  );
}
