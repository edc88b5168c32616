import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import type { FamilyName } from '../../harness/core/model/families/model-family.ts';
import type { FamilyConfigs } from '../../harness/core/model/model-config.ts';
import type { TensorMap } from '../../harness/core/model/tensor.ts';
import { Gemma2F32 } from './gemma2-f32.ts';
import { Gemma2F64 } from './gemma2-f64.ts';
import { gemma2Weights } from './gemma2-weights.ts';
import { Gpt2F32 } from './gpt2-f32.ts';
import { Gpt2F64 } from './gpt2-f64.ts';
import { gpt2Weights } from './gpt2-weights.ts';
import { LlamaF32 } from './llama-f32.ts';
import { LlamaF64 } from './llama-f64.ts';
import { llamaWeights } from './llama-weights.ts';
import type { MatmulThreads } from './matmul-threads.ts';

/**
 * One family's pure-TypeScript forward passes: the naive float64 reference (one thread) and the fast
 * float32, whose matrix products run on `matmuls`' threads.
 */
export interface FamilyKernels<C> {
  f64(tensors: TensorMap, config: C, file: string): LogitsSource;
  f32(tensors: TensorMap, config: C, file: string, matmuls: MatmulThreads): LogitsSource;
}

/** Every family's kernels; a family added to FamilyName without an entry here fails to compile. */
export const FAMILY_KERNELS: { readonly [N in FamilyName]: FamilyKernels<FamilyConfigs[N]> } = {
  gpt2: {
    f64: (tensors, config, file) => new Gpt2F64(gpt2Weights(tensors, config, Float64Array, file)),
    f32: (tensors, config, file, matmuls) =>
      new Gpt2F32(gpt2Weights(tensors, config, Float32Array, file), matmuls),
  },
  llama: {
    f64: (tensors, config, file) => new LlamaF64(llamaWeights(tensors, config, Float64Array, file)),
    f32: (tensors, config, file, matmuls) =>
      new LlamaF32(llamaWeights(tensors, config, Float32Array, file), matmuls),
  },
  gemma2: {
    f64: (tensors, config, file) => new Gemma2F64(gemma2Weights(tensors, config, Float64Array, file)),
    f32: (tensors, config, file, matmuls) =>
      new Gemma2F32(gemma2Weights(tensors, config, Float32Array, file), matmuls),
  },
};
