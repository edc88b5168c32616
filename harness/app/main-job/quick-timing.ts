import type { LogitsSource } from '../../core/backend/contract.ts';
import { greedy } from '../../engine/decode/greedy.ts';
import type { QuickTiming } from './main-job-record.ts';

const TIMING_NEW_TOKENS = 32;

/**
 * One 32-token greedy run after a warm-up run: a smoke figure of model time (prefill ms, decode
 * tokens/s from the step calls), not a benchmark (`decode-harness bench` measures properly). A
 * software GPU adapter gets no figure: its speed says nothing about any GPU.
 */
export async function quickTiming(source: LogitsSource, promptIds: readonly number[]): Promise<QuickTiming> {
  if (source.info.deviceKind === 'software-gpu') {
    return {
      status: 'not-meaningful',
      reason: `${source.info.device} is a software GPU: its speed says nothing about any GPU`,
    };
  }
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
}
