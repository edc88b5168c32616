import type { BackendInfo } from '../../core/backend/contract.ts';
import type { MachineRecord } from '../../core/machine.ts';
import type { ModelIdentity } from '../model/model-identity.ts';
import type { TextScoring } from './text-chunks.ts';

export const COMPARE_SCHEMA = 'decode-harness/compare@1';

/**
 * What `decode-harness compare` found: one model, a prompt set, a reference and the backends
 * measured against it. Every report format renders this record; none computes anything itself.
 */
export interface CompareRecord<G extends GreedyAgreement | null = GreedyAgreement | null> {
  readonly schema: typeof COMPARE_SCHEMA;
  readonly createdAt: string;
  readonly machine: MachineRecord;
  readonly model: {
    readonly name: string;
    readonly path: string;
    /** The graph the reference ran (and, without --dtypes, every backend). */
    readonly graph: ModelIdentity['graph'];
    /** --dtypes: every graph compared, in the order given; backends are labelled `<id> <dtype>`. */
    readonly variants?: readonly ModelIdentity['graph'][];
  };
  readonly reference: BackendInfo;
  /** Why this reference, in one sentence (registry.ts referenceChoice). */
  readonly referenceChoice: string;
  /** --text: the text scored instead of prompts (then `prompts` is empty and `greedy` null). */
  readonly text?: TextScoring;
  /** --dtypes with onnx:f64 among the backends: each pair's distance from the reference, split. */
  readonly split?: readonly QuantizationSplit[];
  /** (backend, graph) pairs that could not run here, and why; absent when all ran. */
  readonly notRun?: readonly { readonly id: string; readonly reason: string }[];
  /** Greedy budget of the reference continuation (teacher-forced steps per prompt, at most). */
  readonly maxNewTokens: number;
  readonly prompts: readonly ComparedPrompt[];
  readonly backends: readonly BackendAgreement<G>[];
  /** Every gate of every backend passed. */
  readonly passed: boolean;
}

export interface ComparedPrompt {
  readonly text: string;
  readonly promptIds: readonly number[];
  /** The reference's greedy continuation: the tokens every backend is teacher-forced along. */
  readonly referenceIds: readonly number[];
}

/** One backend against the reference. */
/** `G`: GreedyAgreement along prompts, null under --text. */
export interface BackendAgreement<G extends GreedyAgreement | null = GreedyAgreement | null> {
  readonly backend: BackendInfo;
  readonly summary: AgreementSummary;
  /** Per-step aggregates over prompts (what the report plots). */
  readonly steps: readonly StepPoint[];
  /** Every scored position, prompt-major then step (raw samples behind the summary). */
  readonly positions: readonly PositionMetrics[];
  /** The earliest step whose metrics exceed a gate's limit at one position; null when none does. */
  readonly firstFlagged: FlaggedPosition | null;
  /** Null under --text, where no greedy runs. */
  readonly greedy: G;
  readonly gates: readonly GateResult[];
  readonly passed: boolean;
}

/**
 * One teacher-forced position. Step s of a prompt of length P scores the logits that predict
 * continuation token s, computed at position P − 1 + s: step 0 comes from the prefill, step s ≥ 1
 * from the s-th cached `step` call fed the reference's token s − 1. Under --text, `prompt` is the
 * chunk, `position` the chunk position whose logits predict the next text token, and `step` its
 * offset from the chunk's first scored position (all from one prefill).
 */
export interface PositionMetrics {
  readonly prompt: number;
  readonly step: number;
  readonly position: number;
  /** KL(reference ‖ backend) in nats, float64. */
  readonly kld: number;
  /** The reference's top token (argmax, ties to the lowest id). */
  readonly referenceTopId: number;
  /** The token scored: the reference's top, or under --text the text's next token. */
  readonly scoredId: number;
  /** p_backend − p_reference of the scored token (a probability difference, not a percentage). */
  readonly deltaP: number;
  /** The backend's argmax is the reference's. */
  readonly sameTop: boolean;
  /** log p of the scored token under the backend and under the reference, nats. */
  readonly logprob: number;
  readonly referenceLogprob: number;
  /** max over the vocabulary of |backend logit − reference logit|. */
  readonly maxAbsLogitDiff: number;
}

/**
 * PPL = exp(mean −log p) over the scored tokens, for the backend and the reference, with
 * llama.cpp's uncertainties: PPL · stderr(−log p), and for the ratio exp(mean Δ) · stderr(Δ) with
 * Δ = log p_ref − log p_backend per position (paired, so shared variance cancels).
 */
