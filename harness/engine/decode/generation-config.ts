import { UsageError } from '../../core/errors.ts';
import type { RngAlgorithm } from '../../core/rng/rng.ts';
import { defaultRngAlgorithm, isRngAlgorithm, rngAlgorithms } from '../../core/rng/seeded-rng.ts';

/**
 * One row per decoding option, with Hugging Face's GenerationConfig name (snake_case, as in
 * generation_config.json): its default, its validation, its command-line flag and help, what it
 * feeds, what the transformers.js-compatible mode does with it, and how goldens store it. The config
 * type, the defaults, the resolver, the CLI flags and help, and the golden schema are all derived
 * from this table, so an option is declared here and nowhere else.
 * https://huggingface.co/docs/transformers/main_classes/text_generation#transformers.GenerationConfig
 */
export interface GenerationOption<T> {
  /** HF's default (GenerationConfig.__init__), except where `doc` says otherwise. */
  readonly default: T;
  /** What it means, for --help readers and code readers alike. */
  readonly doc: string;
  /** Validate one value from any source; `label` names it in the message (`--top-p`, `gen.json: top_p`). */
  readonly check: (raw: unknown, label: string, vocabSize: number) => T;
  /**
   * The command-line flag `--<field in kebab case>`: how its text becomes a value (`number` through
   * the CLI's one number parser, `boolean` a bare switch, `strings` repeatable, `text` through
   * `fromText`), and the help entry's value placeholder and note. null: no flag.
   */
  readonly flag: OptionFlag | null;
  /** What the value drives: a processor of the chain (by its HF name), the search, or stopping. */
  readonly feeds: string;
  /**
   * transformers.js-compatible mode (`rng mt19937`): 'reproduced', or what transformers.js's
   * generate() lacks ("ignores top_p"), for which a value other than the default is refused there.
   */
  readonly transformersJs: 'reproduced' | { readonly refused: string };
  /**
   * Goldens store the resolved config. 'required': every golden@1 file has the field. 'defaulted':
   * the option came later, and a file without it means the default (committed goldens stay valid).
   */
  readonly golden: 'required' | 'defaulted';
}

export interface OptionFlag {
  readonly type: 'number' | 'boolean' | 'strings' | 'text';
  /** The help entry after the flag: value placeholder and note, e.g. `P (1 = off)`. */
  readonly help: string;
  readonly fromText?: (text: string) => unknown;
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

function int(min: number, max = Number.MAX_SAFE_INTEGER, why = '') {
  return (raw: unknown, label: string): number => {
    if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < min || raw > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
      fail(label, raw, `must be a whole number ${range}${why}`);
    }
    return raw;
  };
}

function num(ok: (x: number) => boolean, rule: string) {
  return (raw: unknown, label: string): number => {
    if (typeof raw !== 'number' || !Number.isFinite(raw) || !ok(raw)) fail(label, raw, rule);
    return raw;
  };
}

/**
 * The row helper: infers T from the default and the check, and keeps the flag's literal type so the
 * command line's option spec can be derived with types (see DecodeFlagSpec).
 */
const option = <T, const F extends OptionFlag | null>(
  row: GenerationOption<T> & { readonly flag: F },
): GenerationOption<T> & { readonly flag: F } => row;

