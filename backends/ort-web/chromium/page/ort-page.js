// @ts-check
// The forward pass of the chromium:* backends, running inside headless Chromium. Node drives it
// through page.evaluate (see ../page-rpc.ts): Node owns the decode strategy, the padded batch and
// every argument check; this page owns one onnxruntime-web session and the KV cache between calls.
//
// Plain JavaScript, served as is: the page loads no build step, so what runs is what is in the repo.
// Every function returns plain data; logits travel as base64 of their float32 bytes, the cheapest
// encoding page.evaluate carries (measured: a 50257-float row in ~5 ms, vs ~11 ms for playwright's
// own typed-array serialisation and ~150 ms as a number array).
//
// Type-checked by `npm run check` (./tsconfig.json): onnxruntime-web's own types, and the messages
// declared once in ../page-protocol.ts, which the Node side is checked against too.

/**
 * @import * as Ort from 'onnxruntime-web'
 * @import { CacheShape, OpenRequest, OpenAnswer, ValueMetadataAnswer, AdapterAnswer, RunRequest, RunAnswer, GatherAnswer, ProbeRequest, ProbeAnswer, GpuErrorsAnswer, AdapterProbe, OrtPage } from '../page-protocol.ts'
 * @typedef {'float32' | 'float16'} FloatType
 * @typedef {Float32Array | Float16Array | Uint16Array} FloatData what a float tensor holds on the CPU (float16 as Float16Array, or its bits)
 */

/** @type {typeof Ort} the onnxruntime-web module of the bundle `open` was given */
let ort;
/** @type {Ort.InferenceSession | undefined} the decoder session */
let session;
/** @type {CacheShape} */
let shape;
/** @type {'gpu-buffer' | 'cpu'} where present.* stay between calls: on the GPU (webgpu) or the CPU (wasm) */
let cacheLocation = 'cpu';
/** @type {FloatType} the graph's float type for logits and cache (float16: a half-precision export) */
let floatType = 'float32';
/** @type {Ort.Tensor[] | undefined} one tensor per layer and key/value, [batch, heads, length, headDim] */
let cache;
/** @type {GPUDevice | undefined} onnxruntime-web's own device (webgpu only) */
let device;
/** @type {string[]} WebGPU errors and device loss seen since the last call; every call hands them to Node. */
const gpuErrors = [];

/** @returns {(readonly [past: string, present: string])[]} the cache's input and output names, layer by layer, key then value */
const cacheNames = () =>
  Array.from(
    { length: shape.layers },
    (_, i) =>
      /** @type {const} */ ([
        [`past_key_values.${i}.key`, `present.${i}.key`],
        [`past_key_values.${i}.value`, `present.${i}.value`],
      ]),
  ).flat();

/** @returns {Ort.InferenceSession} */
function openSession() {
  if (!session) throw new Error('no session: call open first');
  return session;
}

/** @returns {GPUDevice} */
function gpuDevice() {
  if (!device) throw new Error('no WebGPU device: the session runs on wasm');
  return device;
}

/**
 * Load the bundle, then the model, on exactly one execution provider. A first session is created
 * with verbose logging so its node placements reach the console (Node parses them to prove which
 * provider ran every node) and released; the session that runs is created again, identically but
 * at warning level, because a verbose WebGPU session also logs every dispatch of every run.
 * @param {OpenRequest} request
 * @returns {Promise<OpenAnswer>}
 */
