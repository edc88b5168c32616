// The forward pass of the chromium:* backends, running inside headless Chromium. Node drives it
// through page.evaluate (see ../page-rpc.ts): Node owns the decode strategy, the padded batch and
// every argument check; this page owns one onnxruntime-web session and the KV cache between calls.
//
// Plain JavaScript, served as is: the page loads no build step, so what runs is what is in the repo.
// Every function returns plain data; logits travel as base64 of their float32 bytes, the cheapest
// encoding page.evaluate carries (measured: a 50257-float row in ~5 ms, vs ~11 ms for playwright's
// own typed-array serialisation and ~150 ms as a number array).

/** @type {any} the onnxruntime-web module of the bundle `open` was given */
let ort;
/** @type {any} the decoder session */
let session;
/** @type {{ layers: number, heads: number, headDim: number, vocab: number }} */
let shape;
/** Where present.* stay between calls: 'gpu-buffer' (webgpu) or 'cpu' (wasm). */
let cacheLocation = 'cpu';
/** The graph's float type for logits and cache: 'float32' or 'float16' (a half-precision export). */
let floatType = 'float32';
/** @type {any[] | undefined} one tensor per layer and key/value, [batch, heads, length, headDim] */
let cache;
/** @type {GPUDevice | undefined} onnxruntime-web's own device (webgpu only) */
let device;
/** WebGPU errors and device loss seen since the last call; every call hands them to Node. */
const gpuErrors = [];

const cacheNames = () =>
  Array.from({ length: shape.layers }, (_, i) => [
    [`past_key_values.${i}.key`, `present.${i}.key`],
    [`past_key_values.${i}.value`, `present.${i}.value`],
  ]).flat();

/**
 * Load the bundle, then the model, on exactly one execution provider. A first session is created
 * with verbose logging so its node placements reach the console (Node parses them to prove which
 * provider ran every node) and released; the session that runs is created again, identically but
 * at warning level, because a verbose WebGPU session also logs every dispatch of every run.
 */
async function open({ bundle, executionProvider, threads, modelUrl, cacheShape }) {
  shape = cacheShape;
  // Relative to this script: everything is served under the run's secret path.
  const ortDir = new URL('ort/', import.meta.url).href;
  ort = await import(`${ortDir}${bundle}`);
  ort.env.wasm.wasmPaths = ortDir;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  cacheLocation = executionProvider === 'webgpu' ? 'gpu-buffer' : 'cpu';
  const options = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 2,
    preferredOutputLocation: Object.fromEntries(cacheNames().map(([, present]) => [present, cacheLocation])),
  };
  const createStartMs = performance.now();
  const placementProbe = await ort.InferenceSession.create(bytes, { ...options, logSeverityLevel: 0 });
  await placementProbe.release();
  session = await ort.InferenceSession.create(bytes, options);
  const createMs = performance.now() - createStartMs;
  floatType =
    session.outputMetadata.find((m) => m.name === 'logits')?.type === 'float16' ? 'float16' : 'float32';
  const adapter = executionProvider === 'webgpu' ? await watchDevice() : undefined;
  return {
    createMs,
    ortVersion: ort.env.versions.web,
    threads: ort.env.wasm.numThreads,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    adapter,
    inputMetadata: session.inputMetadata.map(metadata),
    outputMetadata: session.outputMetadata.map(metadata),
  };
}

/** ValueMetadata as plain data (checkDecoderIo runs in Node). */
const metadata = (m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape });

/** Subscribe to onnxruntime-web's device errors and describe the adapter it runs on. */
async function watchDevice() {
  device = await ort.env.webgpu.device;
  device.addEventListener('uncapturederror', (event) => gpuErrors.push(event.error.message));
  device.lost.then((info) => gpuErrors.push(`device lost (${info.reason}): ${info.message}`));
  const info = device.adapterInfo;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter,
    features: [...device.features].sort(),
  };
}

