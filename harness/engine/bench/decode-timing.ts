import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import { decode } from '../decode/decode.ts';
import type { GenerationConfig } from '../decode/generation-config.ts';
import { argmax } from '../decode/top-candidates.ts';
import { cpuMs, type TimedSource } from './timed-source.ts';

/** Where one repetition's time went. Model time and host choice time are apart, as in DecodeResult. */
export interface RepetitionTiming {
  /** Rows in the batch. */
  readonly rows: number;
  readonly promptTokens: number;
  /** Tokens generated per row. */
  readonly newTokens: number;
  /** The prefill call (model only). */
  readonly prefillMs: number;
  /** Each later step call (model only, including beam reorders); newTokens - 1 of them. */
  readonly stepMs: readonly number[];
  /** Host time choosing tokens, in total. */
  readonly choiceMs: number;
  /** From the start of the decode until the first token was known (prefill + its choice). */
  readonly timeToFirstTokenMs: number;
  /** Between consecutive tokens becoming known (step + choice); newTokens - 1 of them. */
  readonly tokenGapsMs: readonly number[];
  /** Row 0's generated ids, for timing detokenisation. */
  readonly tokenIds: readonly number[];
  /** Process CPU time inside the prefill call (the CPU-time twin of prefillMs). */
  readonly prefillCpuMs: number;
  /** Process CPU time inside each step call (the CPU-time twin of stepMs). */
  readonly stepCpuMs: readonly number[];
  /** Process CPU time from the first token known to the last (the twin of the summed tokenGapsMs). */
  readonly decodeCpuMs: number;
}

/** One batch-1 decode through the harness's own strategies (decode.ts), timed from outside too. */
export async function timeDecode(
  timed: TimedSource,
  promptIds: readonly number[],
  config: GenerationConfig,
): Promise<RepetitionTiming> {
  const start = performance.now();
  const result = await decode(timed, promptIds, config);
  const end = performance.now();
  const endCpu = cpuMs();
  // Step k starts as soon as token k is chosen; the last token is known when decode returns.
  const known = [...timed.stepStarts, end];
  return {
    rows: 1,
    promptTokens: promptIds.length,
    newTokens: result.sequences[0]!.tokenIds.length,
    prefillMs: result.timing.prefillMs,
    stepMs: result.timing.stepMs,
    choiceMs: result.timing.choiceMs,
    timeToFirstTokenMs: known[0]! - start,
    tokenGapsMs: known.slice(1).map((t, i) => t - known[i]!),
    tokenIds: result.sequences[0]!.tokenIds,
    prefillCpuMs: timed.prefillCpuMs,
    stepCpuMs: [...timed.stepCpuMs],
    decodeCpuMs: endCpu - (timed.stepStartCpuMs[0] ?? endCpu),
  };
}

/**
 * Greedy decoding of a batch of prompts of equal length, for `--batch` > 1 (the strategies decode
 * one prompt): per step, argmax of every row (ties to the lowest id) then one step for all rows.
 * No records or processors, so its choice time is the bare minimum a batched decoder pays.
 */
export async function timeBatchedGreedy(
  source: LogitsSource,
  prompts: readonly (readonly number[])[],
  newTokens: number,
): Promise<RepetitionTiming> {
  const start = performance.now();
  const startCpu = cpuMs();
  let logits = await source.prefill(prompts);
  const prefillMs = performance.now() - start;
  const prefillCpuMs = cpuMs() - startCpu;
  const stepMs: number[] = [];
  const stepCpuMs: number[] = [];
  const known: number[] = [];
  const tokenIds: number[] = [];
  let choiceMs = 0;
  let firstCpu = 0;
  for (let n = 0; n < newTokens; n++) {
    const t0 = performance.now();
    const next = prompts.map((_, b) => argmax(logitsRow(logits, b)));
    const t1 = performance.now();
    const cpu1 = cpuMs();
    if (n === 0) firstCpu = cpu1;
    choiceMs += t1 - t0;
    known.push(t1);
    tokenIds.push(next[0]!);
    if (n + 1 === newTokens) break;
    logits = await source.step(next);
    stepMs.push(performance.now() - t1);
    stepCpuMs.push(cpuMs() - cpu1);
  }
  return {
    rows: prompts.length,
    promptTokens: prompts[0]!.length,
    newTokens,
    prefillMs,
    stepMs,
    choiceMs,
    timeToFirstTokenMs: known[0]! - start,
    tokenGapsMs: known.slice(1).map((t, i) => t - known[i]!),
    tokenIds,
    prefillCpuMs,
    stepCpuMs,
    decodeCpuMs: cpuMs() - firstCpu,
  };
}
