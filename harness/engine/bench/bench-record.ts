import type { BackendInfo } from '../../core/backend/contract.ts';
import type { MachineRecord } from '../../core/machine.ts';
import type { OnnxDtype } from '../../core/model/onnx-variants.ts';
import type { Summary } from '../../core/statistics.ts';
import type { Strategy } from '../decode/generation-config.ts';
import type { BandwidthProbe } from './bandwidth-probe.ts';
import type { PeakScope } from './peak-memory.ts';
import type { Roofline } from './roofline.ts';

/** The JSON report of `decode-harness bench`; the tag changes when a field changes meaning. */
export const BENCH_SCHEMA = 'decode-harness/bench@1';

export interface BenchReport {
  readonly schema: typeof BENCH_SCHEMA;
  readonly createdAt: string;
  readonly machine: MachineRecord;
  readonly bandwidth: BandwidthProbe;
  readonly settings: BenchSettings;
  /** One per (model, backend), in the order they ran. */
  readonly results: readonly BenchResult[];
}

/** What was asked for; what actually ran is in each result's `backend` (BackendInfo). */
export interface BenchSettings {
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly repetitions: number;
  readonly warmup: number;
  /** --threads, or null for each backend's default. */
  readonly threads: number | null;
  readonly batch: number;
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
  readonly prefill: ThroughputFigure;
  readonly decode: ThroughputFigure & { readonly roofline: Roofline };
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
    /** Peak resident memory of the process from just before the backend loaded (see peak-memory.ts). */
    readonly peakRssBytes: number;
    readonly peakRssScope: PeakScope;
    /** Resident memory when that window opened: the harness's own share of the peak. */
    readonly baselineRssBytes: number;
    /** Device memory where the backend can tell; null where it cannot (CPU backends, SwiftShader). */
    readonly gpuMemoryBytes: number | null;
    /**
     * Backends that run in a browser (chromium:*): the browser processes' PSS after the timed runs,
     * a snapshot (their peak is not observable from here); null for in-process backends.
     */
    readonly browserPssBytes: number | null;
  };
}

/** pp<N> or tg<N>: tokens per second over repetitions, model time only. */
export interface ThroughputFigure {
  /** llama-bench's name: pp16 = prefill of 16 tokens, tg64 = generating 64 tokens. */
  readonly test: string;
  readonly tokensPerSec: Summary;
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
