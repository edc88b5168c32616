import type { BackendInfo } from '../../harness/core/backend/contract.ts';
import { SOFTWARE_ADAPTER_CASES } from '../../harness/engine/golden/software-adapter-subset.ts';

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

/**
 * Backends whose golden cases npm test runs in full on SOFTWARE_ADAPTER_MODEL only, and on the other
 * models the main job's representative cases (SOFTWARE_ADAPTER_CASES), with why: together they took
 * about half of a golden file (~40 s and ~20 s a model here), and each repeats a check made elsewhere.
 */
const COSTLY_GOLDEN_BACKENDS: Readonly<Record<string, string>> = {
  'onnx:f64':
    'the float64 graph interpreter; the conformance suite holds its logits to ts:f64 on every model, at its graph dtype tolerance',
  'chromium:wasm':
    "a page round trip per step; ort-web:wasm runs onnxruntime-web's same WebAssembly kernels on every case",
};

/**
 * Why `caseId` skips on `backendId` in npm test's golden suite on `modelName`, or null when it
 * runs: software GPU adapters check SOFTWARE_ADAPTER_TEST_CASES on SOFTWARE_ADAPTER_MODEL only
 * (softwareAdapterSkip skips the other models), COSTLY_GOLDEN_BACKENDS as said there.
 */
export function goldenTestSkip(
  info: BackendInfo,
  backendId: string,
  modelName: string,
  caseId: string,
): string | null {
  if (FULL_MATRIX) return null;
  if (info.deviceKind === 'software-gpu' && !SOFTWARE_ADAPTER_TEST_CASES.includes(caseId))
    return (
      `${caseId} on ${backendId}: software GPU adapter, npm test checks ` +
      `${SOFTWARE_ADAPTER_TEST_CASES.join(', ')} only (npm run test:full all)`
    );
  const costly = COSTLY_GOLDEN_BACKENDS[backendId];
  if (costly && modelName !== SOFTWARE_ADAPTER_MODEL && !SOFTWARE_ADAPTER_CASES.includes(caseId))
    return (
      `${caseId} on ${backendId} (${costly}): npm test checks every case on ${SOFTWARE_ADAPTER_MODEL} and ` +
      `${SOFTWARE_ADAPTER_CASES.join(', ')} on ${modelName} (npm run test:full all)`
    );
  return null;
}
