import type { BackendInfo, OutOfProcessMemory } from '../../harness/core/backend/contract.ts';
import { checkedThreads } from '../../harness/core/backend/default-threads.ts';
import type { ModelConfig } from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { KvDecoderSource } from '../onnx-shared/decoder-source.ts';
import { CHROMIUM_PATH } from './chromium/chromium-browser.ts';
import { ChromiumForward, type ChromiumStartup, type PageProvider } from './chromium/chromium-forward.ts';
import { NodeWasmForward } from './node-wasm/node-wasm-forward.ts';

/** `ort-web:wasm`: onnxruntime-web's wasm build in this Node process. */
export async function openNodeWasmSource(model: ModelDir, threads?: number): Promise<KvDecoderSource> {
  const { forward, info } = await NodeWasmForward.open(model, threads);
  return new KvDecoderSource(forward, info, model.config);
}

export interface ChromiumSourceOptions {
  readonly provider: PageProvider;
  readonly threads: number;
  /** Limit for one prefill/step/reorder call into the page; default 60 s. */
  readonly callTimeoutMs?: number;
  /** Default: Debian's /usr/lib/chromium/chromium. */
  readonly executablePath?: string;
}

/** A chromium:* source: the common decoder plus what only a browser has (start-up phases, memory). */
export class ChromiumSource extends KvDecoderSource {
  constructor(
    private readonly page: ChromiumForward,
    info: BackendInfo,
    config: ModelConfig,
  ) {
    super(page, info, config);
  }

  /** Browser launch + page load, then onnxruntime-web sessions, in milliseconds. */
  get startup(): ChromiumStartup {
    return this.page.startup;
  }

  /** RSS and PSS summed over every process of this source's browser, now. */
  readonly outOfProcessMemory = (): OutOfProcessMemory => this.page.memory();
}

/** `chromium:webgpu` / `chromium:wasm`: one headless Chromium per source, closed by dispose(). */
export async function openChromiumSource(
  model: ModelDir,
  options: ChromiumSourceOptions,
): Promise<ChromiumSource> {
  checkedThreads(options.threads);
  const backendId = `chromium:${options.provider}`;
  const { forward, info } = await ChromiumForward.open(model, {
    backendId,
    provider: options.provider,
    threads: options.threads,
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
  });
  return new ChromiumSource(forward, info, model.config);
}
