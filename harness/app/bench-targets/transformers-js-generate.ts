import { AutoModelForCausalLM, env, type PreTrainedModel, Tensor } from '@huggingface/transformers';
import { cpuMs } from '../../engine/bench/timed-source.ts';

/** One greedy `generate()` call of transformers.js, timed through a streamer. */
export interface TransformersJsTiming {
  readonly tokenIds: readonly number[];
  /** From the call until the first generated token reached the streamer (prefill + its choice). */
  readonly timeToFirstTokenMs: number;
  /** Between consecutive generated tokens reaching the streamer (model + its own choice). */
  readonly tokenGapsMs: readonly number[];
  /** Process CPU time from the first generated token to the last. */
  readonly decodeCpuMs: number;
}

/**
 * transformers.js as a user runs it: AutoModelForCausalLM on the same model directory, offline,
 * fp32 on CPU, with the same intra-op thread count as the harness's ORT session, so the two differ
 * only in the code around session.run.
 */
export async function openTransformersJs(modelPath: string, threads: number): Promise<PreTrainedModel> {
  env.allowRemoteModels = false;
  return AutoModelForCausalLM.from_pretrained(modelPath, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
}

/**
 * Greedy `generate()` of exactly `newTokens` tokens. transformers.js has no "ignore eos" switch, so
 * min_new_tokens = newTokens keeps it from stopping (it masks the eos logit, a few nanoseconds). Its
 * streamer is called with the prompt first, then once per token right after the token is chosen:
 * the same instants the harness's TimedSource records.
 */
export async function timeTransformersJsGreedy(
  model: PreTrainedModel,
  promptIds: readonly number[],
  newTokens: number,
): Promise<TransformersJsTiming> {
  const puts: number[] = [];
  const putCpu: number[] = [];
  const streamer = {
    put() {
      puts.push(performance.now());
      putCpu.push(cpuMs());
    },
    end() {},
  };
  const length = promptIds.length;
  const start = performance.now();
  const output = (await model.generate({
    input_ids: new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, length]),
    attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
    max_new_tokens: newTokens,
    min_new_tokens: newTokens,
    do_sample: false,
    streamer,
  } as never)) as Tensor;
  const known = puts.slice(1); // the first put is the prompt
  if (known.length !== newTokens) {
    throw new Error(
      `transformers.js streamed ${known.length} tokens, expected ${newTokens}; its generate() API changed`,
    );
  }
  return {
    tokenIds: Array.from(output.data as BigInt64Array, Number).slice(length),
    timeToFirstTokenMs: known[0]! - start,
    tokenGapsMs: known.slice(1).map((t, i) => t - known[i]!),
    decodeCpuMs: putCpu[putCpu.length - 1]! - putCpu[1]!,
  };
}
