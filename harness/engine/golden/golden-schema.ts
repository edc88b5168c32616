import * as v from 'valibot';
import { GENERATION_FIELDS, GENERATION_OPTIONS, type GenerationConfig } from '../decode/generation-config.ts';

/** Bumped whenever a field changes meaning; files with another tag are refused, never guessed at. */
export const GOLDEN_SCHEMA = 'decode-harness/golden@1';

const tokenId = v.pipe(v.number(), v.integer(), v.minValue(0));
const finite = v.pipe(v.number(), v.finite());
const sha256 = v.pipe(
  v.string(),
  v.regex(/^[0-9a-f]{64}$/, 'Invalid sha256: expected 64 lowercase hex digits'),
);
/** Per compute dtype, as LOGIT_TOLERANCE is keyed. */
const perDtype = v.strictObject({ float64: finite, float32: finite, float16: finite });

/**
 * The resolved GenerationConfig, keyed as the option table says: every 'required' field present, a
 * 'defaulted' one optional (older files mean its default). Values are validated by the resolver on
 * load (parse-golden.ts), with the same rules and messages as every other source of settings.
 */
const configSchema = v.strictObject(
  Object.fromEntries(
    GENERATION_FIELDS.map((field) => [
      field,
      GENERATION_OPTIONS[field].golden === 'required' ? v.nonOptional(v.unknown()) : v.optional(v.unknown()),
    ]),
  ),
);

const stepSchema = v.strictObject({
  id: tokenId,
  /** Raw (unprocessed) log-probability of the chosen token, nats. */
  logprob: finite,
  /** The raw distribution's best [id, logprob] pairs in candidate order. */
  top: v.array(v.strictTuple([tokenId, finite])),
  /**
   * Greedy only: processed-score gap between the best and second-best token (null when only one
   * token survived the processors): how far this step was from flipping.
   */
  margin: v.optional(v.nullable(finite)),
  /** Sampling only: the coin and the chosen token's [low, high) CDF interval. */
  coin: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  cdf: v.optional(v.strictTuple([finite, finite])),
});

const sequenceSchema = v.strictObject({
  tokenIds: v.array(tokenId),
  text: v.string(),
  finishReason: v.picklist(['eos', 'stop_string', 'max_new_tokens']),
  totalLogprob: finite,
  /** Beam search only: HF's beam score. */
  score: v.optional(finite),
  steps: v.array(stepSchema),
});

export const goldenSchema = v.strictObject({
  schema: v.literal(GOLDEN_SCHEMA),
  /** `<case id>--<prompt name>`, also the file name. */
  id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9.-]*$/, 'Invalid id: use a-z, 0-9, "." and "-"')),
  model: v.strictObject({
    name: v.string(),
    /** sha256 of `sha256sum <files>` output: the model's identity (see model-identity.ts). */
    sha256,
    files: v.record(v.string(), sha256),
  }),
  prompt: v.strictObject({ text: v.string(), ids: v.pipe(v.array(tokenId), v.minLength(1)) }),
  config: configSchema,
  expected: v.strictObject({
    strategy: v.picklist(['greedy', 'sample', 'beam']),
    sequences: v.pipe(v.array(sequenceSchema), v.minLength(1)),
    /**
     * Beam only, one per search step: the smallest score gap between two adjacent candidates whose
     * fates differ (kept / finished / dropped); null when nothing could swap.
     */
    beamMargins: v.optional(v.array(v.nullable(finite))),
    /** Beam only: smallest score gap between consecutive hypotheses at the return cut; null if none. */
    rankMargin: v.optional(v.nullable(finite)),
  }),
  tolerances: v.strictObject({
    /** Teacher-forced |Δlogprob| of the chosen and top-k tokens, nats. */
    logprobAbs: perDtype,
    /** Greedy top-2 / beam decision gap that counts as a near-tie, nats (beam: × steps so far). */
    nearTie: perDtype,
    /** Sampling: distance of the coin from its CDF interval edge that counts as a boundary hit. */
    cdfBoundary: perDtype,
  }),
  provenance: v.strictObject({
    /** What recorded it: always the reference backend. */
    backend: v.strictObject({
      id: v.string(),
      device: v.string(),
      /** Absent in goldens recorded before backends reported it. */
      deviceKind: v.optional(v.picklist(['cpu', 'gpu', 'software-gpu'])),
      executionProvider: v.string(),
      dtype: v.picklist(['float64', 'float32', 'float16']),
      /** onnx:f64: the float type of the graph whose constants it computes from. */
      toleranceDtype: v.optional(v.picklist(['float64', 'float32', 'float16'])),
      threads: v.number(),
      versions: v.record(v.string(), v.string()),
    }),
    command: v.string(),
    versions: v.record(v.string(), v.string()),
    recordedAt: v.string(),
    gitCommit: v.nullable(v.string()),
  }),
});

/** A golden as parse-golden returns it: its config resolved (defaults applied, every value checked). */
export type Golden = Omit<v.InferOutput<typeof goldenSchema>, 'config'> & {
  readonly config: GenerationConfig;
};
export type GoldenSequence = Golden['expected']['sequences'][number];
export type GoldenTolerances = Golden['tolerances'];
