import type { ExternalDataFile } from '../onnx/external-data.ts';
import type { ModelConfig } from './model-config.ts';
import type { OnnxDtype } from './onnx-variants.ts';

/** One decoder graph file in a model dir. */
export interface OnnxGraphFile {
  /** Path relative to the model dir, `/`-separated (`onnx/model_q4.onnx`). */
  readonly file: string;
  /** The dtype its name says (onnx-variants.ts); null for a graph given by --onnx under another name. */
  readonly dtype: OnnxDtype | null;
}

/**
 * A validated model directory in the Hugging Face layout:
 *   config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
 *   one or more decoder graphs (onnx/model.onnx and transformers.js's variants, see onnx-variants.ts),
 *   and optionally model.safetensors (HF parameter names), which the TS kernels compute from.
 * Loading and validation live in read-model-dir.ts.
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
  /** The graph the ONNX backends run (chosen by --dtype / --onnx / config.json). */
  readonly graph: OnnxGraphFile;
  /** Absolute path of `graph`. */
  readonly onnxPath: string;
  /** The files beside `graph` holding its weights (ONNX external data), checked complete; often none. */
  readonly externalData: readonly ExternalDataFile[];
  /** Every decoder graph variant the directory holds, in ONNX_DTYPES order. */
  readonly variants: readonly OnnxGraphFile[];
  /** Absolute path of model.safetensors, or null for an ONNX-only directory. */
  readonly safetensorsPath: string | null;
}

/**
 * Whether model.safetensors holds the weights the chosen graph computes with, so the TS kernels
 * compute the same function: only the plain (fp32-named) graph is an export of them; a quantized
 * or float16 variant, or a graph given under another name, is not.
 */
export function safetensorsDescribeGraph(model: ModelDir): boolean {
  return model.safetensorsPath !== null && model.graph.dtype === 'fp32';
}
