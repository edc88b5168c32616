import type { PreTrainedModel } from '@huggingface/transformers';
import { OrtNodeSource } from '../../../backends/ort-node/ort-node-source.ts';
import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import { headDim, numKvHeads, numLayers } from '../../core/model/model-config.ts';
import type { ModelDir } from '../../core/model/model-dir.ts';
import { median } from '../../core/statistics.ts';
import { timeDecode } from '../../engine/bench/decode-timing.ts';
import { TimedSource } from '../../engine/bench/timed-source.ts';
import type { GenerationConfig } from '../../engine/decode/generation-config.ts';
import { createBackend } from '../registry.ts';
import { BareOrtLoop } from './bare-ort-loop.ts';
import { openTransformersJs, timeTransformersJsGreedy } from './transformers-js-generate.ts';

/**
 * What the targets compare, one decode of each per round. The first four run one intra-op thread;
 * `ts-f32` and its two ONNX Runtime peers (`ort-parallel`: ort-node:cpu, `ort-web-wasm`: onnxruntime-web's
 * WebAssembly build in Node) run the settings' parallel thread count, all the same.
 */
export type LaneName =
  | 'ours-greedy'
  | 'bare-ort'
  | 'transformers-js'
  | 'ours-beam'
  | 'ts-f32'
  | 'ort-parallel'
  | 'ort-web-wasm';

/**
 * One decode of one lane, reduced to per-token figures: wall-clock medians (robust to the scheduler
 * preempting us now and then on a shared machine) and their CPU-time twins (process CPU time, which
 * a busy machine barely changes for a single-threaded decode: the steadier estimate of the work).
 */
export interface LaneSample {
  /** Median model time per step call (choice excluded); null where it cannot be separated (transformers.js). */
  readonly modelMsPerStep: number | null;
  /** Median gap between consecutive tokens becoming known: model + choice, what a user waits. */
  readonly endToEndMsPerToken: number;
  readonly modelCpuMsPerStep: number | null;
  readonly endToEndCpuMsPerToken: number;
  readonly tokenIds: readonly number[];
}

export interface Lane {
  readonly name: LaneName;
  run(prompt: readonly number[]): Promise<LaneSample>;
}

/** Lanes that share loaded resources, released together. */
export interface LaneGroup {
  readonly lanes: readonly Lane[];
  dispose(): Promise<void>;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The lane figures of one timed decode (RepetitionTiming or BareLoopTiming). */
function sampleOf(t: {
  readonly stepMs: readonly number[];
  readonly tokenGapsMs: readonly number[];
  readonly stepCpuMs: readonly number[];
  readonly decodeCpuMs: number;
  readonly tokenIds: readonly number[];
}): LaneSample {
  return {
    modelMsPerStep: median(t.stepMs),
    endToEndMsPerToken: median(t.tokenGapsMs),
    modelCpuMsPerStep: mean(t.stepCpuMs),
    endToEndCpuMsPerToken: t.decodeCpuMs / t.tokenGapsMs.length,
    tokenIds: t.tokenIds,
  };
}

/** A harness backend decoding through decode() with `config`, TimedSource giving token times. */
function harnessLane(name: LaneName, source: LogitsSource, config: GenerationConfig): Lane {
  const timed = new TimedSource(source);
  return { name, run: async (prompt) => sampleOf(await timeDecode(timed, prompt, config)) };
}

/**
 * One ort-node:cpu source and three lanes on it: the harness's greedy and beam decoding, and the
 * bare loop on the very same ONNX Runtime session (see OrtNodeSource.inferenceSession).
 */
export async function ortLanes(
  model: ModelDir,
  threads: number,
  greedy: GenerationConfig,
  beam: GenerationConfig,
): Promise<LaneGroup> {
  const source = await createBackend('ort-node:cpu', model, { threads });
  if (!(source instanceof OrtNodeSource)) {
    await source.dispose();
    throw new Error('ort-node:cpu did not create an OrtNodeSource; the bare loop needs its session');
  }
  const cache = {
    layers: numLayers(model.config),
    kvHeads: numKvHeads(model.config),
    headDim: headDim(model.config),
  };
  const bare = new BareOrtLoop(source.inferenceSession, cache);
  return {
    lanes: [
      harnessLane('ours-greedy', source, greedy),
      {
        name: 'bare-ort',
        run: async (prompt) => sampleOf(await bare.generate(prompt, greedy.max_new_tokens)),
      },
      harnessLane('ours-beam', source, beam),
    ],
    dispose: () => source.dispose(),
  };
}

export async function transformersJsLanes(
  model: ModelDir,
  threads: number,
  newTokens: number,
): Promise<LaneGroup> {
  const peer: PreTrainedModel = await openTransformersJs(model.path, threads);
  const lane: Lane = {
    name: 'transformers-js',
    async run(prompt) {
      const t = await timeTransformersJsGreedy(peer, prompt, newTokens);
      return {
        modelMsPerStep: null,
        endToEndMsPerToken: median(t.tokenGapsMs),
        modelCpuMsPerStep: null,
        endToEndCpuMsPerToken: t.decodeCpuMs / t.tokenGapsMs.length,
        tokenIds: t.tokenIds,
      };
    },
  };
  return {
    lanes: [lane],
    async dispose() {
      await peer.dispose();
    },
  };
}

/** One backend decoding greedily through the harness on `threads` threads: a lane of its own. */
export async function backendLane(
  name: LaneName,
  backendId: string,
  model: ModelDir,
  threads: number,
  greedy: GenerationConfig,
): Promise<LaneGroup> {
  const source = await createBackend(backendId, model, { threads });
  return { lanes: [harnessLane(name, source, greedy)], dispose: () => source.dispose() };
}

/** The prompt's next-token logits from ort-node:cpu (float32 copy): real input for timing the processors. */
export async function promptLogits(model: ModelDir, prompt: readonly number[]): Promise<Float32Array> {
  const source = await createBackend('ort-node:cpu', model, { threads: 1 });
  try {
    return Float32Array.from(logitsRow(await source.prefill([prompt]), 0));
  } finally {
    await source.dispose();
  }
}
