import type { DecoderProbe } from '../../../harness/core/backend/contract.ts';
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
  const { forward, info } = await ChromiumForward.open(
    { ...model, onnxPath: graphPath, externalData: [] },
    { backendId: `chromium:${provider}`, provider, threads, executablePath: CHROMIUM_PATH },
  );
  return {
    info,
    run: (pass) => forward.probe(probeFeeds(forward.decoderLayout, model.config, pass)),
    dispose: () => forward.dispose(),
  };
}
