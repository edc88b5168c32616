import { median } from '../../../core/statistics.ts';
import { BENCH_SAMPLING } from '../../../engine/bench/bench-config.ts';
import { cpuMs } from '../../../engine/bench/timed-source.ts';
import { logSoftmax } from '../../../engine/decode/log-softmax.ts';
import {
  chainOf,
  createProcessorChain,
  type ProcessorChain,
} from '../../../engine/decode/processors/processor-chain.ts';
import { rawRow } from '../../../engine/decode/raw-row.ts';
import { streamSeed, Xoshiro128ss } from '../../../engine/model-gen/int-prng.ts';
import type { MicroTask } from './micro-result.ts';

/** GPT-2's vocabulary size: the row length every processor scans. */
export const PROCESSOR_VOCAB = 50257;

/**
 * Logits shaped like a language model's: a normal bulk (sd 2.5) with a heavy head, so top-k and
 * top-p cut where real ones do (a nucleus of tens to hundreds of tokens), deterministic.
 */
function modelLikeLogits(vocab = PROCESSOR_VOCAB): Float32Array {
  const rng = new Xoshiro128ss(streamSeed(3, 'processor-logits'));
  const logits = Float32Array.from({ length: vocab }, () => 2.5 * rng.nextNormalish());
  for (let i = 0; i < 20; i++) logits[(i * 7919) % vocab] = 12 - i * 0.3;
  return logits;
}

/** The sequence so far: a 16-token prompt plus 64 generated ids, as the bench decodes. */
function sequenceSoFar(vocab: number) {
  const rng = new Xoshiro128ss(streamSeed(3, 'processor-ids'));
  return { ids: Array.from({ length: 80 }, () => rng.nextUint32() % vocab), promptLength: 16 };
}

/** The chain `bench --strategy sample` runs: temperature, top-k, top-p and repetition penalty. */
export function benchSamplingChain(): ProcessorChain {
  return createProcessorChain({
    doSample: true,
    temperature: BENCH_SAMPLING.temperature,
    topK: BENCH_SAMPLING.topK,
    topP: BENCH_SAMPLING.topP,
    repetitionPenalty: BENCH_SAMPLING.repetitionPenalty,
  });
}

/**
 * The processor chain over a full vocabulary, and each of its processors alone, as sampling search
 * runs them: on a float64 copy of the logits (the copy is made before each call, outside the
 * timing). What the records cost (the raw row; beam search's full log-softmax) is there for scale.
 */
export function processorTasks(logits: Float32Array = modelLikeLogits()): MicroTask[] {
  const sequence = sequenceSoFar(logits.length);
  const scores = new Float64Array(logits.length);
  const refill = () => scores.set(logits);
  const chain = benchSamplingChain();
  const tasks: MicroTask[] = [
    {
      name: `chain ${chain.processors.map((p) => p.name).join('+')}`,
      fn: () => chain.apply(scores, sequence),
      beforeEach: refill,
    },
    ...chain.processors.map((p) => ({
      name: p.name,
      fn: () => p.apply(scores, sequence),
      beforeEach: refill,
    })),
    {
      name: 'raw row: log-partition + top-5 (greedy and sampling records)',
      fn: () => void rawRow(logits, 5, 'micro'),
    },
    { name: 'log-softmax, the full row (beam search)', fn: () => void logSoftmax(logits, 'micro') },
  ];
  return tasks;
}

/** One chain.apply's cost: wall-clock median and CPU-time mean over the timed applications. */
export interface ChainCost {
  readonly wallMs: number;
  readonly cpuMs: number;
  /**
   * Each processor's share inside the chain, by name, in chain order: the median of the chain up to
   * and including it minus the median of the chain before it (what it adds where the chain runs it,
   * on the row or on the candidate list after top-k).
   */
  readonly perProcessorMs: Readonly<Record<string, number>>;
}

/**
 * What one chain.apply over `logits` costs, timed by hand over `applications` calls, each on a fresh
 * float64 copy made outside the timing; then every prefix of the chain the same way, so a miss can
 * name the expensive processor. The wall-clock median ignores the calls the scheduler interrupted
 * (on a busy machine a 0.5 ms call sometimes takes 10). For the targets, which interleave this
 * with their decode rounds.
 */
export function chainCost(chain: ProcessorChain, logits: Float32Array, applications: number): ChainCost {
  const sequence = sequenceSoFar(logits.length);
  const scores = new Float64Array(logits.length);
  const timed = (c: ProcessorChain) => {
    const wall: number[] = [];
    let cpuTotalMs = 0;
    for (let i = 0; i < applications; i++) {
      scores.set(logits);
      const cpu0 = cpuMs();
      const t0 = performance.now();
      c.apply(scores, sequence);
      wall.push(performance.now() - t0);
      cpuTotalMs += cpuMs() - cpu0;
    }
    return { wallMs: median(wall), cpuMs: cpuTotalMs / applications };
  };
  const whole = timed(chain);
  const prefixMs = chain.processors.map((_, p) => timed(chainOf(chain.processors.slice(0, p + 1))).wallMs);
  return {
    ...whole,
    perProcessorMs: Object.fromEntries(
      // a share below the timing noise can come out negative: it is shown as 0
      chain.processors.map((processor, p) => [
        processor.name,
        Math.max(0, prefixMs[p]! - (p === 0 ? 0 : prefixMs[p - 1]!)),
      ]),
    ),
  };
}
