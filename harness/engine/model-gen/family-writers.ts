import type { FamilyName } from '../../core/model/families/model-family.ts';
import type { FamilyConfigs } from '../../core/model/model-config.ts';
import type { F32Tensor } from '../../core/model/safetensors.ts';
import { type Gpt2WeightScales, generateGpt2Weights } from './generate-gpt2-weights.ts';
import { generateLlamaWeights, type LlamaWeightScales } from './generate-llama-weights.ts';
import { gpt2ModelDirFiles } from './gpt2-model-dir.ts';
import { llamaModelDirFiles } from './llama-model-dir.ts';
import { buildLlamaOnnx } from './llama-onnx.ts';
import type { LazyModelDirFiles } from './write-model-dir.ts';

/** How the project makes one family's models: seeded weights, then the model dir with its ONNX graph. */
export interface FamilyWriter<C, S> {
  /** Weights by Hugging Face parameter name, as the family's parameter layout names them. */
  generateWeights(config: C, seed: number, scales: S): ReadonlyMap<string, F32Tensor>;
  /** config.json, generation_config.json, tokenizer files, onnx/model.onnx and model.safetensors. */
  modelDirFiles(config: C, weights: ReadonlyMap<string, F32Tensor>): LazyModelDirFiles;
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
}

/** Every family's writer; a family added to FamilyName without an entry here fails to compile. */
export const FAMILY_WRITERS: { readonly [N in FamilyName]: FamilyWriter<FamilyConfigs[N], FamilyScales[N]> } =
  {
    gpt2: {
      generateWeights: generateGpt2Weights,
      modelDirFiles: gpt2ModelDirFiles,
      safetensorsName: (name) => `transformer.${name}`,
    },
    llama: {
      generateWeights: generateLlamaWeights,
      modelDirFiles: llamaModelDirFiles,
      safetensorsName: (name) => name,
      groupQueryGraph: (config, weights) => buildLlamaOnnx(config, weights, { attention: 'group-query' }),
    },
  };
