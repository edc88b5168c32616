import type { ComputeDtype } from '../../core/backend/contract.ts';

/**
 * Largest |Δlogit| against the float64 reference that still counts as float noise, per compute
 * dtype. float32 accumulates ~1e-7 relative error per op; on a 2-layer width-64 model with
 * logits of magnitude ~10 the measured gap is ~1e-5, so 1e-4 leaves a 10× margin while
 * catching real bugs (a wrong epsilon or position id moves logits by 1e-3 or more).
 * float16 rounds every activation to 11 significant bits (unit roundoff 4.9e-4, 8192× float32's):
 * tiny-gpt2-fp16 on onnxruntime's CPU and wasm providers measured up to 6.0e-2 over the 256
 * positions of `compare` (3.5e-2 on the conformance prompts), so 1.25e-1 leaves ~2× headroom, as
 * float32's limit does for ORT (5.2e-5 measured).
 */
export const LOGIT_TOLERANCE: Readonly<Record<ComputeDtype, number>> = {
  float64: 1e-9,
  float32: 1e-4,
  float16: 1.25e-1,
};

/** Depth the LOGIT_TOLERANCE figures were measured at (the embedded models). */
const CALIBRATION_LAYERS = 2;

/**
 * The conformance tolerance for a model of `layers` blocks. Rounding errors of independent ops
 * add like a random walk, so the expected gap grows as √depth: the per-dtype limit holds for the
 * 2-layer embedded models and is scaled by √(layers / 2) beyond them (never below it). Measured
 * for ort-node:cpu at float32: 2.3e-4 on the 30-layer llama-135m-shape, under its 3.9e-4 limit
 * here, where the unscaled 1e-4 refused a correct backend.
 */
export function conformanceTolerance(dtype: ComputeDtype, layers: number): number {
  return LOGIT_TOLERANCE[dtype] * Math.sqrt(Math.max(1, layers / CALIBRATION_LAYERS));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    // NaN never compares greater; make it the worst possible difference instead of ignoring it.
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return max;
}

export function bitwiseEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
