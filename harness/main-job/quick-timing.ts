import type { BackendFactory } from '../backend/contract.ts';
import { createFromFactory } from '../backend/registry.ts';
import { greedy } from '../decode/greedy.ts';
import type { ModelDir } from '../model/model-dir.ts';
import type { QuickTiming } from './main-job-record.ts';

const TIMING_NEW_TOKENS = 32;

/**
 * One 32-token greedy run after a warm-up run, on a fresh source: a smoke figure of model time
 * (prefill ms, decode tokens/s from the step calls), not a benchmark (`decode-harness bench`).
 */
export async function quickTiming(
  factory: BackendFactory,
  model: ModelDir,
  promptIds: readonly number[],
): Promise<QuickTiming> {
  try {
    const source = await createFromFactory(factory, model);
    try {
      const config = { maxNewTokens: TIMING_NEW_TOKENS, eosTokenIds: [], recordTopK: 1 };
      await greedy(source, promptIds, config); // warm-up: first-call allocation and JIT
      const { timing } = await greedy(source, promptIds, config);
      const decodeMs = timing.stepMs.reduce((s, ms) => s + ms, 0);
      return {
        status: 'measured',
        promptTokens: promptIds.length,
        newTokens: TIMING_NEW_TOKENS,
        prefillMs: timing.prefillMs,
        decodeTokensPerSec: (timing.stepMs.length / decodeMs) * 1000,
      };
    } finally {
      await source.dispose();
    }
  } catch (error) {
    return { status: 'error', error: error instanceof Error ? error.message : String(error) };
  }
}
