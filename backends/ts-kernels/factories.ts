import type { BackendFactory, BackendOptions } from '../../harness/backend/contract.ts';
import { UsageError } from '../../harness/errors.ts';
import type { ModelDir } from '../../harness/model/model-dir.ts';
import { readSafetensors } from '../../harness/model/safetensors.ts';
import { Gpt2F32 } from './gpt2-f32.ts';
import { Gpt2F64 } from './gpt2-f64.ts';
import { type FloatArray, type FloatArrayType, type Gpt2Weights, gpt2Weights } from './gpt2-weights.ts';

/** `ts:f64`: the float64 reference every other backend is measured against. */
export const tsF64Factory: BackendFactory = {
  id: 'ts:f64',
  summary: 'pure TypeScript, naive float64 kernels (the reference)',
  availability: async () => ({ available: true }),
  create: async (model, options) => new Gpt2F64(loadWeights('ts:f64', model, options, Float64Array)),
};

/** `ts:f32`: pure TypeScript with the fast float32 kernels. */
export const tsF32Factory: BackendFactory = {
  id: 'ts:f32',
  summary: 'pure TypeScript, fast float32 kernels',
  availability: async () => ({ available: true }),
  create: async (model, options) => new Gpt2F32(loadWeights('ts:f32', model, options, Float32Array)),
};

function loadWeights<A extends FloatArray>(
  id: string,
  model: ModelDir,
  options: BackendOptions | undefined,
  arrayType: FloatArrayType<A>,
): Gpt2Weights<A> {
  const threads = options?.threads;
  if (threads !== undefined && threads !== 1) {
    throw new UsageError(`${id} runs on one thread; got threads ${threads}; pass 1 or leave it unset`);
  }
  return gpt2Weights(readSafetensors(model.safetensorsPath), model.config, arrayType, model.safetensorsPath);
}
