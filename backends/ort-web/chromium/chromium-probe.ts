import type { DecoderProbe } from '../../../harness/core/backend/graph-probe.ts';
import { BackendUnavailable } from '../../../harness/core/errors.ts';
import type { ModelDir } from '../../../harness/core/model/model-dir.ts';
import { probeFeeds } from '../../onnx-shared/probe-feeds.ts';
import { CHROMIUM_PATH } from './chromium-browser.ts';
import { ChromiumForward, type PageProvider } from './chromium-forward.ts';

/**
 * `graphPath` (an exposed, self-contained copy of `model`'s graph) in a headless Chromium page on
 * `provider`; each pass's outputs are read back from the page (downloaded from the GPU on WebGPU).
 */
export async function openChromiumProbe(
  model: ModelDir,
  graphPath: string,
  provider: PageProvider,
  threads: number,
): Promise<DecoderProbe> {
  const backendId = `chromium:${provider}`;
  const { forward, info } = await ChromiumForward.open(
    { ...model, onnxPath: graphPath, externalData: [] },
    { backendId, provider, threads, executablePath: CHROMIUM_PATH },
  ).catch((error: unknown) => {
    // Name the model's graph, not the exposed copy (a temp file gone when bisect ends).
    if (!(error instanceof BackendUnavailable)) throw error;
    throw new BackendUnavailable(backendId, error.reason.replaceAll(graphPath, model.onnxPath), error.fix);
  });
  return {
    info,
    run: (pass) => forward.probe(probeFeeds(forward.decoderLayout, model.config, pass)),
    dispose: () => forward.dispose(),
  };
}