export const GENERATION_OPTIONS = {
  max_new_tokens: option({
    default: 20,
    doc: 'tokens to generate at most (HF leaves this to max_length = 20; the same 20 new tokens here)',
    check: int(1),
    flag: { type: 'number', help: 'N (20)' },
    feeds: 'stopping',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  min_new_tokens: option({
    default: 0,
    doc: 'eos ids are suppressed until this many tokens are generated',
    check: int(0),
    flag: { type: 'number', help: 'N (0)' },
    feeds: 'min_new_tokens processor',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  do_sample: option({
    default: false,
    doc: 'sample from the processed distribution instead of searching',
    check: (raw, label) => {
      if (typeof raw !== 'boolean') fail(label, raw, 'must be true or false');
      return raw;
    },
    flag: { type: 'boolean', help: '' },
    feeds: 'search',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  temperature: option({
    default: 1,
    doc: 'softmax temperature; 0 means greedy (with or without do_sample)',
    check: num((x) => x >= 0, 'must be a number ≥ 0 (0 means greedy)'),
    flag: { type: 'number', help: 'T (1; 0 = greedy)' },
    feeds: 'temperature warper',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  top_k: option({
    default: 50,
    doc: "keep the k best tokens; HF's 50 applies whenever sampling, unless set; 0 disables",
    check: int(0),
    flag: { type: 'number', help: 'K (50 when sampling; 0 = off)' },
    feeds: 'top_k warper',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  top_p: option({
    default: 1,
    doc: 'nucleus: keep the smallest set whose probability reaches p; 1 disables',
    check: num((x) => x > 0 && x <= 1, 'must be in (0, 1] (1 disables top-p)'),
    flag: { type: 'number', help: 'P (1 = off)' },
    feeds: 'top_p warper',
    transformersJs: { refused: 'ignores top_p' },
    golden: 'required',
  }),
  min_p: option({
    default: 0,
    doc: "drop tokens below min_p × the best token's probability; 0 disables (HF: None)",
    check: num((x) => x >= 0 && x <= 1, 'must be in [0, 1] (0 disables min-p)'),
    flag: { type: 'number', help: 'P (0 = off)' },
    feeds: 'min_p warper',
    transformersJs: { refused: 'has no min_p' },
    golden: 'required',
  }),
  typical_p: option({
    default: 1,
    doc: 'locally typical sampling: keep the tokens closest to the expected information until this mass; 1 disables',
    check: num((x) => x > 0 && x <= 1, 'must be in (0, 1] (1 disables typical-p)'),
    flag: { type: 'number', help: 'P (1 = off)' },
    feeds: 'typical_p warper',
    transformersJs: { refused: 'has no typical_p' },
    golden: 'defaulted',
  }),
  epsilon_cutoff: option({
    default: 0,
    doc: 'drop tokens whose probability is below epsilon; 0 disables',
    check: num((x) => x >= 0 && x < 1, 'must be in [0, 1) (0 disables the epsilon cutoff)'),
    flag: { type: 'number', help: 'E (0 = off)' },
    feeds: 'epsilon_cutoff warper',
    transformersJs: { refused: 'has no epsilon_cutoff' },
    golden: 'defaulted',
  }),
  eta_cutoff: option({
    default: 0,
    doc: 'drop tokens below min(eta, sqrt(eta) · exp(-entropy)); 0 disables',
    check: num((x) => x >= 0 && x < 1, 'must be in [0, 1) (0 disables the eta cutoff)'),
    flag: { type: 'number', help: 'E (0 = off)' },
    feeds: 'eta_cutoff warper',
    transformersJs: { refused: 'has no eta_cutoff' },
    golden: 'defaulted',
  }),
  repetition_penalty: option({
    default: 1,
    doc: 'divide positive (multiply negative) scores of tokens already in the sequence; 1 disables',
    check: num((x) => x > 0, 'must be a number > 0 (1 disables the penalty)'),
    flag: { type: 'number', help: 'R (1 = off)' },
    feeds: 'repetition_penalty processor',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  no_repeat_ngram_size: option({
    default: 0,
    doc: 'ban every token that would repeat an n-gram of this size; 0 disables',
    check: int(0),
    flag: { type: 'number', help: 'N (0 = off)' },
    feeds: 'no_repeat_ngram processor',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  num_beams: option({
    default: 1,
    doc: 'beam width; above 1 runs beam search',
    check: int(1, MAX_BATCH_ROWS, ' (each is a batch row with its own KV cache)'),
    flag: { type: 'number', help: 'N (1)' },
    feeds: 'search',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  length_penalty: option({
    default: 1,
    doc: 'beam scores are sum(logprob) / length ** length_penalty',
    check: num(() => true, 'must be a finite number'),
    flag: { type: 'number', help: 'L (1)' },
    feeds: 'search',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  early_stopping: option<boolean | 'never', OptionFlag>({
    default: false,
    doc: "when beam search stops: HF's true, false (heuristic) or 'never'",
    check: (raw, label) => {
      if (raw !== true && raw !== false && raw !== 'never')
        fail(label, raw, 'must be true, false or "never"');
      return raw;
    },
    flag: {
      type: 'text',
      help: 'true|false|never',
      fromText: (text) => (text === 'true' ? true : text === 'false' ? false : text),
    },
    feeds: 'search',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  num_return_sequences: option({
    default: 1,
    doc: 'sequences returned (sampling: independent rows; beam: the best hypotheses)',
    check: int(1, MAX_BATCH_ROWS, ' (each is a batch row with its own KV cache)'),
    flag: { type: 'number', help: 'N' },
    feeds: 'search',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  eos_token_id: option<readonly number[], null>({
    default: [],
    doc: "end-of-sequence ids (from the model's generation_config.json and config.json)",
    check: (raw, label, vocabSize) => {
      const ids = Array.isArray(raw) ? raw : [raw];
      for (const id of ids) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
          fail(label, raw, `must be a token id (or a list of them) below vocab_size ${vocabSize}`);
        }
      }
      return ids as number[];
    },
    flag: null,
    feeds: 'stopping, min_new_tokens processor',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  stop_strings: option<readonly string[], { type: 'strings'; help: string }>({
    default: [],
    doc: "generation stops once the continuation's text completes one of these",
    check: (raw, label) => {
      const strings = Array.isArray(raw) ? raw : [raw];
      if (strings.some((s) => typeof s !== 'string' || s.length === 0)) {
        fail(label, raw, 'must be a non-empty string or a list of them');
      }
      return strings as string[];
    },
    flag: { type: 'strings', help: 'S (repeatable)' },
    feeds: 'stopping',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  seed: option<number | null, { type: 'number'; help: string }>({
    default: null,
    doc: 'the seed of the coins; required to sample (no entropy default)',
    check: (raw, label) => {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
        fail(
          label,
          raw,
          'must be a whole number in [0, 2^53 - 1], e.g. 42 (no entropy default: a sampled run can always be repeated)',
        );
      }
      return raw;
    },
    flag: { type: 'number', help: 'N (required to sample)' },
    feeds: 'rng',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
  rng: option<RngAlgorithm, { type: 'text'; help: string }>({
    default: defaultRngAlgorithm,
    doc: "the RNG behind the coins: a seedrandom algorithm, or 'mt19937' (CPython / transformers.js)",
    check: (raw, label) => {
      if (typeof raw !== 'string' || !isRngAlgorithm(raw)) {
        fail(
          label,
          raw,
          `is unknown; use one of ${rngAlgorithms.join(', ')} (default ${defaultRngAlgorithm})`,
        );
      }
      return raw;
    },
    flag: { type: 'text', help: `alea|…|mt19937 (${defaultRngAlgorithm})` },
    feeds: 'rng',
    transformersJs: 'reproduced',
    golden: 'required',
  }),
} as const;

type OptionValue<O> = O extends GenerationOption<infer T> ? T : never;

type Kebab<S extends string> = S extends `${infer A}_${infer B}` ? `${A}-${Kebab<B>}` : S;
type Options = typeof GENERATION_OPTIONS;
type ParseArgsSpec<F> = F extends { type: 'boolean' }
  ? { readonly type: 'boolean' }
  : F extends { type: 'strings' }
    ? { readonly type: 'string'; readonly multiple: true }
    : { readonly type: 'string' };

/** util.parseArgs's spec for every option that has a flag, keyed by the flag's name. */
export type DecodeFlagSpec = {
  readonly [K in keyof Options as Options[K]['flag'] extends null ? never : Kebab<K>]: ParseArgsSpec<
    Options[K]['flag']
  >;
};

/** Decoding settings, fully resolved: every field has a value and has been validated. */
export type GenerationConfig = {
  readonly [K in keyof typeof GENERATION_OPTIONS]: OptionValue<(typeof GENERATION_OPTIONS)[K]>;
};

/** The fields this harness reads, in table order; anything else in a file is ignored, as HF does. */
export const GENERATION_FIELDS = Object.keys(GENERATION_OPTIONS) as (keyof GenerationConfig)[];

/** Every option's default. */
export const HF_DEFAULTS: GenerationConfig = Object.fromEntries(
  GENERATION_FIELDS.map((field) => [field, GENERATION_OPTIONS[field].default]),
) as GenerationConfig;

/** The flag of an option: its HF name in kebab case (`top_p` → `--top-p`). */
export const cliLabel = (field: string): string => `--${field.replaceAll('_', '-')}`;

export type Strategy = 'greedy' | 'sample' | 'beam';

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
