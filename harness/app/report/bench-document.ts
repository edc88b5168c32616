import type { BenchRan, BenchReport } from '../../engine/bench/bench-record.ts';
import {
  notRunResults,
  ranResults,
  type ThroughputRow,
  throughputRows,
} from '../../engine/bench/bench-rows.ts';
import { type Cell, formatNumber, num } from './cells.ts';
import type { ReportDocument } from './document.ts';

/** A table as one list of columns: its header and the cell of each row. */
interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => Cell;
}

/** llama-bench names the weights' type beside the model (`tiny-gpt2 q4`); fp32 goes unnamed. */
function modelLabel(model: BenchRan['model']): string {
  const graph = model.graph;
  if (graph === undefined || graph.dtype === 'fp32') return model.name;
  return `${model.name} ${graph.dtype ?? graph.file}`;
}

const mib = (bytes: number, note?: string) => num(bytes, 1, { unit: 'bytes', ...(note ? { note } : {}) });
const ms = (x: number) => num(x, x < 10 ? 2 : 1, { unit: 'ms' });

/** Percent of the memory roofline a decode figure reaches (prefill is compute-bound: none). */
function rooflinePercent(row: ThroughputRow): number | null {
  if (row.kind !== 'decode') return null;
  return (100 * row.figure.tokensPerSec.mean) / row.result.decode.roofline.limitTokensPerSec;
}

/** One row per (model, backend, test), as llama-bench prints them; bench.csv is this table. */
const THROUGHPUT: readonly Column<ThroughputRow>[] = [
  { header: 'model', cell: (r) => modelLabel(r.result.model) },
  { header: 'size', cell: (r) => mib(r.result.model.sizeBytes) },
  { header: 'params', cell: (r) => num(r.result.model.parameters, 1, { notation: 'millions' }) },
  { header: 'backend', cell: (r) => r.result.backend.id },
  { header: 'threads', cell: (r) => num(r.result.backend.threads, 0) },
  { header: 'test', cell: (r) => r.figure.test },
  {
    header: 't/s',
    cell: (r) => num(r.figure.tokensPerSec.mean, 2, { unit: 't/s', sd: r.figure.tokensPerSec.sd }),
  },
  {
    header: 'roofline',
    cell: (r) => {
      const pct = rooflinePercent(r);
      if (pct === null) return '';
      const { limitTokensPerSec, weightBytesPerStep } = r.result.decode.roofline;
      const inCache = r.cacheBytes !== null && weightBytesPerStep < r.cacheBytes;
      const of = `of ${formatNumber(num(limitTokensPerSec, 0, { unit: 't/s' }))}`;
      return num(pct, 0, { unit: '%', note: inCache ? `${of} (weights fit in cache: no bound)` : of });
    },
  },
];

/** Latency, host-side time and memory of one backend on one model. */
const LATENCY: readonly Column<BenchRan>[] = [
  { header: 'model', cell: (r) => modelLabel(r.model) },
  { header: 'backend', cell: (r) => r.backend.id },
  { header: 'TTFT ms', cell: (r) => ms(r.timeToFirstTokenMs.mean) },
  { header: 'ITL p50 ms', cell: (r) => ms(r.interTokenMs.p50) },
  { header: 'p90', cell: (r) => ms(r.interTokenMs.p90) },
  { header: 'p99', cell: (r) => ms(r.interTokenMs.p99) },
  { header: 'choice ms/step', cell: (r) => ms(r.choiceMsPerStep.mean) },
  { header: 'tokenize ms', cell: (r) => ms(r.tokenizeMs.mean) },
  { header: 'detokenize ms', cell: (r) => ms(r.detokenizeMs.mean) },
  {
    header: 'peak RSS',
    cell: (r) =>
      mib(r.memory.peakRssBytes, r.memory.peakRssScope === 'process-lifetime' ? '(process)' : undefined),
  },
  { header: 'of which baseline', cell: (r) => mib(r.memory.baselineRssBytes) },
  {
    header: 'browser PSS',
    cell: (r) => (r.memory.browserPssBytes === null ? '' : mib(r.memory.browserPssBytes)),
  },
  {
    header: 'GPU mem',
    cell: (r) => (r.memory.gpuMemoryBytes === null ? 'n/a' : mib(r.memory.gpuMemoryBytes)),
  },
];

const table = <Row>(columns: readonly Column<Row>[], rows: readonly Row[]) =>
  ({
    kind: 'table',
    header: columns.map((c) => c.header),
    rows: rows.map((r) => columns.map((c) => c.cell(r))),
  }) as const;

/**
 * The bench report: the machine and the run, the throughput table (first: bench.csv is it), the
 * latency and memory table, then what did not run and what the figures mean.
 */
export function benchDocument(report: BenchReport): ReportDocument {
  return {
    title: 'decode-harness bench',
    blocks: [
      { kind: 'lines', lines: headerLines(report) },
      { kind: 'heading', text: 'Throughput' },
      table(THROUGHPUT, throughputRows(report)),
      { kind: 'heading', text: 'Latency, host time and memory' },
      table(LATENCY, ranResults(report)),
      ...(notRunResults(report).length > 0
        ? [{ kind: 'lines' as const, unwrapped: true, lines: notRunLines(report) }]
        : []),
      { kind: 'lines', lines: [MEANING] },
    ],
  };
}

function headerLines(report: BenchReport): string[] {
  const { machine: m, bandwidth: b, settings: s } = report;
  const versions = Object.entries(m.versions)
    .map(([name, version]) => `${name} ${version ?? 'n/a'}`)
    .join(', ');
  const strategy = s.strategy === 'beam' ? `beam (${s.numBeams} beams)` : s.strategy;
  const gbps = (x: number) => formatNumber(num(x, 1, { unit: 'GB/s' }));
  return [
    `machine: ${m.cpuModel}, ${m.logicalCores} logical cores, ${m.memoryGiB} GiB, ${m.os}; GPU: ${m.gpus.join('; ') || 'none visible'}`,
    `versions: node ${m.node}, ${versions}; commit ${m.gitCommit ?? 'n/a'}`,
    `memory bandwidth (roofline): ${gbps(b.bestReadGBps)} GB/s (1 thread ${gbps(b.singleThreadReadGBps)}, ${b.threads} threads ${gbps(b.multiThreadReadGBps)}; best of ${b.trials} over ${formatNumber(num(b.bufferBytes, 0, { unit: 'bytes' }))})`,
    `run: ${s.promptTokens}-token synthetic prompt, ${s.newTokens} new tokens (eos ignored), ${strategy}, batch ${s.batch}, threads ${s.threads ?? 'backend default'}, ${s.repetitions} repetitions after ${s.warmup} warm-up; ${report.createdAt}`,
  ];
}

/** One line per backend and model that did not run: a reader greps for these. */
function notRunLines(report: BenchReport): string[] {
  return notRunResults(report).map((r) => {
    if (r.status === 'refused') {
      const checks = r.failedChecks.map((c) => `${c.name}: ${c.detail}`).join('; ');
      return `${r.backendId} on ${r.model.name}: REFUSED — failed conformance (${checks})`;
    }
    return `${r.backendId} on ${r.model.name}: ${r.status} — ${r.reason}`;
  });
}

const MEANING =
  't/s is model time only (mean ± sd over repetitions): pp = prompt tokens / prefill call, tg = tokens / step calls ' +
  '(the first new token comes from the prefill). Token choice, tokenisation and detokenisation are timed apart. ' +
  'TTFT = prefill + first choice; ITL = gap between tokens (step + choice). roofline = tg as % of ' +
  'bandwidth / bytes read per step (weights + KV cache).';
