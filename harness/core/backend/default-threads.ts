import os from 'node:os';
import { UsageError } from '../errors.ts';

/**
 * Intra-op threads for a backend whose caller names none: DECODE_HARNESS_THREADS, else every core.
 * Harness processes that share a machine (a test runner's workers, a CI matrix) set it to split the
 * cores between them: ONNX Runtime's thread pools spin while they wait, so two processes with a
 * pool per core each oversubscribe it (measured here: 16% longer on two workers).
 */
export function defaultThreads(): number {
  const raw = process.env.DECODE_HARNESS_THREADS;
  if (raw === undefined || raw === '') return os.availableParallelism();
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(
      `DECODE_HARNESS_THREADS "${raw}" must be a whole number from 1; unset it to use every core (${os.availableParallelism()})`,
    );
  }
  return threads;
}

/** `threads` if it is a whole number from 1, else a UsageError naming it and a count that works. */
export function checkedThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(
      `threads ${threads} is not a positive integer; pass e.g. --threads ${os.availableParallelism()}`,
    );
  }
  return threads;
}
