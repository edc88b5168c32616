import { tsF32Factory } from '../../backends/ts-kernels/factories.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { WrappedSource } from './wrapped-source.ts';

/**
 * Fault (c): `ts:f32` run with a wrong normalisation epsilon (e.g. 1e-1 where a GPT-2 config says
 * 1e-5), as when a port hard-codes another model's constant. The model dir is the real one with a
 * modified copy of its config (layer_norm_epsilon, or rms_norm_eps for Llama); weights untouched.
 */
export async function wrongLayerNormEps(model: ModelDir, epsilon: number): Promise<LogitsSource> {
  const config =
    model.config.model_type === 'gpt2'
      ? { ...model.config, layer_norm_epsilon: epsilon }
      : { ...model.config, rms_norm_eps: epsilon };
  const inner = await tsF32Factory.create({ ...model, config });
  return new WrappedSource(inner, `faulty:layer-norm-eps-${epsilon}`);
}
