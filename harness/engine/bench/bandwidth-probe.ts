import os from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Memory read bandwidth of this machine, for the roofline (decode reads every weight once per
 * step, so tokens/s ≤ bandwidth / bytes read per step). Two probes over one buffer far larger than
 * any cache, best of `trials` each (the best run is the one least disturbed by other processes):
 * - one thread summing it as float64 (V8 turns the 4-way loop into SIMD loads), and
 * - `threads` workers each summing their slice of it (a SharedArrayBuffer) at the same time,
 *   because one core cannot saturate a server's memory channels; the limit is the faster of the two.
 * A native kernel with prefetching may still beat both by ~10%, so a backend can land above 100%.
 */
export interface BandwidthProbe {
  readonly bufferBytes: number;
  readonly trials: number;
  readonly singleThreadReadGBps: number;
  readonly threads: number;
  readonly multiThreadReadGBps: number;
  /** The roofline's bandwidth: the best of the probes. */
  readonly bestReadGBps: number;
}

export interface ProbeOptions {
  /** Default 256 MiB: 8× a large L3. */
  readonly bufferBytes?: number;
  readonly trials?: number;
  readonly threads?: number;
}

/** Shared by the main thread and the workers; 4 accumulators let V8 vectorise and pipeline. */
const SUM_SOURCE = `function sum(a) {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i + 3 < a.length; i += 4) { s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]; }
  return s0 + s1 + s2 + s3;
}`;

// Eval'd worker (CommonJS, plain JS): no TypeScript loader is needed inside it.
const WORKER_SOURCE = `${SUM_SOURCE}
const { parentPort, workerData } = require('node:worker_threads');
const a = new Float64Array(workerData.buffer, workerData.byteOffset, workerData.length);
parentPort.on('message', () => parentPort.postMessage(sum(a)));`;

const sum = new Function(`${SUM_SOURCE}; return sum;`)() as (a: Float64Array) => number;

export async function probeBandwidth(options: ProbeOptions = {}): Promise<BandwidthProbe> {
  const bufferBytes = options.bufferBytes ?? 256 * 2 ** 20;
  const trials = options.trials ?? 5;
  const threads = options.threads ?? os.availableParallelism();
  if (!(Number.isInteger(trials) && trials >= 1))
    throw new Error(`probeBandwidth: trials ${trials} must be ≥ 1`);
  const length = Math.floor(bufferBytes / 8 / threads / 4) * 4 * threads; // whole 4-blocks per worker
  const shared = new SharedArrayBuffer(length * 8);
  const all = new Float64Array(shared);
  for (let i = 0; i < length; i++) all[i] = i & 7; // touch every page so no read hits the zero page

  let singleMs = Number.POSITIVE_INFINITY;
  for (let t = 0; t < trials; t++) {
    const t0 = performance.now();
    sum(all);
    singleMs = Math.min(singleMs, performance.now() - t0);
  }

  const slice = length / threads;
  const workers = Array.from(
    { length: threads },
    (_, w) =>
      new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { buffer: shared, byteOffset: w * slice * 8, length: slice },
      }),
  );
  let multiMs = Number.POSITIVE_INFINITY;
  try {
    for (let t = 0; t < trials; t++) {
      // Wall time from the first start to the last finish: the parallel read is done when all are.
      const t0 = performance.now();
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('message', () => resolve());
              worker.once('error', reject);
              worker.postMessage('go');
            }),
        ),
      );
      multiMs = Math.min(multiMs, performance.now() - t0);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const bytes = length * 8;
  const singleThreadReadGBps = bytes / singleMs / 1e6;
  const multiThreadReadGBps = bytes / multiMs / 1e6;
  return {
    bufferBytes: bytes,
    trials,
    singleThreadReadGBps,
    threads,
    multiThreadReadGBps,
    bestReadGBps: Math.max(singleThreadReadGBps, multiThreadReadGBps),
  };
}
