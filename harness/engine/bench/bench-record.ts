import type { BackendInfo } from '../../core/backend/contract.ts';
import type { MachineRecord } from '../../core/machine.ts';
import type { OnnxDtype } from '../../core/model/onnx-variants.ts';
import type { Summary } from '../../core/statistics.ts';
import type { Strategy } from '../decode/generation-config.ts';
import type { BandwidthRecord } from './bandwidth-probe.ts';
import type { GpuMemory } from './gpu-memory.ts';
import type { PeakScope } from './peak-memory.ts';
import type { RooflineRecord } from './roofline.ts';

/**
 * The JSON report of `decode-harness bench`; the tag changes when a field changes meaning.
 * @2: sweeps (one result per model, backend and sweep point), median/quartiles/CV and `noisy` on
 * every figure, the bandwidth probed between repetitions, the machine's load, KV-cache and GPU memory.
 */
export const BENCH_SCHEMA = 'decode-harness/bench@2';

export interface BenchReport {
  readonly schema: typeof BENCH_SCHEMA;
  readonly createdAt: string;
  /** With `load` sampled when the bench started and when it ended. */
  readonly machine: MachineRecord;
  /** Every bandwidth probe of the run (each row's roofline uses the probes around its own repetitions). */
  readonly bandwidth: BandwidthRecord;
  readonly settings: BenchSettings;
  /**
   * Per model and backend, in the order they ran: one result per sweep point when it ran, one
   * result for the pair when it could not run (unavailable, refused, error).
   */
  readonly results: readonly BenchResult[];
  /** Things a reader must know before trusting the figures (a busy machine); also printed on stderr. */
  readonly warnings: readonly string[];
}

/** What was asked for; what actually ran is in each result's `backend` (BackendInfo). */
export interface BenchSettings {
  /** --prompt-tokens: the sweep's prompt lengths. */
  readonly promptTokens: readonly number[];
  /** --depth: tokens already in the KV cache before the prompt (0: none). */
  readonly depths: readonly number[];
  /** --batch: rows decoded together. */
  readonly batches: readonly number[];
  readonly newTokens: number;
  readonly repetitions: number;
  readonly warmup: number;
  /** --threads, or null for each backend's default. */
  readonly threads: number | null;
  readonly strategy: Strategy;
  /** Beam search only; 1 otherwise. */
  readonly numBeams: number;
  /** Sampling settings when strategy is sample (the rest are Hugging Face defaults). */
  readonly sampling: {
    readonly temperature: number;
    readonly topK: number;
    readonly topP: number;
    readonly repetitionPenalty: number;
  } | null;
  /** End-of-sequence ids are ignored, so every repetition generates exactly newTokens tokens. */
  readonly eosIgnored: true;
  /** Prompts are synthetic token ids (see synthetic-prompt.ts), the same on every machine. */
  readonly prompt: 'synthetic-ids';
  /** A figure whose coefficient of variation is above this (a fraction) is labelled `noisy`. */
  readonly noisyCv: number;
}

/** One combination of the sweep. */
export interface SweepPoint {
  readonly promptTokens: number;
  readonly depth: number;
  readonly batch: number;
  /**
   * depth + promptTokens: what each row's prefill processes (the contract's prefill starts from
   * an empty cache, so the depth is prefilled with the prompt) and what the KV cache holds when
   * decoding starts.
   */
  readonly contextTokens: number;
}

/** The model as measured: identity (sha256 of its files) and the sizes the CSV and roofline use. */
export interface BenchModel {
  readonly name: string;
  readonly path: string;
  readonly modelType: string;
  /** The model's identity (engine/model/model-identity.ts): the files that decide its logits. */
  readonly sha256: string;
  readonly parameters: number;
  /** The graph that ran on the ONNX backends; absent in reports written before variants existed. */
  readonly graph?: { readonly file: string; readonly dtype: OnnxDtype | null; readonly sha256: string };
  /** The graph file's bytes (llama-bench's "size"; before variants: model.safetensors' bytes). */
  readonly sizeBytes: number;
}

export type BenchResult = BenchRan | BenchRefused | BenchNotRun;

export interface BenchRan {
  readonly status: 'ran';
  readonly model: BenchModel;
  /** What actually ran, as the backend reported it. */
  readonly backend: BackendInfo;
  /** Whether the conformance verdict came from the cache in .cache/conformance/. */
  readonly conformance: { readonly passed: true; readonly cached: boolean };
  readonly point: SweepPoint;
  readonly prefill: ThroughputFigure;
  readonly decode: ThroughputFigure & { readonly roofline: RooflineRecord };
  /** Prefill plus choosing the first token, per repetition. */
  readonly timeToFirstTokenMs: Summary;
  /** Gaps between consecutive tokens (model step + choice), pooled over repetitions. */
  readonly interTokenMs: LatencyPercentiles;
  /**
   * Host time choosing tokens (log-softmax, processors, selection, records) per decode step, i.e.
   * per generated position, over all rows or beams of the step.
   */
  readonly choiceMsPerStep: Summary;
  /** Encoding the prompt's text / decoding the generated ids, apart from everything above. */
  readonly tokenizeMs: Summary;
  readonly detokenizeMs: Summary;
  readonly memory: {
    /**
     * Peak resident memory of the process over this point's runs (see peak-memory.ts); the first
     * point of a backend also covers loading it.
     */
    readonly peakRssBytes: number;
    readonly peakRssScope: PeakScope;
    /** Resident memory when that window opened: the harness's own share of the peak (plus, after the first point, the loaded backend). */
    readonly baselineRssBytes: number;
    /** The KV cache at the run's full context (depth + prompt + new tokens), every row and beam, in the backend's dtype. */
    readonly kvCacheBytes: number;
    /** Device memory where the provider can report it, and why not where it cannot. */
    readonly gpu: GpuMemory;
    /**
     * Backends that run in a browser (chromium:*): the browser processes' PSS after the timed runs,
     * a snapshot (their peak is not observable from here); null for in-process backends.
     */
    readonly browserPssBytes: number | null;
  };
}

/** pp<N> or tg<N> @ d<C>: tokens per second over repetitions, model time only. */
export interface ThroughputFigure {
  /**
   * llama-bench's name: pp528 = a prefill of 528 tokens into an empty cache; tg64 @ d528 =
   * generating 64 tokens with 528 already in the cache (sweep.ts).
   */
  readonly test: string;
  /** Wall-clock tokens/s of each repetition. */
  readonly tokensPerSec: Summary;
  /** tokensPerSec's coefficient of variation is above the run's noisyCv. */
  readonly noisy: boolean;
  /**
   * The same tokens over the process CPU time the calls used, for single-threaded backends (one
   * intra-op thread: the scheduler's time given to other processes is left out); null otherwise,
   * where CPU time sums several threads.
   */
  readonly cpuTokensPerSec: Summary | null;
}

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly samples: readonly number[];
}

/** The backend failed conformance on this model, so its numbers would mean nothing. */
export interface BenchRefused {
  readonly status: 'refused';
  readonly model: BenchModel;
  readonly backendId: string;
  readonly failedChecks: readonly { readonly name: string; readonly detail: string }[];
}

/** Unavailable here, or it threw; `reason` says which and how to fix it. */
export interface BenchNotRun {
  readonly status: 'unavailable' | 'error';
  readonly model: BenchModel;
  readonly backendId: string;
  readonly reason: string;
}