/**
 * One forward pass. `feeds` holds input_ids and position_ids [batch, seq] and attention_mask
 * [batch, total] as numbers; `freshCache` starts from an empty cache (prefill). Only logits come
 * back to the CPU; with `allPositions` false only the last column of them is sent.
 */
async function run({ batch, seq, total, inputIds, positionIds, attentionMask, freshCache, allPositions }) {
  const startMs = performance.now();
  const int64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
  const feeds = {
    input_ids: int64(inputIds, [batch, seq]),
    position_ids: int64(positionIds, [batch, seq]),
    attention_mask: int64(attentionMask, [batch, total]),
  };
  const past = freshCache ? undefined : cache;
  cacheNames().forEach(([pastName], i) => {
    feeds[pastName] = past?.[i] ?? emptyCacheTensor([batch, shape.heads, 0, shape.headDim]);
  });
  const outputs = await session.run(feeds);
  const logits = asFloat32(outputs.logits.data); // [batch, seq, vocab], already on the CPU
  const next = cacheNames().map(([, presentName]) => outputs[presentName]);
  releaseCache();
  cache = next;
  const kept = allPositions ? logits : lastColumn(logits, batch, seq, shape.vocab);
  const modelMs = performance.now() - startMs;
  return { modelMs, positions: allPositions ? seq : 1, logitsBase64: toBase64(kept), ...drainErrors() };
}

function emptyCacheTensor(dims) {
  return floatType === 'float16'
    ? new ort.Tensor('float16', new Uint16Array(0), dims)
    : new ort.Tensor('float32', new Float32Array(0), dims);
}

/**
 * Logits as float32, which is what travels to Node. Float16 logits arrive as a Float16Array
 * (where the browser has one) or as their bits in a Uint16Array; both widen exactly.
 */
function asFloat32(data) {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, float16Value);
  return Float32Array.from(data);
}

function float16Value(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** [batch, seq, vocab] → [batch, 1, vocab] */
function lastColumn(logits, batch, seq, vocab) {
  if (seq === 1) return logits;
  const out = new Float32Array(batch * vocab);
  for (let b = 0; b < batch; b++) {
    const start = (b * seq + seq - 1) * vocab;
    out.set(logits.subarray(start, start + vocab), b * vocab);
  }
  return out;
}

/** Uint8Array.prototype.toBase64 is native in Chromium ≥ 140; Node decodes with Buffer. */
function toBase64(floats) {
  return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength).toBase64();
}

/**
 * New row r continues old row `sourceRows[r]`. On WebGPU each row is one copyBufferToBuffer
 * between GPU buffers, so the cache never visits the CPU; on wasm it is a typed-array copy.
 */
async function gather(sourceRows) {
  const startMs = performance.now();
  const next = cache.map((tensor) => {
    const [, heads, length, headDim] = tensor.dims;
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

function gatherGpu(tensor, sourceRows, rowBytes, dims) {
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

function gatherCpu(tensor, sourceRows, rowSize, dims) {
  const src = tensor.data; // Float32Array, or for float16 a Float16Array or Uint16Array
  const dst = new src.constructor(sourceRows.length * rowSize);
  sourceRows.forEach((r, b) => {
    dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), b * rowSize);
  });
  return new ort.Tensor(tensor.type, dst, dims);
}

/** GPU buffers are freed explicitly; CPU tensors are left to the garbage collector. */
function releaseCache() {
  if (cacheLocation === 'gpu-buffer') for (const tensor of cache ?? []) tensor.dispose();
  cache = undefined;
}

async function close() {
  releaseCache();
  await session?.release();
  session = undefined;
  return drainErrors();
}

function drainErrors() {
  return { gpuErrors: gpuErrors.splice(0) };
}

/** The adapter a WebGPU session would get, without loading onnxruntime-web (availability probe). */
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

globalThis.ortPage = { open, run, gather, close, probeAdapter };
