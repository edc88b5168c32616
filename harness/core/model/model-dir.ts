import type { ModelConfig } from './model-config.ts';

/**
 * A validated model directory in the Hugging Face layout:
 *   config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
 *   onnx/model.onnx (KV-cache graph), model.safetensors (HF parameter names).
 * Loading and validation live in load-model-dir.ts.
 */
export interface ModelDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Embedded model name (e.g. `tiny-gpt2`) or the directory's basename. */
  readonly name: string;
  /** config.json, validated; the family is `config.model_type`. */
  readonly config: ModelConfig;
  /** generation_config.json as written (HF names); validated by the decode config parser. */
  readonly generationConfig: Readonly<Record<string, unknown>>;
  readonly onnxPath: string;
  readonly safetensorsPath: string;
}
