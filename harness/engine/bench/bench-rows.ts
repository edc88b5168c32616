import type { BenchRan, BenchReport, BenchResult, ThroughputFigure } from './bench-record.ts';

/** One throughput test of one backend on one model at one sweep point: a llama-bench row. */
export interface ThroughputRow {
  readonly result: BenchRan;
  readonly figure: ThroughputFigure;
  readonly kind: 'prefill' | 'decode';
}

/** Every ran result's pp row then its tg row, in the order they ran. */
export function throughputRows(report: BenchReport): ThroughputRow[] {
  return ranResults(report).flatMap((result) => [
    { result, figure: result.prefill, kind: 'prefill' as const },
    { result, figure: result.decode, kind: 'decode' as const },
  ]);
}

export function ranResults(report: BenchReport): BenchRan[] {
  return report.results.filter((r): r is BenchRan => r.status === 'ran');
}

export function notRunResults(report: BenchReport): Exclude<BenchResult, BenchRan>[] {
  return report.results.filter((r): r is Exclude<BenchResult, BenchRan> => r.status !== 'ran');
}
