import type { LogitsSource } from '../../core/backend/contract.ts';
import { timeDecode } from '../../engine/bench/decode-timing.ts';
import { TimedSource } from '../../engine/bench/timed-source.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../engine/decode/generation-config.ts';
import type { QuickTiming } from './main-job-record.ts';

const TIMING_NEW_TOKENS = 32;

/**
 * One 32-token greedy run after a warm-up run, timed by bench's own timeDecode: a smoke figure of
 * model time (prefill ms, decode tokens/s from the step calls), not a benchmark (`decode-harness
 * bench` repeats, sizes its prompt and gates on conformance). A software GPU adapter gets no
 * figure: its speed says nothing about any GPU.
 */
export async function quickTiming(source: LogitsSource, promptIds: readonly number[]): Promise<QuickTiming> {
  if (source.info.deviceKind === 'software-gpu') {
    return {
      status: 'not-meaningful',
      reason: `${source.info.device} is a software GPU: its speed says nothing about any GPU`,
    };
  }
  const config: GenerationConfig = { ...HF_DEFAULTS, max_new_tokens: TIMING_NEW_TOKENS, eos_token_id: [] };
  const timed = new TimedSource(source); // not disposed: the caller owns the source
  await timeDecode(timed, promptIds, config); // warm-up: first-call allocation and JIT
  const run = await timeDecode(timed, promptIds, config);
  const decodeMs = run.stepMs.reduce((s, ms) => s + ms, 0);
  return {
    status: 'measured',
    promptTokens: run.promptTokens,
    newTokens: run.newTokens,
    prefillMs: run.prefillMs,
    decodeTokensPerSec: (run.stepMs.length / decodeMs) * 1000,
  };
}
