import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { checkedThreads } from '../../harness/core/backend/default-threads.ts';
import { matmulOutputs, matmulTransposed, rowTimesWeights } from './kernels-f32.ts';

/** Below this many multiply-adds a matmul runs on the calling thread: waking a worker costs more. */
const DEFAULT_MIN_SPLIT_MACS = 1 << 17;

/**
 * Polls of the control block before sleeping in Atomics.wait (~0.1 ms): a forward pass issues its
 * products a few tens of µs apart, and a futex wake-up costs more than that on a shared VM.
 */
const SPIN_POLLS = 10_000;

/** How long the caller waits for a worker's share before calling the pool broken. */
const WORKER_TIMEOUT_MS = 120_000;

// The control block, Int32 slots shared by the caller and every worker.
const GENERATION = 0; // bumped by the caller once per command
const DONE = 1; // workers that finished the current command
const FAILED = 2; // 1 when a worker caught an error (its message goes to its port)
const OP = 3; // OP_MATMUL or OP_EXIT
const [W_ID, BIAS_ID, X_ID, OUT_ID, ROWS, IN_DIM, OUT_DIM] = [4, 5, 6, 7, 8, 9, 10];
const RANGES = 16; // slots RANGES + 2k and RANGES + 2k + 1: the [from, to) of worker k's outputs
const OP_MATMUL = 1;
const OP_EXIT = 2;
const NO_BIAS = -1;

/**
 * A worker: wait for the generation to move (polling briefly, then sleeping), take any arrays the
 * caller has registered since (posted on its port, read synchronously), compute its outputs, count
 * itself done. The kernel is kernels-f32.ts's own functions as source text, so the threads run the
 * very code the caller runs.
 */
const WORKER_SOURCE = `var __name = (f) => f; // tsx's esbuild (keepNames) may wrap inner functions in __name
${rowTimesWeights.toString()}
${matmulOutputs.toString()}
const { workerData, receiveMessageOnPort, parentPort } = require('node:worker_threads');
const { control, port, index } = workerData;
parentPort.postMessage('ready');
const ctl = new Int32Array(control);
const arrays = new Map();
const take = () => { for (let m; (m = receiveMessageOnPort(port)); ) arrays.set(m.message.id, new Float32Array(m.message.buffer, m.message.byteOffset, m.message.length)); };
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPIN_POLLS} && Atomics.load(ctl, ${GENERATION}) === seen; i++);
  Atomics.wait(ctl, ${GENERATION}, seen);
  seen = Atomics.load(ctl, ${GENERATION});
  if (ctl[${OP}] === ${OP_EXIT}) break;
  try {
    take();
    const array = (id) => { const a = arrays.get(id); if (a === undefined) throw new Error('array ' + id + ' was never registered'); return a; };
    const biasId = ctl[${BIAS_ID}];
    matmulOutputs(array(ctl[${OUT_ID}]), array(ctl[${X_ID}]), array(ctl[${W_ID}]), biasId === ${NO_BIAS} ? null : array(biasId),
      ctl[${ROWS}], ctl[${IN_DIM}], ctl[${OUT_DIM}], ctl[${RANGES} + 2 * index], ctl[${RANGES} + 2 * index + 1]);
  } catch (e) {
    Atomics.store(ctl, ${FAILED}, 1);
    port.postMessage(String(e && e.stack || e));
  }
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}`;

/**
 * `ts:f32`'s matrix products on `threads` threads: the caller and threads − 1 workers over shared
 * memory, each computing a contiguous range of the outputs with matmulOutputs. The split is by
 * output, so every output is summed exactly as on one thread: threaded logits are bit-identical.
 *
 * Weights and biases live in SharedArrayBuffers (`share`, once at load); a call copies its input
 * rows into a shared staging buffer and its outputs back, which costs ~0.1% of the product. The
 * caller blocks in Atomics.wait until the workers are done, so the forward pass stays synchronous.
 */
export class MatmulThreads {
  readonly #workers: readonly Worker[];
  readonly #ports: readonly MessagePort[];
  readonly #control: Int32Array;
  readonly #ids = new WeakMap<Float32Array, number>();
  #nextId = 0;
  #input: Float32Array<ArrayBufferLike> = new Float32Array(0);
  #output: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** Set once a worker failed, crashed or timed out: every later call throws it, none computes. */
  #broken: Error | null = null;
  #disposed: Promise<void> | null = null;
  /** Resolves when every worker has started its loop; rejects with the first that could not. */
  readonly ready: Promise<void>;

