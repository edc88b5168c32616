import type { Tensor } from 'onnxruntime-web';
import type { BackendOptions, DecoderProbe } from '../../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../../harness/core/model/model-dir.ts';
import { OrtDecoderProbe } from '../../onnx-shared/ort-decoder-probe.ts';
import { openNodeWasmSession } from './node-wasm-forward.ts';

/** `graphPath` (an exposed, self-contained copy of `model`'s graph) on onnxruntime-web's wasm build. */
export async function openNodeWasmProbe(
  model: ModelDir,
  graphPath: string,
  options: BackendOptions,
): Promise<DecoderProbe> {
  const { ort, session, layout, info } = await openNodeWasmSession(
    model,
    { path: graphPath, externalData: [] },
    options.threads,
  );
  return new OrtDecoderProbe<Tensor>(info, session, layout, model.config, (feed) =>
    feed.type === 'bool'
      ? new ort.Tensor('bool', feed.data, feed.dims)
      : new ort.Tensor(feed.type, feed.data as never, feed.dims),
  );
}
