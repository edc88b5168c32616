/**
 * What the harness knows about one architecture, independent of any backend: how to read its
 * config.json, its dimensions, the parameters its weights must hold, and what a decode step reads.
 * The families are listed once, in model-config.ts (MODEL_FAMILIES); the layers above keep their
 * own per-family parts in records keyed by FamilyName (backends/ts-kernels/family-kernels.ts,
 * harness/engine/model-gen/family-writers.ts), so a family missing from one fails to compile.
 */
export interface ModelFamily<C> {
  readonly name: FamilyName;
  /** config.json `model_type` values this family reads, as Hugging Face writes them. */
  readonly modelTypes: readonly string[];
  /** Validate a parsed config.json whose model_type is one of `modelTypes`; `file` names it in messages. */
  parseConfig(raw: unknown, file: string): C;
  /** Longest sequence (prompt + generated) the model accepts. */
  maxPositions(config: C): number;
  /** Transformer blocks, i.e. past_key_values.{i} layers. */
  numLayers(config: C): number;
  /** Heads in the KV cache (dim 1 of past_key_values.{i}.key): fewer than query heads under GQA. */
  numKvHeads(config: C): number;
  /** Width of one attention head (dim 3 of past_key_values.{i}.key). */
  headDim(config: C): number;
  /** Every parameter, in file order, with Hugging Face's names and shapes. */
  parameterLayout(config: C): ParameterLayout;
  /**
   * Parameters one decode step reads (the roofline's numerator, times the dtype's bytes): a lookup
   * table reads one row per token, so position tables and an untied embedding count one row.
   */
  parametersReadPerStep(config: C, parameterCount: number): number;
}

/** Every family the harness implements; each layer's per-family record is keyed by these. */
export type FamilyName = 'gpt2' | 'llama' | 'gemma2';

/** One parameter a config implies: HF name, its dims in config terms (for messages) and its shape. */
export interface ExpectedParameter {
  readonly name: string;
  readonly dims: string;
  readonly shape: readonly number[];
}

/** Every parameter of a model, in file order, and how to name its layer count in messages. */
export interface ParameterLayout {
  /** config.json's key for the layer count (`n_layer`, `num_hidden_layers`). */
  readonly layersKey: string;
  readonly layers: number;
  /** Name of layer i's first parameter: missing means too few layers, present at i = layers too many. */
  layerMarker(i: number): string;
  readonly parameters: readonly ExpectedParameter[];
}
