/**
 * `npm run test:full` sets DECODE_HARNESS_FULL=1: software GPU adapters (SwiftShader, ~0.5 s a
 * decode step here) then run every golden case and the whole greedy-agreement set, as CPUs and
 * hardware GPUs always do. Otherwise they run the main job's representative subset, and each
 * test says what it left out.
 */
export const FULL_MATRIX = process.env.DECODE_HARNESS_FULL === '1';
