import { UsageError } from '../../core/errors.ts';
import type { RngAlgorithm } from '../../core/rng/rng.ts';
import { defaultRngAlgorithm } from '../../core/rng/seeded-rng.ts';

/**
 * Decoding settings with Hugging Face's GenerationConfig names (snake_case, as in
 * generation_config.json), fully resolved: every field has a value and has been validated.
 * https://huggingface.co/docs/transformers/main_classes/text_generation#transformers.GenerationConfig
 */
export interface GenerationConfig {
  readonly max_new_tokens: number;
  /** eos ids are suppressed until this many tokens are generated. */
  readonly min_new_tokens: number;
  readonly do_sample: boolean;
  /** Softmax temperature; 0 with do_sample means greedy (the convention, not HF's error). */
  readonly temperature: number;
  /** 0 disables. HF's default is 50 — it applies whenever do_sample is on, unless set. */
  readonly top_k: number;
  /** 1 disables. */
  readonly top_p: number;
  /** 0 disables (HF: None). */
  readonly min_p: number;
  /** 1 disables. */
  readonly repetition_penalty: number;
  /** 0 disables. */
  readonly no_repeat_ngram_size: number;
  readonly num_beams: number;
  readonly length_penalty: number;
  readonly early_stopping: boolean | 'never';
  readonly num_return_sequences: number;
  readonly eos_token_id: readonly number[];
  /** Generation stops once the continuation's text completes one of these. */
  readonly stop_strings: readonly string[];
  /** Required for sampling; null otherwise. */
  readonly seed: number | null;
  /** The RNG behind the coins: a seedrandom algorithm, or 'mt19937' (CPython / transformers.js). */
  readonly rng: RngAlgorithm;
}

export type Strategy = 'greedy' | 'sample' | 'beam';

/** HF's defaults (GenerationConfig.__init__), except max_new_tokens, which HF leaves to max_length = 20. */
export const HF_DEFAULTS: GenerationConfig = {
  max_new_tokens: 20,
  min_new_tokens: 0,
  do_sample: false,
  temperature: 1,
  top_k: 50,
  top_p: 1,
  min_p: 0,
  repetition_penalty: 1,
  no_repeat_ngram_size: 0,
  num_beams: 1,
  length_penalty: 1,
  early_stopping: false,
  num_return_sequences: 1,
  eos_token_id: [],
  stop_strings: [],
  seed: null,
  rng: defaultRngAlgorithm,
};

const STRATEGIES: readonly Strategy[] = ['greedy', 'sample', 'beam'];

/** The one reader of a `--strategy` value, for every command that takes it. */
export function parseStrategy(raw: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(raw)) {
    throw new UsageError(
      `--strategy ${JSON.stringify(raw)} is not supported; supported: ${STRATEGIES.join(', ')}`,
    );
  }
  return raw as Strategy;
}

/** Which search runs: HF's rule (num_beams > 1 → beam; do_sample → sample), with temperature 0 → greedy. */
export function strategyOf(config: GenerationConfig): Strategy {
  if (config.num_beams > 1) return 'beam';
  if (config.do_sample && config.temperature > 0) return 'sample';
  return 'greedy';
}

/** A generation config written the way the user wrote it: any subset of fields, values unchecked. */
export type GenerationConfigInput = Readonly<Record<string, unknown>>;

/** The fields this harness reads; anything else in a generation_config.json is ignored, as HF does. */
export const GENERATION_FIELDS = Object.keys(HF_DEFAULTS) as (keyof GenerationConfig)[];
