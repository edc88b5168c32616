import {
  type FloatArray,
  type FloatArrayType,
  type Gpt2Weights,
  gpt2Weights,
} from '../../backends/ts-kernels/gpt2-weights.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { readSafetensors } from '../../harness/core/model/safetensors.ts';

/**
 * A GPT-2 model dir's weights, freshly read (so a fault may edit them without reaching any other
 * instance). `fault` names the fault for the error on other families: its injection is GPT-2 specific.
 */
export function gpt2WeightsOf<A extends FloatArray>(
  model: ModelDir,
  arrayType: FloatArrayType<A>,
  fault: string,
): Gpt2Weights<A> {
  if (model.config.model_type !== 'gpt2') {
    throw new Error(`${fault} is built on GPT-2 kernels; ${model.name} is ${model.config.model_type}`);
  }
  const file = model.safetensorsPath;
  if (file === null) throw new Error(`${fault} reads model.safetensors; ${model.path} has none`);
  return gpt2Weights(readSafetensors(file), model.config, arrayType, file);
}
