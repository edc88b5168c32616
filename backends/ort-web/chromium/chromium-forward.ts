import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type {
  BackendInfo,
  Logits,
  OutOfProcessMemory,
  ProbeTensor,
} from '../../../harness/core/backend/contract.ts';
import { BackendUnavailable, HarnessError, ModelDirError } from '../../../harness/core/errors.ts';
import { headDim, numKvHeads, numLayers } from '../../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../../harness/core/model/model-dir.ts';
import { type DecoderInput, type DecoderRun, decoderInputs } from '../../onnx-shared/decoder-inputs.ts';
import { checkDecoderIo, type DecoderLayout } from '../../onnx-shared/decoder-io.ts';
import { type ForwardPass, type ForwardTiming, TimingLog } from '../../onnx-shared/forward-pass.ts';
import { checkPlacements, parsePlacements } from '../../onnx-shared/ort-placements.ts';
import { type ProbeFeed, probeTensorOf } from '../../onnx-shared/probe-feeds.ts';
import { ChromiumBrowser } from './chromium-browser.ts';
import type { AdapterAnswer, PageFloatTensor, PageInput, PageProvider } from './page-protocol.ts';
import { DEFAULT_CALL_TIMEOUT_MS, PageFailure, PageRpc } from './page-rpc.ts';
import { type StaticServer, startStaticServer } from './static-server.ts';

export type { PageProvider } from './page-protocol.ts';

export interface ChromiumForwardOptions {
  readonly backendId: string;
  readonly provider: PageProvider;
  /** wasm threads in the page (pthreads on Web Workers; needs cross-origin isolation). */
  readonly threads: number;
  readonly executablePath: string;
  /** Limit for one prefill/step/reorder call; default 60 s. */
  readonly callTimeoutMs?: number;
}

/** One bundle per provider: the WebGPU build (asyncify wasm with the WebGPU EP) or the plain wasm one. */
const BUNDLES: Readonly<Record<PageProvider, string>> = {
  webgpu: 'ort.webgpu.min.mjs',
  wasm: 'ort.wasm.min.mjs',
};
const PROVIDER_NAMES: Readonly<Record<PageProvider, string>> = {
  webgpu: 'WebGpuExecutionProvider',
  wasm: 'CPUExecutionProvider',
};

