import type { BenchRan, BenchReport, BenchResult, ThroughputFigure } from './bench-record.ts';

/**
 * The report's tables as one list of fields each: every renderer (terminal, Markdown, CSV) reads
 * these, so a figure is computed once and shown the same everywhere. `text` is for people, `raw`
 * for CSV (plain numbers, no units).
 */
export interface Column<Row> {
  readonly header: string;
  readonly text: (row: Row) => string;
  readonly raw: (row: Row) => string | number;
  /** Shown in CSV only (the people's tables fold it into another column). */
  readonly csvOnly?: true;
}

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

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const millions = (n: number) => `${(n / 1e6).toFixed(1)} M`;
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

/** Percent of the memory roofline a decode figure reaches (prefill is compute-bound: none). */
function rooflinePercent(row: ThroughputRow): number | null {
  if (row.kind !== 'decode') return null;
  return (100 * row.figure.tokensPerSec.mean) / row.result.decode.roofline.limitTokensPerSec;
}

export const THROUGHPUT_COLUMNS: readonly Column<ThroughputRow>[] = [
  { header: 'model', text: (r) => r.result.model.name, raw: (r) => r.result.model.name },
  { header: 'size', text: (r) => mib(r.result.model.sizeBytes), raw: (r) => r.result.model.sizeBytes },
  {
    header: 'params',
    text: (r) => millions(r.result.model.parameters),
    raw: (r) => r.result.model.parameters,
  },
  { header: 'backend', text: (r) => r.result.backend.id, raw: (r) => r.result.backend.id },
  { header: 'threads', text: (r) => String(r.result.backend.threads), raw: (r) => r.result.backend.threads },
  { header: 'test', text: (r) => r.figure.test, raw: (r) => r.figure.test },
  {
    header: 't/s',
    text: (r) => `${r.figure.tokensPerSec.mean.toFixed(2)} ± ${r.figure.tokensPerSec.sd.toFixed(2)}`,
    raw: (r) => r.figure.tokensPerSec.mean,
  },
  {
    header: 'sd',
    text: (r) => r.figure.tokensPerSec.sd.toFixed(2),
    raw: (r) => r.figure.tokensPerSec.sd,
    csvOnly: true,
  },
  {
    header: 'roofline',
    text: (r) => {
      const pct = rooflinePercent(r);
      if (pct === null) return '';
      const { limitTokensPerSec, weightBytesPerStep } = r.result.decode.roofline;
      const inCache = r.cacheBytes !== null && weightBytesPerStep < r.cacheBytes;
      return `${pct.toFixed(0)}% of ${limitTokensPerSec.toFixed(0)}${inCache ? ' (weights fit in cache: no bound)' : ''}`;
    },
    raw: (r) => rooflinePercent(r) ?? '',
  },
];

/** Latency, host-side time and memory of one backend on one model. */
export const LATENCY_COLUMNS: readonly Column<BenchRan>[] = [
  { header: 'model', text: (r) => r.model.name, raw: (r) => r.model.name },
  { header: 'backend', text: (r) => r.backend.id, raw: (r) => r.backend.id },
  { header: 'TTFT ms', text: (r) => ms(r.timeToFirstTokenMs.mean), raw: (r) => r.timeToFirstTokenMs.mean },
  { header: 'ITL p50 ms', text: (r) => ms(r.interTokenMs.p50), raw: (r) => r.interTokenMs.p50 },
  { header: 'p90', text: (r) => ms(r.interTokenMs.p90), raw: (r) => r.interTokenMs.p90 },
  { header: 'p99', text: (r) => ms(r.interTokenMs.p99), raw: (r) => r.interTokenMs.p99 },
  { header: 'choice ms/step', text: (r) => ms(r.choiceMsPerStep.mean), raw: (r) => r.choiceMsPerStep.mean },
  { header: 'tokenize ms', text: (r) => ms(r.tokenizeMs.mean), raw: (r) => r.tokenizeMs.mean },
  { header: 'detokenize ms', text: (r) => ms(r.detokenizeMs.mean), raw: (r) => r.detokenizeMs.mean },
  {
    header: 'peak RSS',
    text: (r) =>
      `${mib(r.memory.peakRssBytes)}${r.memory.peakRssScope === 'process-lifetime' ? ' (process)' : ''}`,
    raw: (r) => r.memory.peakRssBytes,
  },
  {
    header: 'of which baseline',
    text: (r) => mib(r.memory.baselineRssBytes),
    raw: (r) => r.memory.baselineRssBytes,
  },
  {
    header: 'browser PSS',
    text: (r) => (r.memory.browserPssBytes === null ? '' : mib(r.memory.browserPssBytes)),
    raw: (r) => r.memory.browserPssBytes ?? '',
  },
  {
    header: 'GPU mem',
    text: (r) => (r.memory.gpuMemoryBytes === null ? 'n/a' : mib(r.memory.gpuMemoryBytes)),
    raw: (r) => r.memory.gpuMemoryBytes ?? '',
  },
];
