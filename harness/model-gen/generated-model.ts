import type { Gpt2Config } from '../model/gpt2-config.ts';
import type { LlamaConfig } from '../model/llama-config.ts';
import { gpt2ModelDirFiles } from './gpt2-model-dir.ts';
import { type Gpt2WeightScales, generateGpt2Weights } from './gpt2-weights.ts';
import { llamaModelDirFiles } from './llama-model-dir.ts';
import { generateLlamaWeights, type LlamaWeightScales } from './llama-weights.ts';
import type { LazyModelDirFiles } from './write-model-dir.ts';

/** A model the project generates from a seed: its architecture, PRNG seed and weight scales. */
export type GeneratedModel =
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
    };

/**
 * Generate the weights now and return every file of the model dir, each made when asked (so a
 * writer holds one large file at a time). Deterministic: the same model gives the same bytes.
 */
export function generatedModelFiles(model: GeneratedModel): LazyModelDirFiles {
  return model.family === 'gpt2'
    ? gpt2ModelDirFiles(model.config, generateGpt2Weights(model.config, model.seed, model.scales))
    : llamaModelDirFiles(model.config, generateLlamaWeights(model.config, model.seed, model.scales));
}