/** Loading the page, ~40 MB of wasm and two sessions on SwiftShader takes seconds; this means stuck. */
const STARTUP_TIMEOUT_MS = 120_000;
/** onnxruntime's verbose log (the placement probe) and its node-assignment warning are expected at open. */
const ORT_OPEN_LOG = /\[[VI]:onnxruntime|\[W:onnxruntime:.*VerifyEachNodeIsAssignedToAnEp/;

/** Start-up phases of one Chromium backend, in milliseconds. */
export interface ChromiumStartup {
  /** Server up, browser launched, page loaded. */
  readonly browserMs: number;
  /** onnxruntime-web loaded and both sessions (placement probe + the one that runs) created. */
  readonly sessionMs: number;
}

/**
 * The forward pass in a headless Chromium page (page/ort-page.js), one browser per instance.
 * Node sends token ids, positions and mask; the page runs onnxruntime-web and keeps the KV cache
 * (on WebGPU as GPU buffers that never come back to the CPU); only logits return, as base64.
 */
export class ChromiumForward implements ForwardPass {
  private readonly log = new TimingLog();

  private constructor(
    private readonly browser: ChromiumBrowser,
    private readonly server: StaticServer,
    private readonly rpc: PageRpc,
    private readonly vocab: number,
    private readonly layout: DecoderLayout,
    readonly startup: ChromiumStartup,
  ) {}

  static async open(
    model: ModelDir,
    options: ChromiumForwardOptions,
  ): Promise<{ forward: ChromiumForward; info: BackendInfo }> {
    const { backendId, provider } = options;
    const startMs = performance.now();
    const server = await startStaticServer(model);
    let browser: ChromiumBrowser | undefined;
    try {
      browser = await ChromiumBrowser.launch({
        executablePath: options.executablePath,
        webgpu: provider === 'webgpu',
        backendId,
      });
      await browser.page.goto(server.pageUrl, { timeout: STARTUP_TIMEOUT_MS });
      await browser.page.waitForFunction(() => 'ortPage' in globalThis, undefined, {
        timeout: STARTUP_TIMEOUT_MS,
      });
      const browserMs = performance.now() - startMs;
      const rpc = new PageRpc(browser, backendId, options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
      const { config } = model;
      // A graph onnxruntime-web cannot parse is the model's fault (exit 2, with the fix), as on
      // the other ONNX backends; any other page failure stays a backend failure.
      const opened = await rpc
        .request(
          'open',
          {
            bundle: BUNDLES[provider],
            executionProvider: provider,
            threads: options.threads,
            model: server.model!,
            cacheShape: {
              layers: numLayers(config),
              heads: numKvHeads(config),
              headDim: headDim(config),
              vocab: config.vocab_size,
            },
          },
          { timeoutMs: STARTUP_TIMEOUT_MS, expectedConsole: ORT_OPEN_LOG },
        )
        .catch((error: unknown) => {
          if (error instanceof PageFailure && /Can't create a session/.test(error.message)) {
            throw new ModelDirError(
              `onnxruntime-web in Chromium could not load ${model.onnxPath}: ${error.message.replace(/^.*?Error: /, '')}; regenerate or re-export the model`,
            );
          }
          throw error;
        });
      const answer = opened.value;
      if (!answer.crossOriginIsolated) {
        throw new HarnessError(
          `${backendId}: the page is not cross-origin isolated, so onnxruntime-web cannot start wasm threads; ` +
            'the static server must send COOP/COEP headers (report this as a bug)',
          1,
        );
      }
      const layout = checkDecoderIo(answer, model.config, {
        onnxPath: model.onnxPath,
        configPath: path.join(model.path, 'config.json'),
      });
      if (layout.float === 'float16' && answer.adapter && !answer.adapter.features.includes('shader-f16')) {
        throw new BackendUnavailable(
          backendId,
          `${model.onnxPath} is a float16 graph and the WebGPU adapter (${describeDevice(answer.adapter, browser.version)}) has no shader-f16`,
          'run it on a GPU whose WebGPU adapter offers shader-f16 (any recent NVIDIA, AMD or Intel GPU), or use the float32 model',
        );
      }
      const executionProvider = checkPlacements(
        backendId,
        PROVIDER_NAMES[provider],
        parsePlacements(opened.console.map((line) => line.text)),
      );
      const info: BackendInfo = {
        id: backendId,
        device: describeDevice(answer.adapter, browser.version),
        deviceKind: !answer.adapter ? 'cpu' : answer.adapter.isFallbackAdapter ? 'software-gpu' : 'gpu',
        executionProvider,
        dtype: layout.float,
        threads: answer.threads,
        versions: {
          'onnxruntime-web': answer.ortVersion,
          chromium: browser.version,
          'playwright-core': createRequire(import.meta.url)('playwright-core/package.json').version,
        },
      };
      const startup = { browserMs, sessionMs: performance.now() - startMs - browserMs };
      return { forward: new ChromiumForward(browser, server, rpc, config.vocab_size, layout, startup), info };
    } catch (error) {
      await browser?.close();
      await server.close();
      throw error;
    }
  }

  get timing(): ForwardTiming {
    return this.log;
  }

  /** The page, for diagnostics (tests inject faults through it). */
  get page(): Page {
    return this.browser.page;
  }

  /** The browser's temp root (profile and config dirs); removed by dispose. */
  get rootDir(): string {
    return this.browser.rootDir;
  }

  /** Memory of every process of this backend's browser, now. */
  memory(): OutOfProcessMemory {
    return this.browser.memory();
  }

  async run(feeds: DecoderRun): Promise<Logits> {
    const { value, roundTripMs } = await this.rpc.request('run', {
      batch: feeds.batch,
      inputs: decoderInputs(this.layout, feeds).map(pageInput),
      freshCache: feeds.freshCache,
      allPositions: feeds.allPositions,
    });
    const data = float32FromBase64(value.logitsBase64);
    const expected = feeds.batch * value.positions * this.vocab;
    if (data.length !== expected) {
      throw new HarnessError(
        `page returned ${data.length} logits, expected ${expected} ([${feeds.batch}, ${value.positions}, ${this.vocab}]); report this as a bug`,
        1,
      );
    }
    this.log.record({ call: feeds.freshCache ? 'prefill' : 'step', modelMs: value.modelMs, roundTripMs });
    return { batch: feeds.batch, positions: value.positions, vocab: this.vocab, data };
  }

  /** One pass of an exposed graph (bisect): every input given, every output back as a ProbeTensor. */
  async probe(feeds: readonly ProbeFeed[]): Promise<Map<string, ProbeTensor>> {
    const inputs: PageInput[] = [];
    const floats: PageFloatTensor[] = [];
    for (const feed of feeds) {
      if (feed.type === 'int64' || feed.type === 'bool') inputs.push(pageInput(feed));
      else {
        const bytes = new Uint8Array(feed.data.buffer, feed.data.byteOffset, feed.data.byteLength);
        floats.push({
          name: feed.name,
          type: feed.type,
          dims: feed.dims,
          base64: Buffer.from(bytes).toString('base64'),
        });
      }
    }
    const { value } = await this.rpc.request('probe', { inputs, floats });
    return new Map(
      value.outputs.map((o) => [
        o.name,
        probeTensorOf({ type: o.type, dims: o.dims, data: typedArrayOf(o.type, o.base64) }),
      ]),
    );
  }

  /** The inputs this graph declares (decoder-io.ts). */
  get decoderLayout(): DecoderLayout {
    return this.layout;
  }

  async gather(sourceRows: readonly number[]): Promise<void> {
    const { value, roundTripMs } = await this.rpc.request('gather', sourceRows);
    this.log.record({ call: 'reorder', modelMs: value.modelMs, roundTripMs });
  }

  /** Release the session if the page still answers, then close the browser and the server regardless. */
  async dispose(): Promise<void> {
    try {
      await this.rpc.request('close', undefined, { timeoutMs: 5_000 });
    } catch {
      // a hung or failed page is closed with the browser below
    } finally {
      await this.browser.close();
      await this.server.close();
    }
  }
}

/** Numbers, not BigInt64Array: a few hundred small ints serialise faster than base64 + BigInt. */
function pageInput(input: DecoderInput): PageInput {
  return input.type === 'int64'
    ? { name: input.name, type: 'int64', dims: input.dims, values: Array.from(input.data, Number) }
    : { name: input.name, type: 'bool', dims: input.dims, values: input.data };
}

/** Base64 of a page tensor's little-endian bytes → the typed array its onnxruntime type holds. */
function typedArrayOf(type: string, base64: string): ArrayLike<number | bigint> {
  const bytes = Buffer.from(base64, 'base64');
  const buffer = new ArrayBuffer(bytes.length); // aligned for every element size
  new Uint8Array(buffer).set(bytes);
  switch (type) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float16':
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'uint64':
      return new BigUint64Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'bool':
    case 'uint8':
      return new Uint8Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    default:
      throw new HarnessError(
        `the page returned a tensor of type ${type}, which bisect cannot read; report this as a bug`,
        1,
      );
  }
}

/** Base64 of little-endian float32 bytes → a Float32Array of its own (aligned) buffer. */
function float32FromBase64(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function describeDevice(adapter: AdapterAnswer | undefined, chromiumVersion: string): string {
  if (!adapter) {
    return `cpu (${os.cpus()[0]?.model.trim() ?? 'unknown model'}), WebAssembly SIMD in Chromium ${chromiumVersion}`;
  }
  const name = [adapter.vendor, adapter.architecture, adapter.device, adapter.description]
    .filter((part) => part.length > 0)
    .join(' ');
  const kind = adapter.isFallbackAdapter ? 'fallback (software) adapter' : 'hardware adapter';
  const f16 = adapter.features.includes('shader-f16') ? 'shader-f16' : 'no shader-f16';
  return `WebGPU ${name || 'unnamed adapter'} (${kind}; ${f16})`;
}
