import { UsageError } from '../../core/errors.ts';
import { defaultRngAlgorithm, isRngAlgorithm, rngAlgorithms } from '../../core/rng/seeded-rng.ts';
import {
  GENERATION_FIELDS,
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

export const cliLabel = (field: string): string => `--${field.replaceAll('_', '-')}`;
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
      Object.assign(config, { [field]: checkField(field, raw, layer.label(field), vocabSize) });
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
  if (strategy === 'sample' && config.rng === 'mt19937' && (config.top_p < 1 || config.min_p > 0)) {
    throw new UsageError(
      `${name('rng')} mt19937 reproduces transformers.js, which ignores top_p and has no min_p; ` +
        'drop --top-p/--min-p, or pick a seedrandom rng (e.g. --rng alea) for Hugging Face semantics',
    );
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

function fail(label: string, raw: unknown, rule: string): never {
  throw new UsageError(`${label} ${JSON.stringify(raw)} ${rule}`);
}

/**
 * Beams and returned sequences are batch rows, each with its own KV cache and a vocabulary-wide
 * row of logits: past this many a run exhausts memory (a 135M-parameter model's cache is ~0.3 GB a
 * row at 2048 positions) long after it started, so it is refused up front.
 */
export const MAX_BATCH_ROWS = 64;

function int(label: string, raw: unknown, min: number, max = Number.MAX_SAFE_INTEGER, why = ''): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < min || raw > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    fail(label, raw, `must be a whole number ${range}${why}`);
  }
  return raw;
}

function num(label: string, raw: unknown, ok: (x: number) => boolean, rule: string): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || !ok(raw)) fail(label, raw, rule);
  return raw;
}

function checkField(field: keyof GenerationConfig, raw: unknown, label: string, vocabSize: number): unknown {
  switch (field) {
    case 'max_new_tokens':
      return int(label, raw, 1);
    case 'num_beams':
    case 'num_return_sequences':
      return int(label, raw, 1, MAX_BATCH_ROWS, ' (each is a batch row with its own KV cache)');
    case 'min_new_tokens':
    case 'top_k':
    case 'no_repeat_ngram_size':
      return int(label, raw, 0);
    case 'do_sample':
      if (typeof raw !== 'boolean') fail(label, raw, 'must be true or false');
      return raw;
    case 'temperature':
      return num(label, raw, (x) => x >= 0, 'must be a number ≥ 0 (0 means greedy)');
    case 'top_p':
      return num(label, raw, (x) => x > 0 && x <= 1, 'must be in (0, 1] (1 disables top-p)');
    case 'min_p':
      return num(label, raw, (x) => x >= 0 && x <= 1, 'must be in [0, 1] (0 disables min-p)');
    case 'repetition_penalty':
      return num(label, raw, (x) => x > 0, 'must be a number > 0 (1 disables the penalty)');
    case 'length_penalty':
      return num(label, raw, () => true, 'must be a finite number');
    case 'early_stopping':
      if (raw !== true && raw !== false && raw !== 'never')
        fail(label, raw, 'must be true, false or "never"');
      return raw;
    case 'eos_token_id': {
      const ids = Array.isArray(raw) ? raw : [raw];
      for (const id of ids) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
          fail(label, raw, `must be a token id (or a list of them) below vocab_size ${vocabSize}`);
        }
      }
      return ids;
    }
    case 'stop_strings': {
      const strings = Array.isArray(raw) ? raw : [raw];
      if (strings.some((s) => typeof s !== 'string' || s.length === 0)) {
        fail(label, raw, 'must be a non-empty string or a list of them');
      }
      return strings;
    }
    case 'seed':
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
        fail(
          label,
          raw,
          'must be a whole number in [0, 2^53 - 1], e.g. 42 (no entropy default: a sampled run can always be repeated)',
        );
      }
      return raw;
    case 'rng':
      if (typeof raw !== 'string' || !isRngAlgorithm(raw)) {
        fail(
          label,
          raw,
          `is unknown; use one of ${rngAlgorithms.join(', ')} (default ${defaultRngAlgorithm})`,
        );
      }
      return raw;
  }
}
