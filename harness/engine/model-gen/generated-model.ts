import { roundToFloat16 } from '../../core/model/float16.ts';
import type { Gpt2Config } from '../../core/model/gpt2-config.ts';
import type { LlamaConfig } from '../../core/model/llama-config.ts';
import { float16ModelDirFiles } from './float16-model-dir.ts';
import { type Gpt2WeightScales, generateGpt2Weights } from './generate-gpt2-weights.ts';
import { generateLlamaWeights, type LlamaWeightScales } from './generate-llama-weights.ts';
import { gpt2ModelDirFiles } from './gpt2-model-dir.ts';
import { llamaModelDirFiles } from './llama-model-dir.ts';
import type { LazyModelDirFiles } from './write-model-dir.ts';

/** A model the project generates from a seed: its architecture, PRNG seed and weight scales. */
export type GeneratedModel = (
  | {
      readonly family: 'gpt2';
      readonly config: Gpt2Config;
      /** uint32 seed of the integer PRNG. */
      readonly seed: number;
      readonly scales: Gpt2WeightScales;
    }
  | {
      readonly family: 'llama';
      readonly config: LlamaConfig;
      readonly seed: number;
      readonly scales: LlamaWeightScales;
    }
) & {
  /** Storage and compute dtype of the files; float32 when absent. */
  readonly dtype?: 'float16';
};

/**
 * Generate the weights now and return every file of the model dir, each made when asked (so a
 * writer holds one large file at a time). Deterministic: the same model gives the same bytes.
 */
export function generatedModelFiles(model: GeneratedModel): LazyModelDirFiles {
  const raw =
    model.family === 'gpt2'
      ? generateGpt2Weights(model.config, model.seed, model.scales)
      : generateLlamaWeights(model.config, model.seed, model.scales);
  // A float16 model is the float32 one with every weight rounded to float16 first.
  const weights =
    model.dtype === 'float16'
      ? new Map([...raw].map(([name, t]) => [name, { ...t, data: roundToFloat16(t.data) }]))
      : raw;
  const files =
    model.family === 'gpt2'
      ? gpt2ModelDirFiles(model.config, weights)
      : llamaModelDirFiles(model.config, weights);
  if (model.dtype !== 'float16') return files;
  // The names each family's model.safetensors uses (see gpt2ModelDirFiles / llamaModelDirFiles).
  const safetensorsName = model.family === 'gpt2' ? (n: string) => `transformer.${n}` : (n: string) => n;
  return float16ModelDirFiles(files, weights, safetensorsName);
}
