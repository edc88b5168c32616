import type { LogitsSource } from '../backend/contract.ts';
import { logitsRow } from '../backend/contract.ts';
import type { DecodeResult, FinishReason, StepRecord } from './decode-result.ts';
import { checkLengths } from './lengths.ts';
import { logSoftmax } from './log-softmax.ts';
import { argmax, topK } from './top-k.ts';

export interface GreedyConfig {
  readonly maxNewTokens: number;
  /** Generation stops after emitting any of these (the eos token is kept in the output, as in HF). */
  readonly eosTokenIds: readonly number[];
  /** How many [id, logprob] candidates each step records. */
  readonly recordTopK: number;
}

/** Greedy decoding: at each step the argmax token, ties to the lowest id. Batch of one prompt. */
export async function greedy(
  source: LogitsSource,
  promptIds: readonly number[],
  config: GreedyConfig,
): Promise<DecodeResult> {
  checkLengths(promptIds.length, config.maxNewTokens, source.maxPositions);
  const steps: StepRecord[] = [];
  const stepMs: number[] = [];
  let choiceMs = 0;
  let finishReason: FinishReason = 'max_new_tokens';

  let t0 = performance.now();
  let logits = await source.prefill([promptIds]);
  const prefillMs = performance.now() - t0;

  for (let n = 0; n < config.maxNewTokens; n++) {
    t0 = performance.now();
    const logprobs = logSoftmax(logitsRow(logits, 0), `${source.info.id} step ${n}`);
    const id = argmax(logprobs);
    steps.push({ id, logprob: logprobs[id]!, top: topK(logprobs, config.recordTopK) });
    choiceMs += performance.now() - t0;
    if (config.eosTokenIds.includes(id)) {
      finishReason = 'eos';
      break;
    }
    if (n + 1 === config.maxNewTokens) break;
    t0 = performance.now();
    logits = await source.step([id]);
    stepMs.push(performance.now() - t0);
  }

  const tokenIds = steps.map((s) => s.id);
  const totalLogprob = steps.reduce((sum, s) => sum + s.logprob, 0);
  return {
    strategy: 'greedy',
    promptIds: [...promptIds],
    sequences: [{ tokenIds, steps, totalLogprob, finishReason }],
    timing: { prefillMs, stepMs, choiceMs },
  };
}
