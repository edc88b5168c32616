import type { BackendFactory, BackendOptions } from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { readSafetensors } from '../../harness/core/model/safetensors.ts';
import { Gpt2F32 } from './gpt2-f32.ts';
import { Gpt2F64 } from './gpt2-f64.ts';
import { gpt2Weights } from './gpt2-weights.ts';
import { LlamaF32 } from './llama-f32.ts';
import { LlamaF64 } from './llama-f64.ts';
import { llamaWeights } from './llama-weights.ts';

/** `ts:f64`: the float64 reference every other backend is measured against. */
export const tsF64Factory: BackendFactory = {
  id: 'ts:f64',
  summary: 'pure TypeScript, naive float64 kernels (the reference); GPT-2 and Llama families',
  availability: async () => ({ available: true }),
  create: async (model, options) => {
    const { config, tensors, file } = load('ts:f64', model, options);
    return config.model_type === 'gpt2'
      ? new Gpt2F64(gpt2Weights(tensors, config, Float64Array, file))
      : new LlamaF64(llamaWeights(tensors, config, Float64Array, file));
  },
};

/** `ts:f32`: pure TypeScript with the fast float32 kernels. */
export const tsF32Factory: BackendFactory = {
  id: 'ts:f32',
  summary: 'pure TypeScript, fast float32 kernels; GPT-2 and Llama families',
  availability: async () => ({ available: true }),
  create: async (model, options) => {
    const { config, tensors, file } = load('ts:f32', model, options);
    return config.model_type === 'gpt2'
      ? new Gpt2F32(gpt2Weights(tensors, config, Float32Array, file))
      : new LlamaF32(llamaWeights(tensors, config, Float32Array, file));
  },
};

/** The model's config and tensors, after checking the options a TS backend accepts. */
function load(id: string, model: ModelDir, options: BackendOptions | undefined) {
  const threads = options?.threads;
  if (threads !== undefined && threads !== 1) {
    throw new UsageError(`${id} runs on one thread; got threads ${threads}; pass 1 or leave it unset`);
  }
  const file = model.safetensorsPath;
  return { config: model.config, tensors: readSafetensors(file), file };
}
