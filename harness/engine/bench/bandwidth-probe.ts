import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { type Summary, summarize } from '../../core/statistics.ts';

/**
 * Memory read bandwidth of this machine, for the roofline (decode reads every weight once per
 * step, so tokens/s ≤ bandwidth / bytes read per step). The bandwidth a run can get moves with
 * whatever else the machine does (15–22 GB/s between runs here), so a probe taken at another
 * moment than the timed runs can put a backend above 100 % of its "limit". The bench therefore
 * probes between its repetitions (before and after each) and bounds each repetition by the probes
 * around it.
 *
 * One probe: over one buffer larger than most caches, the best of `trials` reads each of
 * - one thread reading one float64 of every 64-byte cache line (the memory system moves whole
 *   lines, so every byte of the buffer crosses the bus, with an eighth of the additions: summing
 *   every element measured 5.4 GB/s here, compute-bound, against 12.7 GB/s for the lines), and
 * - `threads` workers each reading their slice of it (a SharedArrayBuffer) at the same time,
 *   because one core cannot saturate a server's memory channels;
 * the probe's bandwidth is the faster of the two. A native kernel with prefetching may still beat
 * both: a repetition above its bound is reported as a measurement error, never as a figure.
 *
 * The buffer and the workers live in a child process, started once per bench: its 256 MiB are
 * not in this process's resident memory (which the bench reports per backend), and between probes
 * it waits on its IPC channel, using no CPU while the timed runs go.
 */
export interface BandwidthSample {
  readonly singleThreadReadGBps: number;
  readonly multiThreadReadGBps: number;
  /** The faster of the two: this probe's bandwidth. */
  readonly bestReadGBps: number;
}

/** Every probe of a run, as the report keeps it. */
export interface BandwidthRecord {
  readonly bufferBytes: number;
  readonly threads: number;
  /** Reads of each kind per probe (the best counts). */
  readonly trialsPerProbe: number;
  /** Each probe's bandwidth over the run, in the order taken (the raw samples are in each summary). */
  readonly bestReadGBps: Summary;
  readonly singleThreadReadGBps: Summary;
  readonly multiThreadReadGBps: Summary;
}

export interface ProbeOptions {
  /** Default 256 MiB: 8× a large L3. */
  readonly bufferBytes?: number;
  readonly trialsPerProbe?: number;
  readonly threads?: number;
}

/**
 * Shared by the child's main thread and its workers: one float64 of each 64-byte line (8 values),
 * four lines an iteration on four accumulators so the loads overlap.
 */
const SUM_SOURCE = `function sum(a) {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i + 31 < a.length; i += 32) { s0 += a[i]; s1 += a[i + 8]; s2 += a[i + 16]; s3 += a[i + 24]; }
  return s0 + s1 + s2 + s3;
}`;

const WORKER_SOURCE = `${SUM_SOURCE}
const { parentPort, workerData } = require('node:worker_threads');
const a = new Float64Array(workerData.buffer, workerData.byteOffset, workerData.length);
parentPort.on('message', () => parentPort.postMessage(sum(a)));`;

/**
 * The child (plain CommonJS, eval'd: no TypeScript loader needed). argv[1]: {bufferBytes, threads}.
 * Messages: {trials} → {singleMs, multiMs, bytes}; it exits when the channel closes.
 */
const CHILD_SOURCE = `${SUM_SOURCE}
const { Worker } = require('node:worker_threads');
const { bufferBytes, threads } = JSON.parse(process.argv[1]);
const length = Math.floor(bufferBytes / 8 / threads / 32) * 32 * threads; // whole 4-line blocks per worker
const shared = new SharedArrayBuffer(length * 8);
const all = new Float64Array(shared);
for (let i = 0; i < length; i++) all[i] = i & 7; // touch every page so no read hits the zero page
const slice = length / threads;
const workers = Array.from({ length: threads }, (_, w) => new Worker(${JSON.stringify(WORKER_SOURCE)}, {
  eval: true, workerData: { buffer: shared, byteOffset: w * slice * 8, length: slice },
}));
const once = (worker) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage('go'); });
process.on('disconnect', () => process.exit(0));
process.on('message', async ({ trials }) => {
  let singleMs = Infinity;
  for (let t = 0; t < trials; t++) { const t0 = performance.now(); sum(all); singleMs = Math.min(singleMs, performance.now() - t0); }
  let multiMs = Infinity;
  for (let t = 0; t < trials; t++) { const t0 = performance.now(); await Promise.all(workers.map(once)); multiMs = Math.min(multiMs, performance.now() - t0); }
  process.send({ singleMs, multiMs, bytes: length * 8 });
});
Promise.all(workers.map(once)).then(() => process.send({ ready: length * 8 }));`;

interface ProbeReply {
  readonly singleMs: number;
  readonly multiMs: number;
  readonly bytes: number;
}

export class BandwidthProber {
  readonly #samples: BandwidthSample[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly bufferBytes: number,
    readonly threads: number,
    readonly trialsPerProbe: number,
  ) {}

  /** Start the child, fill its buffer and wait until its workers answer (~0.3 s for 256 MiB). */
  static async open(options: ProbeOptions = {}): Promise<BandwidthProber> {
    const bufferBytes = options.bufferBytes ?? 256 * 2 ** 20;
    const trials = options.trialsPerProbe ?? 3;
    const threads = options.threads ?? os.availableParallelism();
    if (!(Number.isInteger(trials) && trials >= 1))
      throw new Error(`BandwidthProber: trialsPerProbe ${trials} must be ≥ 1`);
    const env = { ...process.env, NODE_OPTIONS: undefined }; // plain JS: no loader to start
    const child = spawn(process.execPath, ['-e', CHILD_SOURCE, JSON.stringify({ bufferBytes, threads })], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env,
    });
    const ready = await reply<{ ready: number }>(child);
    return new BandwidthProber(child, ready.ready, threads, trials);
  }

  /** One probe now; the prober keeps every sample for the report. */
  async measure(): Promise<BandwidthSample> {
    this.child.send({ trials: this.trialsPerProbe });
    const { singleMs, multiMs, bytes } = await reply<ProbeReply>(this.child);
    const single = bytes / singleMs / 1e6;
    const multi = bytes / multiMs / 1e6;
    const sample = {
      singleThreadReadGBps: single,
      multiThreadReadGBps: multi,
      bestReadGBps: Math.max(single, multi),
    };
    this.#samples.push(sample);
    return sample;
  }

  /** Every probe so far; throws before the first. */
  record(): BandwidthRecord {
    return {
      bufferBytes: this.bufferBytes,
      threads: this.threads,
      trialsPerProbe: this.trialsPerProbe,
      bestReadGBps: summarize(this.#samples.map((s) => s.bestReadGBps)),
      singleThreadReadGBps: summarize(this.#samples.map((s) => s.singleThreadReadGBps)),
      multiThreadReadGBps: summarize(this.#samples.map((s) => s.multiThreadReadGBps)),
    };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}

/** The child's next message, or its failure as an error that says what happened. */
function reply<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: T) => {
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`the bandwidth probe's process ended (exit ${code ?? signal}) before answering`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}