async function open({ bundle, executionProvider, threads, model, cacheShape }) {
  shape = cacheShape;
  // Relative to this script: everything is served under the run's secret path.
  const ortDir = new URL('ort/', import.meta.url).href;
  ort = await import(`${ortDir}${bundle}`);
  ort.env.wasm.wasmPaths = ortDir;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  const bytes = new Uint8Array(await (await fetch(model.graph)).arrayBuffer());
  cacheLocation = executionProvider === 'webgpu' ? 'gpu-buffer' : 'cpu';
  /** @type {Ort.InferenceSession.SessionOptions} */
  const options = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 2,
    // onnxruntime-web fetches each file from its URL and mounts it under the location the graph names.
    externalData: [...model.externalData],
    preferredOutputLocation: Object.fromEntries(cacheNames().map(([, present]) => [present, cacheLocation])),
  };
  const createStartMs = performance.now();
  const placementProbe = await ort.InferenceSession.create(bytes, { ...options, logSeverityLevel: 0 });
  await placementProbe.release();
  session = await ort.InferenceSession.create(bytes, options);
  const createMs = performance.now() - createStartMs;
  const logits = session.outputMetadata.find((m) => m.name === 'logits');
  floatType = logits?.isTensor && logits.type === 'float16' ? 'float16' : 'float32';
  const adapter = executionProvider === 'webgpu' ? await watchDevice() : undefined;
  // onnxruntime-web settles the thread count when the first session starts the wasm module.
  const ranThreads = ort.env.wasm.numThreads;
  if (ranThreads === undefined) throw new Error('onnxruntime-web left env.wasm.numThreads unset');
  return {
    createMs,
    ortVersion: ort.env.versions.web ?? `unknown (onnxruntime-common ${ort.env.versions.common})`,
    threads: ranThreads,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    adapter,
    inputMetadata: session.inputMetadata.map(metadata),
    outputMetadata: session.outputMetadata.map(metadata),
  };
}

/**
 * ValueMetadata as plain data (checkDecoderIo runs in Node); a non-tensor value has no type or shape.
 * @param {Ort.InferenceSession.ValueMetadata} m
 * @returns {ValueMetadataAnswer}
 */
const metadata = (m) =>
  m.isTensor
    ? { name: m.name, isTensor: true, type: m.type, shape: m.shape }
    : { name: m.name, isTensor: false };

/**
 * Subscribe to onnxruntime-web's device errors and describe the adapter it runs on.
 * @returns {Promise<AdapterAnswer>}
 */
async function watchDevice() {
  const watched = await ort.env.webgpu.device;
  device = watched;
  watched.addEventListener('uncapturederror', (event) => gpuErrors.push(event.error.message));
  watched.lost.then((info) => gpuErrors.push(`device lost (${info.reason}): ${info.message}`));
  const info = watched.adapterInfo;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter,
    features: [...watched.features].sort(),
  };
}

/**
 * One forward pass. `inputs` are the graph's non-cache inputs as Node laid them out; `freshCache`
 * starts from an empty cache (prefill). Only logits come back to the CPU; with `allPositions` false
 * only the last column of them is sent.
 * @param {RunRequest} request
 * @returns {Promise<RunAnswer>}
 */
async function run({ batch, inputs, freshCache, allPositions }) {
  const startMs = performance.now();
  const feeds = inputFeeds(inputs);
  const past = freshCache ? undefined : cache;
  cacheNames().forEach(([pastName], i) => {
    feeds[pastName] = past?.[i] ?? emptyCacheTensor([batch, shape.heads, 0, shape.headDim]);
  });
  const outputs = await openSession().run(feeds);
  const logitsTensor = output(outputs, 'logits');
  const logits = asFloat32(logitsTensor); // [batch, positions, vocab], already on the CPU
  const positions = logitsTensor.dims[1] ?? 1; // seq, or fewer under num_logits_to_keep
  const next = cacheNames().map(([, presentName]) => output(outputs, presentName));
  releaseCache();
  cache = next;
  const kept = allPositions ? logits : lastColumn(logits, batch, positions, shape.vocab);
  const modelMs = performance.now() - startMs;
  return { modelMs, positions: allPositions ? positions : 1, logitsBase64: toBase64(kept), ...drainErrors() };
}

/**
 * The non-cache inputs Node laid out, as onnxruntime-web tensors.
 * @param {RunRequest['inputs']} inputs
 * @returns {Record<string, Ort.Tensor>}
 */
function inputFeeds(inputs) {
  return Object.fromEntries(
    inputs.map((input) => [
      input.name,
      input.type === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(input.values, BigInt), input.dims)
        : new ort.Tensor('bool', Uint8Array.from(input.values, Number), input.dims),
    ]),
  );
}

