import type { BackendFactory } from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import { KvDecoderSource } from '../onnx-shared/decoder-source.ts';
import { F64Forward, ONNX_F64_ID } from './f64-forward.ts';

/** `onnx:f64`: any graph of the model dir, interpreted in float64 (a reference for what the graph computes). */
export const onnxF64Factory: BackendFactory = {
  id: ONNX_F64_ID,
  summary: 'pure TypeScript float64 interpreter of the ONNX graph itself (any variant); one thread',
  availability: async () => ({ available: true }),
  create: async (model, options) => {
    if (options?.threads !== undefined && options.threads !== 1) {
      throw new UsageError(
        `${ONNX_F64_ID} runs on one thread; got threads ${options.threads}; pass 1 or leave it unset`,
      );
    }
    const { forward, info } = F64Forward.open(model);
    return new KvDecoderSource(forward, info, model.config);
  },
  openProbe: async (model, graphPath) => {
    const { openF64Probe } = await import('./f64-probe.ts');
    return openF64Probe(model, graphPath);
  },
};