export interface PerplexitySummary {
  readonly ours: number;
  readonly oursUncertainty: number | null;
  readonly reference: number;
  readonly referenceUncertainty: number | null;
  /** PPL(ours) / PPL(reference). */
  readonly ratio: number;
  readonly ratioUncertainty: number | null;
  /** PPL(ours) − PPL(reference). */
  readonly difference: number;
}

/** Summary statistics of one per-position quantity. */
export interface Distribution {
  readonly count: number;
  readonly mean: number;
  /** Standard error of the mean, sqrt(variance / (n − 1)); null with fewer than two samples. */
  readonly meanUncertainty: number | null;
  readonly rms: number;
  /** Standard error of the RMS by error propagation (as llama.cpp's RMS Δp); null when undefined. */
  readonly rmsUncertainty: number | null;
  readonly min: number;
  readonly max: number;
  readonly median: number;
  /** Linearly interpolated percentiles, keyed "99.9%", "99%", … "0.1%" (in that order). */
  readonly percentiles: Readonly<Record<string, number>>;
}

/** The agreement statistics, as llama.cpp's `perplexity --kl-divergence` reports them. */
export interface AgreementSummary {
  readonly positions: number;
  readonly kld: Distribution;
  /** Δp of the reference's top token, as probability differences (renderers show %). */
  readonly deltaP: Distribution;
  /** Fraction of positions whose argmax agrees, with its binomial standard error. */
  readonly sameTop: { readonly fraction: number; readonly uncertainty: number | null };
  readonly maxAbsLogitDiff: number;
  /** Perplexity over the scored tokens, as llama.cpp's `perplexity --kl-divergence` reports it. */
  readonly perplexity: PerplexitySummary;
  /**
   * Σ(Δlogit)² / Σ(reference logit)² over every position and token, each row's logits first
   * centred on their mean (softmax ignores a constant shift, so NMSE does too).
   */
  readonly nmse: number;
}

export interface StepPoint {
  readonly step: number;
  /** Prompts whose continuation reaches this step. */
  readonly prompts: number;
  readonly meanKld: number;
  readonly maxKld: number;
  readonly maxAbsLogitDiff: number;
}

export interface FlaggedPosition {
  readonly prompt: number;
  readonly step: number;
  readonly position: number;
  readonly kld: number;
  readonly maxAbsLogitDiff: number;
  /** Which per-position limits it exceeds, e.g. "KLD 3.1e-4 > 1e-9". */
  readonly exceeded: readonly string[];
}

/** Free-running greedy of the backend vs the reference's continuation, per prompt. */
export interface GreedyAgreement {
  readonly prompts: number;
  readonly identical: number;
  /** Logit noise that explains a flip: the backend's max |Δlogit|, capped at the gate's limit. */
  readonly noiseLogit: number;
  readonly divergences: readonly Divergence[];
}

export type DivergenceLabel = 'near-tie' | 'divergence';

export interface CandidateToken {
  readonly id: number;
  readonly token: string;
  readonly logprob: number;
}

/** The first step where a backend's own greedy continuation leaves the reference's. */
export interface Divergence {
  readonly prompt: number;
  readonly step: number;
  readonly referenceToken: CandidateToken;
  readonly backendToken: CandidateToken;
  /** The reference's top-1 minus top-2 logprob at that step, nats. */
  readonly referenceMargin: number;
  /** 2 × noiseLogit: the most a margin can move under that much noise on every logit. */
  readonly nearTieThreshold: number;
  readonly label: DivergenceLabel;
  readonly referenceTop: readonly CandidateToken[];
  readonly backendTop: readonly CandidateToken[];
}

export type GateId = 'max-mean-kld' | 'min-same-top-p' | 'max-abs-logit-diff';

export interface GateResult {
  readonly gate: GateId;
  /** What is measured, named as in the tables ("Mean KLD"). */
  readonly metric: string;
  readonly measured: number;
  readonly limit: number;
  /** `--max-mean-kld` when given, else e.g. `default for float32`. */
  readonly limitSource: string;
  readonly passed: boolean;
}

/**
 * One (backend, variant)'s distance from the reference split in two, over the same positions:
 * what the variant graph itself computes (onnx:f64 on it, against the reference) and what the
 * backend's arithmetic adds (the backend against onnx:f64 on the same graph).
 */
export interface QuantizationSplit {
  readonly backend: string;
  readonly variant: string;
  /** Mean KLD(reference ‖ onnx:f64 on the variant), nats: the quantization itself. */
  readonly quantizationKld: number;
  /** Mean KLD(onnx:f64 on the variant ‖ backend on it), nats: the provider's arithmetic. */
  readonly arithmeticKld: number;
  /** max |Δlogit| of the backend against onnx:f64 on the variant. */
  readonly arithmeticMaxAbsLogitDiff: number;
}
