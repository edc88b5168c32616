import { UsageError } from '../../core/errors.ts';
import {
  cliLabel,
  GENERATION_FIELDS,
  GENERATION_OPTIONS,
  type GenerationConfig,
  type GenerationConfigInput,
  HF_DEFAULTS,
  strategyOf,
} from './generation-config.ts';

/** One source of settings, later layers overriding earlier ones, and how to name its fields in errors. */
export interface ConfigLayer {
  readonly values: GenerationConfigInput;
  /** e.g. `--top-p` for the command line, `gen.json: top_p` for a file. */
  readonly label: (field: string) => string;
}

export const fileLabel =
  (file: string) =>
  (field: string): string =>
    `${file}: ${field}`;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Merge the layers over HF's defaults, validate every field and the combination, and return a
 * config every strategy can trust. Unknown fields in files are ignored (as HF does).
 */
export function resolveGenerationConfig(layers: readonly ConfigLayer[], vocabSize: number): GenerationConfig {
  const config: Mutable<GenerationConfig> = { ...HF_DEFAULTS };
  const labels = new Map<string, string>();
  for (const layer of layers) {
    for (const field of GENERATION_FIELDS) {
      const raw = layer.values[field];
      if (raw === undefined || raw === null) continue;
      labels.set(field, layer.label(field));
      Object.assign(config, { [field]: GENERATION_OPTIONS[field].check(raw, layer.label(field), vocabSize) });
    }
  }
  const name = (field: keyof GenerationConfig) => labels.get(field) ?? cliLabel(field);
  const strategy = strategyOf(config);
  if (config.num_beams > 1 && config.do_sample) {
    throw new UsageError(
      `${name('num_beams')} ${config.num_beams} with do_sample is beam sampling, which is not supported; ` +
        'drop --do-sample for beam search, or use --num-beams 1 to sample',
    );
  }
  if (strategy === 'sample' && config.seed === null) {
    throw new UsageError(
      'sampling needs --seed N (there is no entropy default, so a sampled run can be repeated)',
    );
  }
  if (strategy === 'sample' && config.rng === 'mt19937') {
    for (const field of GENERATION_FIELDS) {
      const { transformersJs, default: noOp } = GENERATION_OPTIONS[field];
      if (transformersJs === 'reproduced' || config[field] === noOp) continue;
      throw new UsageError(
        `${name('rng')} mt19937 reproduces transformers.js, which ${transformersJs.refused} ` +
          `(${field} ${JSON.stringify(config[field])}); drop ${cliLabel(field)}, or pick a seedrandom rng ` +
          '(e.g. --rng alea) for Hugging Face semantics',
      );
    }
  }
  if (config.num_return_sequences > 1) {
    if (strategy === 'greedy') {
      throw new UsageError(
        `${name('num_return_sequences')} ${config.num_return_sequences} needs sampling or beam search; ` +
          'greedy returns one sequence',
      );
    }
    if (strategy === 'beam' && config.num_return_sequences > config.num_beams) {
      throw new UsageError(
        `${name('num_return_sequences')} ${config.num_return_sequences} is more than ${name('num_beams')} ` +
          `${config.num_beams}; raise num_beams or lower num_return_sequences`,
      );
    }
  }
  if (config.min_new_tokens > config.max_new_tokens) {
    throw new UsageError(
      `${name('min_new_tokens')} ${config.min_new_tokens} exceeds ${name('max_new_tokens')} ${config.max_new_tokens}`,
    );
  }
  return config;
}
