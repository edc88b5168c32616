import { ModelDirError } from '../errors.ts';
import { configObject } from './config-fields.ts';
import { type Gemma2Config, gemma2Family } from './families/gemma2.ts';
import { type Gpt2Config, gpt2Family } from './families/gpt2.ts';
import { type LlamaConfig, llamaFamily } from './families/llama.ts';
import type { FamilyName, ModelFamily } from './families/model-family.ts';

/** Every architecture the harness runs, told apart by config.json's `model_type`. */
export type ModelConfig = Gpt2Config | LlamaConfig | Gemma2Config;

/** The config type of each family, for the per-family records other layers keep. */
export interface FamilyConfigs {
  readonly gpt2: Gpt2Config;
  readonly llama: LlamaConfig;
  readonly gemma2: Gemma2Config;
}

/** Every family the harness implements (the one list), in the order messages name them. */
const MODEL_FAMILIES: { readonly [N in FamilyName]: ModelFamily<FamilyConfigs[N]> } = {
  gpt2: gpt2Family,
  llama: llamaFamily,
  gemma2: gemma2Family,
};

const FAMILY_LIST = Object.values(MODEL_FAMILIES);

export const SUPPORTED_MODEL_TYPES: readonly string[] = FAMILY_LIST.flatMap((f) => f.modelTypes);

function familyForModelType(modelType: unknown): ModelFamily<ModelConfig> | undefined {
  // A family's functions take its own config type, and it is chosen by that config's model_type.
  return FAMILY_LIST.find((f) => f.modelTypes.includes(modelType as string)) as
    | ModelFamily<ModelConfig>
    | undefined;
}

/** The family record of a validated config. */
export function familyOf(config: ModelConfig): ModelFamily<ModelConfig> {
  return familyForModelType(config.model_type) as ModelFamily<ModelConfig>;
}

/** The family's name, for looking up a layer's per-family record. */
export function familyNameOf(config: ModelConfig): FamilyName {
  return familyOf(config).name;
}

/** Validate a parsed config.json, choosing the family by model_type; `file` names it in messages. */
export function parseModelConfig(raw: unknown, file: string): ModelConfig {
  const modelType = configObject(raw, file).model_type;
  const family = familyForModelType(modelType);
  if (family === undefined) {
    throw new ModelDirError(
      `${file}: model_type ${JSON.stringify(modelType)} is not supported; supported: ` +
        `${SUPPORTED_MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')} ` +
        '(qwen2 and mistral as Llama without sliding windows); export a model of one of these types',
    );
  }
  return family.parseConfig(raw, file);
}

/** Longest sequence (prompt + generated) the model accepts: n_positions / max_position_embeddings. */
export function maxPositions(config: ModelConfig): number {
  return familyOf(config).maxPositions(config);
}

/** Transformer blocks, i.e. past_key_values.{i} layers. */
export function numLayers(config: ModelConfig): number {
  return familyOf(config).numLayers(config);
}

/** Heads in the KV cache (dim 1 of past_key_values.{i}.key): fewer than query heads under GQA. */
export function numKvHeads(config: ModelConfig): number {
  return familyOf(config).numKvHeads(config);
}

/** Width of one attention head (dim 3 of past_key_values.{i}.key). */
export function headDim(config: ModelConfig): number {
  return familyOf(config).headDim(config);
}

/** A token id to put in left-padding columns (masked out, so any valid id works): the first eos id. */
export function padTokenId(config: ModelConfig): number {
  const eos = config.eos_token_id;
  return typeof eos === 'number' ? eos : (eos[0] as number);
}
