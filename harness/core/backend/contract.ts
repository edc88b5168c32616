import type { ModelDir } from '../model/model-dir.ts';

/**
 * The one decoding interface. A backend turns token ids into next-token logits and owns its KV
 * cache; it never samples, penalises or stops (that is the decode strategy's job).
 *
 * Batch semantics: `prefill` takes rows of possibly different lengths and left-pads them to the
 * longest (padding is masked out of attention; position ids count real tokens only, as
 * transformers does: cumsum(mask) - 1). Every later `step` appends one token to every row.
 */
export interface LogitsSource {
  readonly info: BackendInfo;
  readonly vocabSize: number;
  /** Longest sequence (prompt + generated) the model accepts: config n_positions / max_position_embeddings. */
  readonly maxPositions: number;
  /**
   * Forget previous rows and run the prompts. Returns the last position's logits
   * ([batch, 1, vocab]) or, with `allPositions`, every column ([batch, maxLen, vocab]; the
   * left-padding columns of shorter rows hold unspecified values).
   */
  prefill(rows: readonly (readonly number[])[], options?: PrefillOptions): Promise<Logits>;
  /** Append `tokens[b]` to row b; returns [batch, 1, vocab]. */
  step(tokens: readonly number[]): Promise<Logits>;
  /**
   * Rebuild the batch from existing rows: new row r continues old row `sourceRows[r]` (its cache
   * and padding). The batch size becomes `sourceRows.length`. Used by beam search.
   */
  reorder(sourceRows: readonly number[]): Promise<void>;
  /** Drop every row and the cache; the next call must be `prefill`. */
  reset(): void;
  /** Release native resources; the source is unusable afterwards. */
  dispose(): Promise<void>;
  /**
   * Memory held by processes other than this one on the source's behalf (a browser's), measured
   * now. Absent where everything the source holds is in this process (its RSS covers it).
   */
  readonly outOfProcessMemory?: () => OutOfProcessMemory;
}

export interface OutOfProcessMemory {
  /** Sum of VmRSS over the processes (counts pages they share once per process). */
  readonly rssBytes: number;
  /** Sum of Pss (shared pages split between sharers): their real share of memory. */
  readonly pssBytes: number;
  readonly processes: number;
}

export interface PrefillOptions {
  /** Return logits for every column, not only the last. Default false. */
  readonly allPositions?: boolean;
}

/** Row-major logits [batch, positions, vocab]. */
export interface Logits {
  readonly batch: number;
  readonly positions: number;
  readonly vocab: number;
  readonly data: Float32Array | Float64Array;
}

export type ComputeDtype = 'float32' | 'float64' | 'float16';

export type DeviceKind = 'cpu' | 'gpu' | 'software-gpu';

/** What actually ran, as reported by the backend itself (not what was asked for). */
export interface BackendInfo {
  /** Registry id, e.g. `ort-node:cpu`. */
  readonly id: string;
  /** Device or adapter, e.g. `cpu (AMD EPYC 7B13)`. */
  readonly device: string;
  /**
   * What kind of device `device` is. `software-gpu` is a GPU API implemented on the CPU
   * (SwiftShader, lavapipe): its numbers are correct, its timings say nothing about any GPU.
   */
  readonly deviceKind: DeviceKind;
  /** Execution provider or kernel family, e.g. `CPUExecutionProvider`, `ts-kernels`. */
  readonly executionProvider: string;
  readonly dtype: ComputeDtype;
  /**
   * The precision its logits can be held to against the model's own float64 math, where coarser
   * than `dtype`: onnx:f64 computes in float64 but from the graph's constants, which a float32 or
   * float16 export stores rounded (gelu's √(2/π), LayerNorm's epsilon, RoPE's cos/sin tables).
   */
  readonly toleranceDtype?: ComputeDtype;
  /** Intra-op threads (1 for single-threaded kernels). */
  readonly threads: number;
  /** Library versions that matter for reproducing the numbers. */
  readonly versions: Readonly<Record<string, string>>;
}

/** The dtype whose tolerances a backend's results are checked with. */
export function toleranceDtypeOf(info: BackendInfo): ComputeDtype {
  return info.toleranceDtype ?? info.dtype;
}

export interface BackendOptions {
  /** Intra-op thread count; backend default when omitted. */
  readonly threads?: number;
}

export type Availability =
  | { readonly available: true }
  | { readonly available: false; readonly reason: string; readonly fix: string };

/** One registered backend id. `create` throws BackendUnavailable rather than falling back. */
export interface BackendFactory {
  readonly id: string;
  /** One line for `decode-harness backends`. */
  readonly summary: string;
  /** Cheap probe; never throws. */
  availability(): Promise<Availability>;
  create(model: ModelDir, options?: BackendOptions): Promise<LogitsSource>;
  /** Backends that run ONNX graphs: open a copy with every intermediate exposed (bisect). */
  readonly openProbe?: OpenProbe;
}

/** Logits row `b` at column `p` as a view (no copy). */
export function logitsRow(logits: Logits, b: number, p = logits.positions - 1): Float32Array | Float64Array {
  const start = (b * logits.positions + p) * logits.vocab;
  return logits.data.subarray(start, start + logits.vocab);
}

/**
 * The last column of row-major [batch, length, vocab] logits as [batch, 1, vocab]; copies only
 * those rows (none when length is 1).
 */
export function lastPositionLogits(
  logits: Float32Array | Float64Array,
  batch: number,
  length: number,
  vocab: number,
): Logits {
  if (length === 1) return { batch, positions: 1, vocab, data: logits };
  const data =
    logits instanceof Float64Array ? new Float64Array(batch * vocab) : new Float32Array(batch * vocab);
  for (let b = 0; b < batch; b++) {
    const start = (b * length + length - 1) * vocab;
    data.set(logits.subarray(start, start + vocab), b * vocab);
  }
  return { batch, positions: 1, vocab, data };
}

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
