import { type GenerationConfig, HF_DEFAULTS } from '../decode/generation-config.ts';
import type { BenchSettings } from './bench-record.ts';

/**
 * The sampling chain `--strategy sample` times: a typical chat setting with every common processor
 * switched on (temperature, top-k, top-p and repetition penalty), the seed fixed so each repetition
 * does the same work.
 */
export const BENCH_SAMPLING = { temperature: 0.8, topK: 50, topP: 0.95, repetitionPenalty: 1.2 } as const;
const BENCH_SEED = 42;

/**
 * A figure whose repetitions' coefficient of variation (sd / mean) is above 5% is labelled
 * `noisy`: its spread is as large as the differences people look for (a 5% regression gate).
 */
export const NOISY_CV = 0.05;

/**
 * The generation config a benchmark decodes with: exactly newTokens tokens (eos ignored, as
 * llama-bench does, so every repetition does the same work), the requested strategy, and otherwise
 * Hugging Face's defaults.
 */
export function benchGenerationConfig(settings: BenchSettings): GenerationConfig {
  const base: GenerationConfig = { ...HF_DEFAULTS, max_new_tokens: settings.newTokens, eos_token_id: [] };
  if (settings.strategy === 'beam') return { ...base, num_beams: settings.numBeams };
  if (settings.strategy === 'greedy') return base;
  return {
    ...base,
    do_sample: true,
    temperature: BENCH_SAMPLING.temperature,
    top_k: BENCH_SAMPLING.topK,
    top_p: BENCH_SAMPLING.topP,
    repetition_penalty: BENCH_SAMPLING.repetitionPenalty,
    seed: BENCH_SEED,
  };
}
