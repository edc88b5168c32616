import { Tensor } from 'onnxruntime-node';
import type { BackendOptions, DecoderProbe } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { checkOpenedDecoder } from '../onnx-shared/decoder-io.ts';
import { OrtDecoderProbe } from '../onnx-shared/ort-decoder-probe.ts';
import type { ProbeFeed } from '../onnx-shared/probe-feeds.ts';
import { EP_SPECS, type OrtNodeEp } from './execution-provider.ts';
import { noShaderF16 } from './ort-node-source.ts';
import { openOrtSession } from './ort-session.ts';

/** `graphPath` (an exposed copy of `model`'s graph) on exactly `ep`, every output read back to the host. */
export async function openOrtNodeProbe(
  model: ModelDir,
  graphPath: string,
  options: BackendOptions,
  ep: OrtNodeEp,
): Promise<DecoderProbe> {
  const { session, info } = await openOrtSession(graphPath, EP_SPECS[ep], options.threads);
  const layout = await checkOpenedDecoder(session, model);
  const probe = new OrtDecoderProbe(
    { ...info, dtype: layout.float },
    session,
    layout,
    model.config,
    ortNodeTensor,
  );
  if (ep !== 'webgpu' || layout.float !== 'float16') return probe;
  return {
    info: probe.info,
    run: (pass) =>
      probe.run(pass).catch((err: unknown) => Promise.reject(noShaderF16(err, probe.info, model.onnxPath))),
    dispose: () => probe.dispose(),
  };
}

function ortNodeTensor(feed: ProbeFeed): Tensor {
  return feed.type === 'bool'
    ? new Tensor('bool', feed.data, feed.dims)
    : new Tensor(feed.type, feed.data as never, feed.dims);
}
