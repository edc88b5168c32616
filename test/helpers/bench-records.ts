import type { MachineRecord } from '../../harness/core/machine.ts';
import { summarize } from '../../harness/core/statistics.ts';
import { BENCH_SCHEMA, type BenchRan, type BenchReport } from '../../harness/engine/bench/bench-record.ts';

/** A fixed machine record for hand-built reports. */
export const TEST_MACHINE: MachineRecord = {
  cpuModel: 'cpu',
  logicalCores: 2,
  memoryGiB: 8,
  os: 'linux',
  node: '20',
  gitCommit: null,
  versions: {},
  gpus: [],
  lastLevelCacheBytes: null,
};

/** A throughput figure of `samples`, noisy above 5% CV, with no CPU-time twin. */
function figure(test: string, samples: number[]) {
  const tokensPerSec = summarize(samples);
  return { test, tokensPerSec, noisy: tokensPerSec.cv > 0.05, cpuTokensPerSec: null };
}

/**
 * A ran bench result on model `m` at a 16-token context, batch `batch`, whose tg64 @ d16 samples
 * are `tg` and pp16 samples `pp`, everything else fixed: 2.5M parameters in 10 MiB, a 200 t/s
 * roofline from 1 GB/s, TTFT 12 ms, ITL 5/6/7 ms.
 */
export function benchRan(
  backendId: string,
  tg: number[],
  pp: number[] = [100, 100],
  sha = 'a'.repeat(64),
  batch = 1,
): BenchRan {
  const s = summarize;
  const limit = 200 * batch;
  return {
    status: 'ran',
    model: {
      name: 'm',
      path: '/m',
      modelType: 'gpt2',
      sha256: sha,
      parameters: 2_500_000,
      sizeBytes: 10 * 2 ** 20,
    },
    backend: {
      id: backendId,
      device: 'cpu',
      deviceKind: 'cpu',
      executionProvider: 'x',
      dtype: 'float32',
      threads: 1,
      versions: {},
    },
    conformance: { passed: true, cached: true },
    point: { promptTokens: 16, depth: 0, batch, contextTokens: 16 },
    prefill: figure('pp16', pp),
    decode: {
      ...figure('tg64 @ d16', tg),
      roofline: {
        weightBytesPerStep: 40,
        kvBytesPerStepPerRow: 0,
        meanContextTokens: 48,
        rows: batch,
        tokensPerStep: batch,
        bandwidthGBps: s(tg.map(() => 1)),
        limitTokensPerSec: s(tg.map(() => limit)),
        verdict: { kind: 'bound', percent: (100 * s(tg).median) / limit },
      },
    },
    timeToFirstTokenMs: s([12, 12]),
    interTokenMs: { p50: 5, p90: 6, p99: 7, samples: [5, 6, 7] },
    choiceMsPerStep: s([0.5, 0.5]),
    tokenizeMs: s([1]),
    detokenizeMs: s([1]),
    memory: {
      peakRssBytes: 2 ** 21,
      peakRssScope: 'process-lifetime',
      baselineRssBytes: 2 ** 20,
      kvCacheBytes: 3 * 2 ** 20,
      gpu: { status: 'not-applicable', why: 'a CPU backend: its memory is in peak RSS' },
      browserPssBytes: null,
    },
  };
}

/** A bench report of `results` with default settings (pp16, tg64 @ d16, 2 repetitions, one thread, greedy). */
export function benchReport(results: BenchReport['results']): BenchReport {
  return {
    schema: BENCH_SCHEMA,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: TEST_MACHINE,
    bandwidth: {
      bufferBytes: 256 * 2 ** 20,
      threads: 2,
      trialsPerProbe: 3,
      bestReadGBps: summarize([8, 7]),
      singleThreadReadGBps: summarize([5, 5]),
      multiThreadReadGBps: summarize([8, 7]),
    },
    settings: {
      promptTokens: [16],
      depths: [0],
      batches: [1],
      newTokens: 64,
      repetitions: 2,
      warmup: 1,
      threads: 1,
      strategy: 'greedy',
      numBeams: 1,
      sampling: null,
      eosIgnored: true,
      prompt: 'synthetic-ids',
      noisyCv: 0.05,
    },
    results,
    warnings: [],
  };
}
