import type { FamilyName } from '../../core/model/families/model-family.ts';
import type { FamilyConfigs } from '../../core/model/model-config.ts';
import type { F32Tensor } from '../../core/model/safetensors.ts';
import type { OnnxWeight } from '../../core/onnx/onnx-decoder-io.ts';
import type { FloatType } from '../../core/onnx/onnx-graph.ts';
import { gemma2ModelDirFiles } from './gemma2-model-dir.ts';
import { buildGemma2Onnx } from './gemma2-onnx.ts';
import { type Gemma2WeightScales, generateGemma2Weights } from './generate-gemma2-weights.ts';
import { type Gpt2WeightScales, generateGpt2Weights } from './generate-gpt2-weights.ts';
import { generateLlamaWeights, type LlamaWeightScales } from './generate-llama-weights.ts';
import { gpt2ModelDirFiles } from './gpt2-model-dir.ts';
import { buildGpt2Onnx } from './gpt2-onnx.ts';
import { llamaModelDirFiles } from './llama-model-dir.ts';
import { buildLlamaOnnx } from './llama-onnx.ts';
import type { LazyModelDirFiles } from './write-model-dir.ts';

/** How the project makes one family's models: seeded weights, then the model dir with its ONNX graph. */
export interface FamilyWriter<C, S> {
  /** Weights by Hugging Face parameter name, as the family's parameter layout names them. */
  generateWeights(config: C, seed: number, scales: S): ReadonlyMap<string, F32Tensor>;
  /** config.json, generation_config.json, tokenizer files, onnx/model.onnx and model.safetensors. */
  modelDirFiles(config: C, weights: ReadonlyMap<string, F32Tensor>): LazyModelDirFiles;
  /**
   * onnx/model.onnx's decoder for these weights in `float`: float32 is the model files' graph,
   * float64 the same model with its weights widened exactly and its constants exact.
   */
  onnxGraph(config: C, weights: ReadonlyMap<string, OnnxWeight>, float: FloatType): Uint8Array;
  /** A parameter's name inside model.safetensors (GPT2LMHeadModel prefixes `transformer.`). */
  safetensorsName(name: string): string;
  /**
   * The decoder as onnxruntime-genai's model builder writes it (GroupQueryAttention), for the
   * families the builder exports; absent for the others.
   */
  groupQueryGraph?(config: C, weights: ReadonlyMap<string, F32Tensor>): Uint8Array;
}

/** Each family's weight scales: the knobs a generated model's entry sets. */
export interface FamilyScales {
  readonly gpt2: Gpt2WeightScales;
  readonly llama: LlamaWeightScales;
  readonly gemma2: Gemma2WeightScales;
}

/** Every family's writer; a family added to FamilyName without an entry here fails to compile. */
export const FAMILY_WRITERS: { readonly [N in FamilyName]: FamilyWriter<FamilyConfigs[N], FamilyScales[N]> } =
  {
    gpt2: {
      generateWeights: generateGpt2Weights,
      modelDirFiles: gpt2ModelDirFiles,
      onnxGraph: (config, weights, float) => buildGpt2Onnx(config, weights, { float }),
      safetensorsName: (name) => `transformer.${name}`,
    },
    llama: {
      generateWeights: generateLlamaWeights,
      modelDirFiles: llamaModelDirFiles,
      onnxGraph: (config, weights, float) => buildLlamaOnnx(config, weights, { float }),
      safetensorsName: (name) => name,
      groupQueryGraph: (config, weights) => buildLlamaOnnx(config, weights, { attention: 'group-query' }),
    },
    gemma2: {
      generateWeights: generateGemma2Weights,
      modelDirFiles: gemma2ModelDirFiles,
      onnxGraph: (config, weights, float) => buildGemma2Onnx(config, weights, { float }),
      safetensorsName: (name) => name,
    },
  };
