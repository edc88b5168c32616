import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { gatherCacheRows } from '../../../harness/core/backend/cache-rows.ts';
import { type BackendInfo, type Logits, lastPositionLogits } from '../../../harness/core/backend/contract.ts';
import { checkedThreads, defaultThreads } from '../../../harness/core/backend/default-threads.ts';
import { ModelDirError, UsageError } from '../../../harness/core/errors.ts';
import { float32Data } from '../../../harness/core/model/float16.ts';
import { headDim, numKvHeads, numLayers } from '../../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../../harness/core/model/model-dir.ts';
import { type DecoderRun, decoderInputs } from '../../onnx-shared/decoder-inputs.ts';
import { checkOpenedDecoder, type DecoderLayout } from '../../onnx-shared/decoder-io.ts';
import { type ForwardPass, type ForwardTiming, TimingLog } from '../../onnx-shared/forward-pass.ts';

type Ort = typeof import('onnxruntime-web');

/**
 * onnxruntime-web's wasm build run directly in Node: `import('onnxruntime-web')` resolves (by the
 * package's "node" export condition) to dist/ort.node.min.mjs, which registers only the `cpu` and
 * `wasm` backends, both the CPU execution provider compiled to WebAssembly
 * (ort-wasm-simd-threaded.wasm) — there is no other provider in that build to fall back to.
 * Threads are emscripten pthreads on worker_threads; the count is fixed when the wasm module
 * initialises, i.e. by the first session in the process.
 */
export class NodeWasmForward implements ForwardPass {
  private cache: Tensor[] | undefined; // per layer and key/value: [batch, heads, length, headDim]
  private readonly log = new TimingLog();

  private constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    private readonly model: ModelDir,
    private readonly layout: DecoderLayout,
  ) {}

  static async open(
    model: ModelDir,
    threads = defaultThreads(),
  ): Promise<{ forward: NodeWasmForward; info: BackendInfo }> {
    const graph = {
      path: model.onnxPath,
      // The wasm build cannot open files: each external-data file is handed over under the
      // location the graph names.
      externalData: model.externalData.map((file) => ({
        path: file.location,
        data: readFileSync(file.path),
      })),
    };
    const { ort, session, layout, info } = await openNodeWasmSession(model, graph, threads);
    return { forward: new NodeWasmForward(ort, session, model, layout), info };
  }

  get timing(): ForwardTiming {
    return this.log;
  }

  async run(feeds: DecoderRun): Promise<Logits> {
    const startMs = performance.now();
    const { Tensor } = this.ort;
    const { config } = this.model;
    const inputs: Record<string, Tensor> = {};
    for (const input of decoderInputs(this.layout, feeds)) {
      inputs[input.name] =
        input.type === 'bool'
          ? new Tensor('bool', input.data, input.dims)
          : new Tensor('int64', input.data, input.dims);
    }
    const past = feeds.freshCache ? undefined : this.cache;
    const names = cacheNames(numLayers(config));
    const emptyDims = [feeds.batch, numKvHeads(config), 0, headDim(config)];
    names.forEach(([pastName], i) => {
      inputs[pastName] =
        past?.[i] ??
        (this.layout.float === 'float16'
          ? new Tensor('float16', new Uint16Array(0), emptyDims)
          : new Tensor('float32', new Float32Array(0), emptyDims));
    });
    const runStartMs = performance.now();
    const outputs = await this.session.run(inputs);
    const modelMs = performance.now() - runStartMs;
    this.cache = names.map(([, presentName]) => outputs[presentName] as Tensor);
    const logitsTensor = outputs.logits!;
    // [batch, positions, vocab] (positions: seq, or 1 under num_logits_to_keep); float16 logits
    // (bits) widen exactly to float32.
    const all = float32Data(logitsTensor.type, logitsTensor.data);
    const positions = logitsTensor.dims[1]!;
    const logits: Logits = feeds.allPositions
      ? { batch: feeds.batch, positions, vocab: config.vocab_size, data: all }
      : lastPositionLogits(all, feeds.batch, positions, config.vocab_size);
    this.log.record({
      call: feeds.freshCache ? 'prefill' : 'step',
      modelMs,
      roundTripMs: performance.now() - startMs,
    });
    return logits;
  }

  async gather(sourceRows: readonly number[]): Promise<void> {
    const startMs = performance.now();
    const { Tensor } = this.ort;
    this.cache = this.cache?.map((t) => {
      const rows = gatherCacheRows(t, sourceRows);
      return rows.type === 'float16'
        ? new Tensor('float16', rows.data as Uint16Array, rows.dims)
        : new Tensor('float32', rows.data as Float32Array, rows.dims);
    });
    const ms = performance.now() - startMs;
    this.log.record({ call: 'reorder', modelMs: ms, roundTripMs: ms });
  }

  async dispose(): Promise<void> {
    this.cache = undefined;
    await this.session.release();
  }
}

/** [past_key_values.i.kv, present.i.kv] for every layer, key then value. */
function cacheNames(nLayer: number): [string, string][] {
  const names: [string, string][] = [];
  for (let i = 0; i < nLayer; i++) {
    for (const kv of ['key', 'value']) names.push([`past_key_values.${i}.${kv}`, `present.${i}.${kv}`]);
  }
  return names;
}

/**
 * env.wasm.numThreads is read once, when the first session initialises the wasm module; a later
 * different value would be ignored without a word, so it is refused instead.
 */
/**
 * `graph` (the model's graph or an exposed copy of it) in an onnxruntime-web wasm session, its
 * decoder I/O checked against `model`.
 */
export async function openNodeWasmSession(
  model: ModelDir,
  graph: { readonly path: string; readonly externalData: readonly { path: string; data: Uint8Array }[] },
  threads = defaultThreads(),
): Promise<{ ort: Ort; session: InferenceSession; layout: DecoderLayout; info: BackendInfo }> {
  const ort: Ort = await import('onnxruntime-web');
  applyThreads(ort, threads);
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(readFileSync(graph.path), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      externalData: [...graph.externalData],
    });
  } catch (err) {
    throw new ModelDirError(
      `onnxruntime-web could not load ${graph.path}: ${(err as Error).message}; regenerate or re-export the model`,
    );
  }
  const layout = await checkOpenedDecoder(session, model);
  const info: BackendInfo = {
    id: 'ort-web:wasm',
    device: `cpu (${os.cpus()[0]?.model.trim() ?? 'unknown model'}), WebAssembly SIMD in Node ${process.versions.node}`,
    deviceKind: 'cpu',
    executionProvider: 'CPUExecutionProvider (onnxruntime-web wasm)',
    dtype: layout.float,
    threads: ort.env.wasm.numThreads ?? threads,
    versions: {
      'onnxruntime-web': ort.env.versions.web ?? 'unknown',
      'onnxruntime-common': ort.env.versions.common,
    },
  };
  return { ort, session, layout, info };
}

function applyThreads(ort: Ort, threads: number): void {
  checkedThreads(threads);
  const initialised = ort.env.wasm.numThreads;
  if (initialisedOnce && initialised !== threads) {
    throw new UsageError(
      `ort-web:wasm: onnxruntime-web's wasm module in this process already runs ${initialised} threads, so ` +
        `threads ${threads} cannot take effect; pass --threads ${initialised} or use a new process`,
    );
  }
  ort.env.wasm.numThreads = threads;
  initialisedOnce = true;
}

/** Whether a session has initialised the wasm module in this process (see applyThreads). */
let initialisedOnce = false;
