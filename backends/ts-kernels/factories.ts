import type { BackendFactory } from '../../harness/core/backend/contract.ts';
import { defaultThreads } from '../../harness/core/backend/default-threads.ts';
import { BackendUnavailable, UsageError } from '../../harness/core/errors.ts';
import { familyNameOf, type ModelConfig } from '../../harness/core/model/model-config.ts';
import { type ModelDir, safetensorsDescribeGraph } from '../../harness/core/model/model-dir.ts';
import { readSafetensors } from '../../harness/core/model/safetensors.ts';
import { FAMILY_KERNELS, type FamilyKernels } from './family-kernels.ts';
import { MatmulThreads } from './matmul-threads.ts';

/** `ts:f64`: the float64 reference every other backend is measured against. */
export const tsF64Factory: BackendFactory = {
  id: 'ts:f64',
  summary: 'pure TypeScript, naive float64 kernels (the reference); GPT-2 and Llama families',
  availability: async () => ({ available: true }),
  create: async (model, options) => {
    const threads = options?.threads;
    if (threads !== undefined && threads !== 1) {
      throw new UsageError(`ts:f64 runs on one thread; got threads ${threads}; pass 1 or leave it unset`);
    }
    const { config, tensors, file } = load('ts:f64', model);
    return kernelsOf(config).f64(tensors, config, file);
  },
};

/**
 * `ts:f32`: pure TypeScript with the fast float32 kernels, its matrix products split over `threads`
 * threads (default: DECODE_HARNESS_THREADS, else every core, as the ONNX Runtime backends).
 */
export const tsF32Factory: BackendFactory = {
  id: 'ts:f32',
  summary:
    'pure TypeScript, fast float32 kernels (matrix products on worker threads); GPT-2 and Llama families',
  availability: async () => ({ available: true }),
  create: async (model, options) => {
    const matmuls = MatmulThreads.start(options?.threads ?? defaultThreads()); // checks the count first
    try {
      await matmuls.ready;
      const { config, tensors, file } = load('ts:f32', model);
      return kernelsOf(config).f32(tensors, config, file, matmuls);
    } catch (error) {
      await matmuls.dispose();
      throw error;
    }
  },
};

/** The model's config and tensors, for a TS backend that can compute from them. */
function load(id: string, model: ModelDir) {
  const file = model.safetensorsPath;
  if (file === null) {
    throw new BackendUnavailable(
      id,
      `model dir ${model.path} has no model.safetensors, and the TS kernels compute from its parameters`,
      'pass an ONNX backend (the reference is then onnx:f64 on the graph), or add model.safetensors',
    );
  }
  if (!safetensorsDescribeGraph(model)) {
    throw new BackendUnavailable(
      id,
      `the TS kernels compute model.safetensors' weights, not the ${model.graph.dtype ?? 'custom'} graph ${model.graph.file}`,
      'run the ONNX backends on this graph, or pass --dtype fp32 to compare the TS kernels with the plain graph',
    );
  }
  return { config: model.config, tensors: readSafetensors(file), file };
}

/** The kernels of the config's family (its entry takes that family's config, chosen by model_type). */
function kernelsOf(config: ModelConfig): FamilyKernels<ModelConfig> {
  return FAMILY_KERNELS[familyNameOf(config)] as FamilyKernels<ModelConfig>;
}