/**
 * @param {Ort.InferenceSession.ReturnType} outputs
 * @param {string} name
 * @returns {Ort.Tensor}
 */
function output(outputs, name) {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`the session returned no ${name}`);
  return tensor;
}

/**
 * @param {readonly number[]} dims
 * @returns {Ort.Tensor}
 */
function emptyCacheTensor(dims) {
  return floatType === 'float16'
    ? new ort.Tensor('float16', new Uint16Array(0), dims)
    : new ort.Tensor('float32', new Float32Array(0), dims);
}

/**
 * Logits as float32, which is what travels to Node. Float16 logits arrive as a Float16Array
 * (where the browser has one) or as their bits in a Uint16Array; both widen exactly.
 * @param {Ort.Tensor} tensor
 * @returns {Float32Array}
 */
function asFloat32(tensor) {
  const data = floatData(tensor);
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, float16Value);
  return Float32Array.from(data);
}

/**
 * The CPU data of a float32 or float16 tensor.
 * @param {Ort.Tensor} tensor
 * @returns {FloatData}
 */
function floatData(tensor) {
  const data = tensor.data;
  if (data instanceof Float32Array || data instanceof Float16Array || data instanceof Uint16Array)
    return data;
  throw new Error(`expected a float32 or float16 tensor, got ${tensor.type}`);
}

/**
 * @param {number} bits
 * @returns {number}
 */
function float16Value(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * [batch, seq, vocab] → [batch, 1, vocab]
 * @param {Float32Array} logits
 * @param {number} batch
 * @param {number} seq
 * @param {number} vocab
 * @returns {Float32Array}
 */
function lastColumn(logits, batch, seq, vocab) {
  if (seq === 1) return logits;
  const out = new Float32Array(batch * vocab);
  for (let b = 0; b < batch; b++) {
    const start = (b * seq + seq - 1) * vocab;
    out.set(logits.subarray(start, start + vocab), b * vocab);
  }
  return out;
}

/**
 * Uint8Array.prototype.toBase64 is native in Chromium ≥ 140; Node decodes with Buffer.
 * @param {Float32Array} floats
 * @returns {string}
 */
function toBase64(floats) {
  return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength).toBase64();
}

/**
 * New row r continues old row `sourceRows[r]`. On WebGPU each row is one copyBufferToBuffer
 * between GPU buffers, so the cache never visits the CPU; on wasm it is a typed-array copy.
 * @param {readonly number[]} sourceRows
 * @returns {Promise<GatherAnswer>}
 */
async function gather(sourceRows) {
  const startMs = performance.now();
  if (!cache) throw new Error('gather before any run: there is no cache to reorder');
  const next = cache.map((tensor) => {
    const [, heads, length, headDim] = cacheDims(tensor);
    const dims = [sourceRows.length, heads, length, headDim];
    const bytesPerValue = floatType === 'float16' ? 2 : 4;
    return cacheLocation === 'gpu-buffer'
      ? gatherGpu(tensor, sourceRows, heads * length * headDim * bytesPerValue, dims)
      : gatherCpu(tensor, sourceRows, heads * length * headDim, dims);
  });
  releaseCache();
  cache = next;
  return { modelMs: performance.now() - startMs, ...drainErrors() };
}

/**
 * @param {Ort.Tensor} tensor a cache tensor
 * @returns {[batch: number, heads: number, length: number, headDim: number]}
 */
function cacheDims(tensor) {
  const [batch, heads, length, headDim] = tensor.dims;
  if (
    tensor.dims.length !== 4 ||
    batch === undefined ||
    heads === undefined ||
    length === undefined ||
    headDim === undefined
  ) {
    throw new Error(
      `a cache tensor has dims [${tensor.dims.join(', ')}], expected [batch, heads, length, headDim]`,
    );
  }
  return [batch, heads, length, headDim];
}

/**
 * @param {Ort.Tensor} tensor
 * @param {readonly number[]} sourceRows
 * @param {number} rowBytes
 * @param {number[]} dims
 * @returns {Ort.Tensor}
 */
