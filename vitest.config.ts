import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/runner/slow-first-sequencer.ts';

// Vitest's default (cores − 1) is one worker on 2 cores: every slow file would then wait for
// the one before it. Much of a slow file's time is a browser starting or a page call in flight.
const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Model generation on first use and ORT sessions take seconds on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
    // Tests share generated model dirs; building them once in global setup keeps workers apart.
    pool: 'forks',
    maxWorkers: workers,
    // The cores split between the workers (and the CLIs they spawn): ONNX Runtime pools that spin
    // on every core in each worker oversubscribe the machine (default-threads.ts).
    env: {
      DECODE_HARNESS_THREADS:
        process.env.DECODE_HARNESS_THREADS ??
        String(Math.max(1, Math.floor(availableParallelism() / workers))),
    },
    sequence: { sequencer: SlowFirstSequencer },
    reporters: ['default', './test/runner/slowest-files-reporter.ts'],
  },
});
