import type { ModelDir } from '../model/model-dir.ts';
import type { BackendInfo, BackendOptions } from './contract.ts';

/**
 * A tensor as bisect compares it: row-major values widened to float64 (float16 and integers
 * exactly), with the ONNX type the graph gave it (`float32`, `float16`, `int64`, `bool`, …).
 */
export interface ProbeTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** One forward pass of batch 1: the prompt (no past) or cached tokens after `past`. */
export interface ProbePass {
  readonly tokens: readonly number[];
  /** `past_key_values.{i}.key|value` by name; null for the prefill. Converted to the graph's cache type. */
  readonly past: ReadonlyMap<string, ProbeTensor> | null;
}

/**
 * A decoder graph whose intermediate tensors are graph outputs, opened on one backend: each pass
 * returns every output the graph declares. The backend feeds the inputs its graph declares, as it
 * does for decoding (decoder-inputs.ts), so the same pass reaches every backend the same way.
 */
export interface DecoderProbe {
  readonly info: BackendInfo;
  run(pass: ProbePass): Promise<Map<string, ProbeTensor>>;
  dispose(): Promise<void>;
}

/**
 * What a backend that runs ONNX graphs offers bisect: `graphPath` is a self-contained copy of
 * `model`'s graph (no external data) with extra outputs; `model` gives config and names.
 */
export type OpenProbe = (
  model: ModelDir,
  graphPath: string,
  options?: BackendOptions,
) => Promise<DecoderProbe>;
