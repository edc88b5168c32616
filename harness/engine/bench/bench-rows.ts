import type { BenchRan, BenchReport, BenchResult, ThroughputFigure } from './bench-record.ts';

/** One throughput test of one backend on one model: a llama-bench row. */
export interface ThroughputRow {
  readonly result: BenchRan;
  /** The machine's largest cache (MachineRecord.lastLevelCacheBytes). */
  readonly cacheBytes: number | null;
  readonly figure: ThroughputFigure;
  readonly kind: 'prefill' | 'decode';
}

export function throughputRows(report: BenchReport): ThroughputRow[] {
  const cacheBytes = report.machine.lastLevelCacheBytes;
  return ranResults(report).flatMap((result) => [
    { result, cacheBytes, figure: result.prefill, kind: 'prefill' as const },
    { result, cacheBytes, figure: result.decode, kind: 'decode' as const },
  ]);
}

export function ranResults(report: BenchReport): BenchRan[] {
  return report.results.filter((r): r is BenchRan => r.status === 'ran');
}

export function notRunResults(report: BenchReport): Exclude<BenchResult, BenchRan>[] {
  return report.results.filter((r): r is Exclude<BenchResult, BenchRan> => r.status !== 'ran');
}
