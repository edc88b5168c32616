import type { Logits, LogitsSource, PrefillOptions } from '../../core/backend/contract.ts';

/**
 * A LogitsSource that forwards every call and notes when each step began. A strategy steps as soon
 * as it has chosen the next tokens, so step k's start is when token k became known: user-visible
 * token times that include the strategy's own work (DecodeResult.timing keeps it apart). Beam
 * search reorders its cache between choosing and stepping, so there a token time includes that
 * reorder (and a beam's tokens are only final at the end: its token times are step times).
 * It also notes the process CPU time around each step (cpuMs): on a shared machine the scheduler
 * stretches wall-clock times at random, while the CPU time a single-threaded decode uses barely
 * moves (and around the prefill, prefillCpuMs). Costs one performance.now() and two
 * process.cpuUsage() calls (~1 µs) per step.
 */
export class TimedSource implements LogitsSource {
  /** performance.now() at the start of each step since the last prefill. */
  readonly stepStarts: number[] = [];
  /** cpuMs() at the start of each step. */
  readonly stepStartCpuMs: number[] = [];
  /** CPU milliseconds the process spent during each step call. */
  readonly stepCpuMs: number[] = [];
  /** CPU milliseconds the process spent during the last prefill call. */
  prefillCpuMs = 0;

  constructor(private readonly inner: LogitsSource) {}

  get info() {
    return this.inner.info;
  }
  get vocabSize() {
    return this.inner.vocabSize;
  }
  get maxPositions() {
    return this.inner.maxPositions;
  }

  async prefill(rows: readonly (readonly number[])[], options?: PrefillOptions): Promise<Logits> {
    this.stepStarts.length = 0;
    this.stepStartCpuMs.length = 0;
    this.stepCpuMs.length = 0;
    const cpu0 = cpuMs();
    const logits = await this.inner.prefill(rows, options);
    this.prefillCpuMs = cpuMs() - cpu0;
    return logits;
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    this.stepStarts.push(performance.now());
    const cpu0 = cpuMs();
    this.stepStartCpuMs.push(cpu0);
    const logits = await this.inner.step(tokens);
    this.stepCpuMs.push(cpuMs() - cpu0);
    return logits;
  }

  reorder(sourceRows: readonly number[]): Promise<void> {
    return this.inner.reorder(sourceRows);
  }

  reset(): void {
    this.inner.reset();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

/**
 * CPU time this process has used so far (user + system, every thread), milliseconds, microsecond
 * resolution. With one intra-op thread the decode itself runs on the main thread, so this is its
 * work plus V8's background threads (concurrent GC, compilers); unlike wall time it excludes the
 * time the scheduler gave to other processes. (Per-thread CPU time is not precise enough here:
 * /proc/thread-self/schedstat advances in scheduler ticks of 4 ms, and Node 20 has no
 * process.threadCpuUsage.)
 */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
