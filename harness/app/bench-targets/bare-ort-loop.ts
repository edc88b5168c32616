import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { cpuMs } from '../../engine/bench/timed-source.ts';

/** The KV-cache geometry a bare loop needs for its empty first past: [batch, kvHeads, 0, headDim]. */
export interface CacheShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** One greedy generation by the bare loop: model time and token times, as RepetitionTiming names them. */
export interface BareLoopTiming {
  readonly tokenIds: readonly number[];
  readonly prefillMs: number;
  /** Each one-token run: building its feeds + session.run (argmax excluded, as our stepMs excludes choice). */
  readonly stepMs: readonly number[];
  /** From the start until the first token was known (prefill + argmax). */
  readonly timeToFirstTokenMs: number;
  /** Between consecutive tokens becoming known (feeds + run + argmax). */
  readonly tokenGapsMs: readonly number[];
  /** Process CPU time of each one-token run (feeds + session.run). */
  readonly stepCpuMs: readonly number[];
  /** Process CPU time from the first token known to the last. */
  readonly decodeCpuMs: number;
}

/**
 * The yardstick for the harness's own overhead: the least a program must do to decode greedily with
 * onnxruntime-node, written to be fast, not to be beaten. It runs on ort-node:cpu's own session
 * (CPU execution provider only, its intra-op threads, one inter-op thread, all graph optimisations);
 * per step it rewrites three preallocated int64 inputs, feeds the previous `present.*` outputs back
 * as `past_key_values.*` without copying, runs the session and takes the argmax of the returned
 * logits in place (float32, ties to the lowest id). No validation, no records, no log-softmax.
 */
export class BareOrtLoop {
  /**
   * `session` is OrtNodeSource.inferenceSession: the same weights in the same memory as the
   * backend this loop is compared with, so only the code around session.run differs. It stays the
   * backend's to release.
   */
  constructor(
    private readonly session: InferenceSession,
    private readonly cache: CacheShape,
  ) {}

  async generate(promptIds: readonly number[], newTokens: number): Promise<BareLoopTiming> {
    const { layers, kvHeads, headDim } = this.cache;
    const promptLength = promptIds.length;
    const total = promptLength + newTokens;
    const mask = new BigInt64Array(total).fill(1n); // each step feeds its first `length` entries
    const stepIds = new BigInt64Array(1);
    const stepPosition = new BigInt64Array(1);
    const stepIdsTensor = new Tensor('int64', stepIds, [1, 1]);
    const stepPositionTensor = new Tensor('int64', stepPosition, [1, 1]);
    const pastNames: string[] = [];
    const presentNames: string[] = [];
    for (let l = 0; l < layers; l++) {
      for (const kv of ['key', 'value']) {
        pastNames.push(`past_key_values.${l}.${kv}`);
        presentNames.push(`present.${l}.${kv}`);
      }
    }

    const start = performance.now();
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptLength]),
      attention_mask: new Tensor('int64', mask.subarray(0, promptLength), [1, promptLength]),
      position_ids: new Tensor(
        'int64',
        BigInt64Array.from(promptIds, (_, i) => BigInt(i)),
        [1, promptLength],
      ),
    };
    const empty = new Float32Array(0);
    for (const name of pastNames) feeds[name] = new Tensor('float32', empty, [1, kvHeads, 0, headDim]);
    let out = await this.session.run(feeds);
    const prefillMs = performance.now() - start;
    const vocab = (out.logits as Tensor).dims[2] as number;
    let token = argmaxRow((out.logits as Tensor).data as Float32Array, (promptLength - 1) * vocab, vocab);
    const tokenIds = [token];
    const known = [performance.now()];
    const firstCpu = cpuMs();
    const stepMs: number[] = [];
    const stepCpuMs: number[] = [];

    for (let n = 1; n < newTokens; n++) {
      const t0 = performance.now();
      const cpu0 = cpuMs();
      const length = promptLength + n;
      stepIds[0] = BigInt(token);
      stepPosition[0] = BigInt(length - 1);
      const step: Record<string, Tensor> = {
        input_ids: stepIdsTensor,
        attention_mask: new Tensor('int64', mask.subarray(0, length), [1, length]),
        position_ids: stepPositionTensor,
      };
      for (let i = 0; i < pastNames.length; i++) step[pastNames[i]!] = out[presentNames[i]!] as Tensor;
      out = await this.session.run(step);
      const t1 = performance.now();
      stepMs.push(t1 - t0);
      stepCpuMs.push(cpuMs() - cpu0);
      token = argmaxRow((out.logits as Tensor).data as Float32Array, 0, vocab);
      tokenIds.push(token);
      known.push(performance.now());
    }
    return {
      tokenIds,
      prefillMs,
      stepMs,
      timeToFirstTokenMs: known[0]! - start,
      tokenGapsMs: known.slice(1).map((t, i) => t - known[i]!),
      stepCpuMs,
      decodeCpuMs: cpuMs() - firstCpu,
    };
  }
}

/** Index of the largest of data[offset, offset + length), ties to the lowest. */
function argmaxRow(data: Float32Array, offset: number, length: number): number {
  let best = 0;
  let bestValue = data[offset]!;
  for (let i = 1; i < length; i++) {
    const v = data[offset + i]!;
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}
