import type {
  Availability,
  BackendFactory,
  BackendOptions,
  LogitsSource,
} from '../../harness/core/backend/contract.ts';
import { defaultThreads } from '../../harness/core/backend/default-threads.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { CHROMIUM_PATH } from './chromium/chromium-browser.ts';

/**
 * The three onnxruntime-web backends. Each module loads lazily in `create`, so listing backends
 * never imports playwright or onnxruntime-web.
 */

/** `ort-web:wasm`: onnxruntime-web's wasm build in Node, no browser. */
export const ortWebWasmFactory: BackendFactory = {
  id: 'ort-web:wasm',
  summary: 'onnxruntime-web wasm (CPU EP compiled to WebAssembly) in Node, float32',
  async availability(): Promise<Availability> {
    try {
      await import('onnxruntime-web');
      return { available: true };
    } catch (err) {
      return {
        available: false,
        reason: `onnxruntime-web failed to load in Node: ${(err as Error).message}`,
        fix: 'run npm ci',
      };
    }
  },
  async create(model: ModelDir, options?: BackendOptions): Promise<LogitsSource> {
    const { openNodeWasmSource } = await import('./open-sources.ts');
    return openNodeWasmSource(model, options?.threads);
  },
  async openProbe(model: ModelDir, graphPath: string, options: BackendOptions = {}) {
    const { openNodeWasmProbe } = await import('./node-wasm/node-wasm-probe.ts');
    return openNodeWasmProbe(model, graphPath, options);
  },
};

/** `chromium:webgpu`: onnxruntime-web's WebGPU provider in headless Chromium; KV cache on the GPU. */
export const chromiumWebGpuFactory: BackendFactory = {
  id: 'chromium:webgpu',
  summary: 'onnxruntime-web WebGPU EP in headless Chromium (SwiftShader with no GPU), float32',
  availability: () => webGpuAvailability(),
  async create(model: ModelDir, options?: BackendOptions): Promise<LogitsSource> {
    const { openChromiumSource } = await import('./open-sources.ts');
    // One wasm thread: on WebGPU the CPU only runs shape ops, and each thread is a Web Worker to start.
    return openChromiumSource(model, { provider: 'webgpu', threads: options?.threads ?? 1 });
  },
  async openProbe(model: ModelDir, graphPath: string, options: BackendOptions = {}) {
    const { openChromiumProbe } = await import('./chromium/chromium-probe.ts');
    return openChromiumProbe(model, graphPath, 'webgpu', options.threads ?? 1);
  },
};

/** `chromium:wasm`: onnxruntime-web's wasm build in headless Chromium, threads on Web Workers. */
export const chromiumWasmFactory: BackendFactory = {
  id: 'chromium:wasm',
  summary: 'onnxruntime-web wasm (CPU EP, threaded) in headless Chromium, float32',
  async availability(): Promise<Availability> {
    const { chromiumAvailability } = await import('./chromium/availability.ts');
    return chromiumAvailability(CHROMIUM_PATH);
  },
  async create(model: ModelDir, options?: BackendOptions): Promise<LogitsSource> {
    const { openChromiumSource } = await import('./open-sources.ts');
    return openChromiumSource(model, {
      provider: 'wasm',
      threads: options?.threads ?? defaultThreads(),
    });
  },
  async openProbe(model: ModelDir, graphPath: string, options: BackendOptions = {}) {
    const { openChromiumProbe } = await import('./chromium/chromium-probe.ts');
    return openChromiumProbe(model, graphPath, 'wasm', options.threads ?? defaultThreads());
  },
};

/**
 * The adapter probe launches a browser (~1 s), so its answer is kept for the life of the process:
 * whether this machine has a WebGPU adapter does not change while tests run.
 */
let webGpuProbe: Promise<Availability> | undefined;
function webGpuAvailability(): Promise<Availability> {
  webGpuProbe ??= import('./chromium/availability.ts').then((m) => m.probeWebGpu(CHROMIUM_PATH));
  return webGpuProbe;
}