function gatherGpu(tensor, sourceRows, rowBytes, dims) {
  const device = gpuDevice();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffer = device.createBuffer({ size: sourceRows.length * rowBytes, usage });
  const encoder = device.createCommandEncoder();
  sourceRows.forEach((r, b) => {
    encoder.copyBufferToBuffer(tensor.gpuBuffer, r * rowBytes, buffer, b * rowBytes, rowBytes);
  });
  // Same device and queue as onnxruntime-web, so its next dispatch sees the copies done.
  device.queue.submit([encoder.finish()]);
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: floatType, dims, dispose: () => buffer.destroy() });
}

/**
 * @param {Ort.Tensor} tensor
 * @param {readonly number[]} sourceRows
 * @param {number} rowSize
 * @param {number[]} dims
 * @returns {Ort.Tensor}
 */
function gatherCpu(tensor, sourceRows, rowSize, dims) {
  const src = floatData(tensor);
  const size = sourceRows.length * rowSize;
  /** @type {FloatData} the same array type as src */
  const dst =
    src instanceof Float32Array
      ? new Float32Array(size)
      : src instanceof Float16Array
        ? new Float16Array(size)
        : new Uint16Array(size);
  sourceRows.forEach((r, b) => {
    dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), b * rowSize);
  });
  return floatTensor(dst, dims);
}

/**
 * A float tensor of CPU data, typed by the data (Float32Array: float32, else float16).
 * onnxruntime-common's types know float16 data only as Uint16Array; at run time a float16 tensor
 * holds a Float16Array wherever the browser has one, and the constructor takes either.
 * @param {FloatData} data
 * @param {readonly number[]} dims
 * @returns {Ort.Tensor}
 */
function floatTensor(data, dims) {
  if (data instanceof Float32Array) return new ort.Tensor('float32', data, dims);
  return new ort.Tensor('float16', /** @type {Uint16Array} */ (/** @type {unknown} */ (data)), dims);
}

/**
 * One pass of an exposed graph (bisect): the caller gives every input, the cache included, and
 * gets every output back as raw bytes; GPU outputs are downloaded, then freed.
 * @param {ProbeRequest} request
 * @returns {Promise<ProbeAnswer>}
 */
async function probe({ inputs, floats }) {
  const feeds = inputFeeds(inputs);
  for (const t of floats) {
    const bytes = Uint8Array.fromBase64(t.base64);
    feeds[t.name] =
      t.type === 'float32'
        ? new ort.Tensor('float32', new Float32Array(bytes.buffer, 0, bytes.byteLength / 4), t.dims)
        : new ort.Tensor('float16', new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2), t.dims);
  }
  const outputs = await openSession().run(feeds);
  const answer = [];
  for (const [name, tensor] of Object.entries(outputs)) {
    const data = /** @type {ArrayBufferView} */ (await tensor.getData(true));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    answer.push({ name, type: tensor.type, dims: [...tensor.dims], base64: bytes.toBase64() });
  }
  return { outputs: answer, ...drainErrors() };
}

/** GPU buffers are freed explicitly; CPU tensors are left to the garbage collector. */
function releaseCache() {
  if (cacheLocation === 'gpu-buffer') for (const tensor of cache ?? []) tensor.dispose();
  cache = undefined;
}

/** @returns {Promise<GpuErrorsAnswer>} */
async function close() {
  releaseCache();
  await session?.release();
  session = undefined;
  return drainErrors();
}

/** @returns {GpuErrorsAnswer} */
function drainErrors() {
  return { gpuErrors: gpuErrors.splice(0) };
}

/**
 * The adapter a WebGPU session would get, without loading onnxruntime-web (availability probe).
 * @returns {Promise<AdapterProbe>}
 */
async function probeAdapter() {
  if (!('gpu' in navigator)) return { adapter: null, why: 'navigator.gpu is undefined' };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { adapter: null, why: 'navigator.gpu.requestAdapter() returned null' };
  const info = adapter.info;
  return {
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      isFallbackAdapter: info.isFallbackAdapter,
    },
  };
}

/** @type {OrtPage} */
const ortPage = { open, run, gather, probe, close, probeAdapter };
Object.assign(globalThis, { ortPage });
