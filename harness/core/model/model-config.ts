import { ModelDirError } from '../errors.ts';
import { configObject } from './config-fields.ts';
import { type Gpt2Config, parseGpt2Config } from './gpt2-config.ts';
import { isLlamaModelType, LLAMA_MODEL_TYPES, type LlamaConfig, parseLlamaConfig } from './llama-config.ts';

/**
 * Every architecture the harness runs, told apart by config.json's `model_type` as Hugging Face
 * writes it. Code that only needs a size or a count uses the accessors below instead of switching
 * on the family itself.
 */
export type ModelConfig = Gpt2Config | LlamaConfig;

export const SUPPORTED_MODEL_TYPES: readonly string[] = ['gpt2', ...LLAMA_MODEL_TYPES];

/** Validate a parsed config.json, choosing the family by model_type; `file` names it in messages. */
export function parseModelConfig(raw: unknown, file: string): ModelConfig {
  const modelType = configObject(raw, file).model_type;
  if (modelType === 'gpt2') return parseGpt2Config(raw, file);
  if (isLlamaModelType(modelType)) return parseLlamaConfig(raw, file);
  throw new ModelDirError(
    `${file}: model_type ${JSON.stringify(modelType)} is not supported; supported: ` +
      `${SUPPORTED_MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')} ` +
      '(qwen2 and mistral as Llama without sliding windows); export a model of one of these types',
  );
}

/** Longest sequence (prompt + generated) the model accepts: n_positions / max_position_embeddings. */
export function maxPositions(config: ModelConfig): number {
  return config.model_type === 'gpt2' ? config.n_positions : config.max_position_embeddings;
}

/** Transformer blocks, i.e. past_key_values.{i} layers. */
export function numLayers(config: ModelConfig): number {
  return config.model_type === 'gpt2' ? config.n_layer : config.num_hidden_layers;
}

/** Heads in the KV cache (dim 1 of past_key_values.{i}.key): fewer than query heads under GQA. */
export function numKvHeads(config: ModelConfig): number {
  return config.model_type === 'gpt2' ? config.n_head : config.num_key_value_heads;
}

/** Width of one attention head (dim 3 of past_key_values.{i}.key). */
export function headDim(config: ModelConfig): number {
  return config.model_type === 'gpt2' ? config.n_embd / config.n_head : config.head_dim;
}

/** A token id to put in left-padding columns (masked out, so any valid id works): the first eos id. */
export function padTokenId(config: ModelConfig): number {
  const eos = config.eos_token_id;
  return typeof eos === 'number' ? eos : eos[0]!;
}