  private constructor(
    readonly threads: number,
    private readonly minSplitMacs: number,
  ) {
    this.#control = new Int32Array(new SharedArrayBuffer(4 * (RANGES + 2 * threads)));
    const channels = Array.from({ length: threads - 1 }, () => new MessageChannel());
    this.#ports = channels.map((c) => c.port1);
    this.#workers = channels.map((c, index) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [], // plain CommonJS whatever the parent's flags (--input-type=module would make it ESM)
        workerData: { control: this.#control.buffer, port: c.port2, index },
        transferList: [c.port2],
      });
      worker.unref(); // an undisposed backend must not keep the process alive
      // Events arrive between calls (the caller blocks during one): the next call reports it.
      worker.on('error', (error) => {
        this.#broken ??= new Error(`ts:f32: a matmul worker failed: ${error.message}`);
      });
      return worker;
    });
    this.ready = Promise.all(
      this.#workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new Error(`ts:f32: a matmul worker exited (code ${code})`)));
          }),
      ),
    ).then(() => undefined);
    this.ready.catch(() => {}); // unawaited, a start failure still surfaces: the next call throws it
  }

  /**
   * `threads` ≥ 1 (else a UsageError naming it); products under `minSplitMacs` multiply-adds stay
   * on the calling thread (tests pass 0).
   */
  static start(threads: number, minSplitMacs = DEFAULT_MIN_SPLIT_MACS): MatmulThreads {
    return new MatmulThreads(checkedThreads(threads), minSplitMacs);
  }

  /** A weight or bias the products will read: on one thread the array itself, else a shared copy. */
  share<A extends Float32Array | null>(array: A): A {
    if (array === null || this.threads === 1) return array;
    const copy = new Float32Array(new SharedArrayBuffer(array.byteLength));
    copy.set(array);
    this.#register(copy);
    return copy as A;
  }

  /** matmulTransposed (kernels-f32.ts), its outputs split over the threads; w and bias from `share`. */
  matmul(
    out: Float32Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    rows: number,
    inDim: number,
    outDim: number,
  ): void {
    if (this.#broken !== null) throw this.#broken;
    if (this.threads === 1 || rows * inDim * outDim < this.minSplitMacs) {
      matmulTransposed(out, x, w, bias, rows, inDim, outDim);
      return;
    }
    const input = this.#staging('input', rows * inDim);
    const output = this.#staging('output', rows * outDim);
    input.set(x.subarray(0, rows * inDim));
    const ctl = this.#control;
    ctl[W_ID] = this.#idOf(w);
    ctl[BIAS_ID] = bias === null ? NO_BIAS : this.#idOf(bias);
    ctl[X_ID] = this.#idOf(input);
    ctl[OUT_ID] = this.#idOf(output);
    ctl[ROWS] = rows;
    ctl[IN_DIM] = inDim;
    ctl[OUT_DIM] = outDim;
    // Ranges in multiples of eight, rowTimesWeights' block; the caller takes the last one.
    const per = Math.ceil(outDim / this.threads / 8) * 8;
    const range = (k: number) => [Math.min(outDim, k * per), Math.min(outDim, (k + 1) * per)] as const;
    for (let k = 0; k < this.#workers.length; k++) {
      [ctl[RANGES + 2 * k], ctl[RANGES + 2 * k + 1]] = range(k);
    }
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, OP, OP_MATMUL);
    Atomics.add(ctl, GENERATION, 1);
    Atomics.notify(ctl, GENERATION);
    const [from, to] = range(this.#workers.length);
    matmulOutputs(output, input, w, bias, rows, inDim, outDim, from, to);
    this.#awaitWorkers();
    out.set(output.subarray(0, rows * outDim));
  }

  /** Stop the workers and wait for them to exit (the same promise on every call). */
  dispose(): Promise<void> {
    this.#disposed ??= this.#stop();
    return this.#disposed;
  }

  async #stop(): Promise<void> {
    this.#broken ??= new Error('ts:f32: the matmul threads were disposed');
    if (this.#workers.length === 0) return;
    // ref'd again: an unref'd worker's exit alone would not keep the event loop alive to see it
    const exited = this.#workers.map((w) => {
      w.ref();
      return w.threadId === -1 ? Promise.resolve() : new Promise((resolve) => w.once('exit', resolve));
    });
    Atomics.store(this.#control, OP, OP_EXIT);
    Atomics.add(this.#control, GENERATION, 1);
    Atomics.notify(this.#control, GENERATION);
    await Promise.all(exited);
    for (const port of this.#ports) port.close();
  }

  #awaitWorkers(): void {
    const ctl = this.#control;
    for (let i = 0; i < SPIN_POLLS && Atomics.load(ctl, DONE) < this.#workers.length; i++);
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (let done = Atomics.load(ctl, DONE); done < this.#workers.length; done = Atomics.load(ctl, DONE)) {
      if (performance.now() > deadline) {
        // its late count would end the next call's wait early: no call may run after this
        this.#broken = new Error(
          `ts:f32: a matmul worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`,
        );
        throw this.#broken;
      }
      Atomics.wait(ctl, DONE, done, 1000);
    }
    if (Atomics.load(ctl, FAILED) === 1) {
      this.#broken = new Error(`ts:f32: a matmul worker failed: ${this.#workerErrors()}`);
      throw this.#broken;
    }
  }

  #workerErrors(): string {
    return this.#ports
      .map((port) => receiveMessageOnPort(port)?.message)
      .filter((message) => message !== undefined)
      .join('; ');
  }

  /** A shared buffer of at least `length` floats for a call's input or output, grown by doubling. */
  #staging(which: 'input' | 'output', length: number): Float32Array {
    const current = which === 'input' ? this.#input : this.#output;
    if (current.length >= length) return current;
    const grown = new Float32Array(new SharedArrayBuffer(4 * Math.max(length, 2 * current.length)));
    this.#register(grown);
    if (which === 'input') this.#input = grown;
    else this.#output = grown;
    return grown;
  }

  #register(array: Float32Array): void {
    const id = this.#nextId++;
    this.#ids.set(array, id);
    const message = { id, buffer: array.buffer, byteOffset: array.byteOffset, length: array.length };
    for (const port of this.#ports) port.postMessage(message);
  }

  #idOf(array: Float32Array): number {
    const id = this.#ids.get(array);
    if (id === undefined)
      throw new Error('ts:f32: a matmul read an array that was not shared with its workers');
    return id;
  }
}
