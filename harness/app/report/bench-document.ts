import { loadLine } from '../../core/machine-load.ts';
import type { Summary } from '../../core/statistics.ts';
import type { BenchRan, BenchReport } from '../../engine/bench/bench-record.ts';
import {
  notRunResults,
  ranResults,
  type ThroughputRow,
  throughputRows,
} from '../../engine/bench/bench-rows.ts';
import type { RooflineVerdict } from '../../engine/bench/roofline.ts';
import { benchPlots } from './bench-plots.ts';
import { type Cell, formatNumber, num } from './cells.ts';
import { footnoteRef, type ReportBlock, type ReportDocument, type TableBlock } from './document.ts';

/** A table as one list of columns: its header, the cell of each row, and (where needed) its alignment. */
interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => Cell;
  readonly align?: 'left' | 'right';
}

/** llama-bench names the weights' type beside the model (`tiny-gpt2 q4`); fp32 goes unnamed. */
export function modelLabel(model: BenchRan['model']): string {
  const graph = model.graph;
  if (graph === undefined || graph.dtype === 'fp32') return model.name;
  return `${model.name} ${graph.dtype ?? graph.file}`;
}

const mib = (bytes: number, note?: string) => num(bytes, 1, { unit: 'bytes', ...(note ? { note } : {}) });
const ms = (x: number) => num(x, x < 10 ? 2 : 1, { unit: 'ms' });
const rate = (x: number) => num(x, x < 100 ? 2 : 1, { unit: 't/s' });
const range = (low: number, high: number) => `${formatNumber(rate(low))}–${formatNumber(rate(high))}`;

/**
 * llama-bench's Markdown layout (its markdown_printer): model, size, params, backend, threads,
 * test, t/s as mean ± sd; like llama-bench, a column for a parameter that is not at its default
 * (`batch`) appears only when some row has it. `noisy` follows a figure whose CV is above the
 * run's threshold.
 */
function llamaBenchColumns(rows: readonly ThroughputRow[]): Column<ThroughputRow>[] {
  const batched = rows.some((r) => r.result.point.batch !== 1);
  return [
    { header: 'model', cell: (r) => modelLabel(r.result.model) },
    { header: 'size', cell: (r) => num(r.result.model.sizeBytes, 2, { unit: 'bytes' }), align: 'right' },
    {
      header: 'params',
      cell: (r) => num(r.result.model.parameters, 2, { notation: 'millions' }),
      align: 'right',
    },
    { header: 'backend', cell: (r) => r.result.backend.id },
    { header: 'threads', cell: (r) => num(r.result.backend.threads, 0), align: 'right' },
    ...(batched
      ? [
          {
            header: 'batch',
            cell: (r: ThroughputRow) => num(r.result.point.batch, 0),
            align: 'right' as const,
          },
        ]
      : []),
    { header: 'test', cell: (r) => r.figure.test, align: 'right' },
    {
      header: 't/s',
      cell: (r) => {
        const s = r.figure.tokensPerSec;
        return num(s.mean, 2, { unit: 't/s', sd: s.sd, ...(r.figure.noisy ? { note: 'noisy' } : {}) });
      },
      align: 'right',
    },
  ];
}

/** Each figure's spread: median, quartiles, extremes, CV; the CPU-time rate; the roofline. */
const NOISE: readonly Column<ThroughputRow>[] = [
  { header: 'backend', cell: (r) => r.result.backend.id },
  { header: 'batch', cell: (r) => num(r.result.point.batch, 0) },
  { header: 'test', cell: (r) => r.figure.test },
  { header: 'median t/s', cell: (r) => rate(r.figure.tokensPerSec.median) },
  { header: 'IQR (q1–q3)', cell: (r) => range(r.figure.tokensPerSec.q1, r.figure.tokensPerSec.q3) },
  { header: 'min–max', cell: (r) => range(r.figure.tokensPerSec.min, r.figure.tokensPerSec.max) },
  {
    header: 'CV',
    cell: (r) =>
      num(100 * r.figure.tokensPerSec.cv, 1, { unit: '%', ...(r.figure.noisy ? { note: 'noisy' } : {}) }),
  },
  {
    header: 'CPU-time t/s',
    cell: (r) => (r.figure.cpuTokensPerSec === null ? 'n/a' : rate(r.figure.cpuTokensPerSec.median)),
  },
  {
    header: 'roofline',
    cell: (r) => (r.kind === 'decode' ? rooflineCell(r.result.decode.roofline.verdict, r) : ''),
  },
];

/** A roofline as a percentage only when it is one; never a figure above 100 %. */
function rooflineCell(verdict: RooflineVerdict, row: ThroughputRow): Cell {
  const limit = row.result.decode.roofline.limitTokensPerSec.median;
  if (verdict.kind === 'in-cache') {
    const weights = formatNumber(mib(row.result.decode.roofline.weightBytesPerStep));
    return `no bound (weights ${weights}, under the ${formatNumber(mib(verdict.cacheBytes))} cache and the probe's ${formatNumber(mib(verdict.probeBufferBytes))})`;
  }
  if (verdict.kind === 'measurement-error') {
    return (
      `measurement error: repetition ${verdict.repetition} decoded ${formatNumber(rate(verdict.tokensPerSec))} t/s, ` +
      `above its ${formatNumber(rate(verdict.limitTokensPerSec))} t/s limit from ${verdict.bandwidthGBps.toFixed(1)} GB/s probed around it`
    );
  }
  return num(verdict.percent, 0, { unit: '%', note: `of ${formatNumber(rate(limit))}` });
}

/** Latency, host-side time and memory of one backend on one model at one point. */
function latencyColumns(gpuNote: (r: BenchRan) => Cell): Column<BenchRan>[] {
  return [
    { header: 'model', cell: (r) => modelLabel(r.model) },
    { header: 'backend', cell: (r) => r.backend.id },
    { header: 'batch', cell: (r) => num(r.point.batch, 0) },
    { header: 'context', cell: (r) => num(r.point.contextTokens, 0) },
    { header: 'TTFT ms', cell: (r) => ms(r.timeToFirstTokenMs.median) },
    { header: 'ITL p50 ms', cell: (r) => ms(r.interTokenMs.p50) },
    { header: 'p90', cell: (r) => ms(r.interTokenMs.p90) },
    { header: 'p99', cell: (r) => ms(r.interTokenMs.p99) },
    { header: 'choice ms/step', cell: (r) => ms(r.choiceMsPerStep.median) },
    { header: 'tokenize ms', cell: (r) => ms(r.tokenizeMs.median) },
    { header: 'detokenize ms', cell: (r) => ms(r.detokenizeMs.median) },
    {
      header: 'peak RSS',
      cell: (r) =>
        mib(r.memory.peakRssBytes, r.memory.peakRssScope === 'process-lifetime' ? '(process)' : undefined),
    },
    { header: 'of which baseline', cell: (r) => mib(r.memory.baselineRssBytes) },
    { header: 'KV cache', cell: (r) => mib(r.memory.kvCacheBytes) },
    {
      header: 'browser PSS',
      cell: (r) => (r.memory.browserPssBytes === null ? '' : mib(r.memory.browserPssBytes)),
    },
    { header: 'GPU mem', cell: gpuNote },
  ];
}

function table<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  footnotes: string[] = [],
): TableBlock {
  return {
    kind: 'table',
    header: columns.map((c) => c.header),
    rows: rows.map((r) => columns.map((c) => c.cell(r))),
    ...(columns.some((c) => c.align) ? { align: columns.map((c) => c.align ?? 'left') } : {}),
    ...(footnotes.length > 0 ? { footnotes } : {}),
  };
}

/**
 * The bench report: the machine, its load and the run; warnings; the llama-bench table; each
 * figure's noise, CPU time and roofline; latency and memory; the plots (HTML); what did not run
 * and what the figures mean.
 */
export function benchDocument(report: BenchReport): ReportDocument {
  const rows = throughputRows(report);
  const footnotes: string[] = [];
  const gpuNote = (r: BenchRan): Cell => {
    const gpu = r.memory.gpu;
    if (gpu.status === 'measured') return mib(gpu.bytes);
    if (!footnotes.includes(gpu.why)) footnotes.push(gpu.why);
    return `${gpu.status === 'unknown' ? 'unknown' : 'n/a'} ${footnoteRef(footnotes.indexOf(gpu.why) + 1)}`;
  };
  const latency = table(latencyColumns(gpuNote), ranResults(report), footnotes);
  const blocks: ReportBlock[] = [
    { kind: 'lines', lines: headerLines(report) },
    ...(report.warnings.length > 0
      ? [{ kind: 'lines' as const, unwrapped: true, lines: report.warnings.map((w) => `warning: ${w}`) }]
      : []),
    { kind: 'heading', text: 'Throughput' },
    table(llamaBenchColumns(rows), rows),
    { kind: 'heading', text: 'Noise, CPU time and roofline' },
    table(NOISE, rows),
    { kind: 'heading', text: 'Latency, host time and memory' },
    latency,
    ...benchPlots(report).map((plot) => ({ kind: 'plot' as const, plot })),
    ...(notRunResults(report).length > 0
      ? [{ kind: 'lines' as const, unwrapped: true, lines: notRunLines(report) }]
      : []),
    { kind: 'lines', lines: meaning(report) },
  ];
  return { title: 'decode-harness bench', blocks };
}

/** bench.csv: one line per (model, backend, point, test) with every raw value, units in the headers. */
export function benchCsvTable(report: BenchReport): TableBlock {
  const stat = (header: string, pick: (s: Summary) => number): Column<ThroughputRow> => ({
    header,
    cell: (r) => num(pick(r.figure.tokensPerSec), 6, { unit: 't/s' }),
  });
  const roofline = (r: ThroughputRow) => (r.kind === 'decode' ? r.result.decode.roofline : null);
  const columns: Column<ThroughputRow>[] = [
    { header: 'model', cell: (r) => modelLabel(r.result.model) },
    { header: 'size', cell: (r) => num(r.result.model.sizeBytes, 0, { unit: 'bytes' }) },
    { header: 'params', cell: (r) => num(r.result.model.parameters, 0) },
    { header: 'backend', cell: (r) => r.result.backend.id },
    { header: 'threads', cell: (r) => num(r.result.backend.threads, 0) },
    { header: 'batch', cell: (r) => num(r.result.point.batch, 0) },
    { header: 'depth', cell: (r) => num(r.result.point.depth, 0) },
    { header: 'prompt tokens', cell: (r) => num(r.result.point.promptTokens, 0) },
    { header: 'context tokens', cell: (r) => num(r.result.point.contextTokens, 0) },
    { header: 'test', cell: (r) => r.figure.test },
    stat('median', (s) => s.median),
    stat('q1', (s) => s.q1),
    stat('q3', (s) => s.q3),
    stat('min', (s) => s.min),
    stat('max', (s) => s.max),
    stat('mean', (s) => s.mean),
    stat('sd', (s) => s.sd),
    { header: 'cv', cell: (r) => num(r.figure.tokensPerSec.cv, 6) },
    { header: 'noisy', cell: (r) => String(r.figure.noisy) },
    {
      header: 'cpu-time median',
      cell: (r) =>
        r.figure.cpuTokensPerSec === null ? '' : num(r.figure.cpuTokensPerSec.median, 6, { unit: 't/s' }),
    },
    {
      header: 'roofline',
      cell: (r) => {
        const v = roofline(r)?.verdict;
        return v?.kind === 'bound' ? num(v.percent, 3, { unit: '%' }) : (v?.kind ?? '');
      },
    },
    {
      header: 'roofline limit median',
      cell: (r) => {
        const rf = roofline(r);
        return rf === null ? '' : num(rf.limitTokensPerSec.median, 6, { unit: 't/s' });
      },
    },
    { header: 'samples', cell: (r) => r.figure.tokensPerSec.samples.join(' ') },
  ];
  return table(columns, throughputRows(report));
}

function headerLines(report: BenchReport): string[] {
  const { machine: m, bandwidth: b, settings: s } = report;
  const versions = Object.entries(m.versions)
    .map(([name, version]) => `${name} ${version ?? 'n/a'}`)
    .join(', ');
  const strategy = s.strategy === 'beam' ? `beam (${s.numBeams} beams)` : s.strategy;
  const bw = b.bestReadGBps;
  const load = (['start', 'during', 'end'] as const).map((when) => {
    const sample = m.load?.[when];
    return `load ${when === 'during' ? 'during the runs' : `at the ${when}`}: ${sample ? loadLine(sample) : 'not measured (no /proc)'}`;
  });
  return [
    `machine: ${m.cpuModel}, ${m.logicalCores} logical cores, ${m.memoryGiB} GiB, ${m.os}; GPU: ${m.gpus.join('; ') || 'none visible'}`,
    `versions: node ${m.node}, ${versions}; commit ${m.gitCommit ?? 'n/a'}`,
    ...load,
    `memory bandwidth: ${bw.samples.length} probes around the repetitions, median ${bw.median.toFixed(1)} GB/s (${bw.min.toFixed(1)}–${bw.max.toFixed(1)}; best of ${b.trialsPerProbe} one-thread and ${b.threads}-thread reads over ${formatNumber(mib(b.bufferBytes))} each)`,
    `sweep: prompt ${s.promptTokens.join(', ')} tokens × depth ${s.depths.join(', ')} × batch ${s.batches.join(', ')}; ${s.newTokens} new tokens (eos ignored), ${strategy}, threads ${s.threads ?? 'backend default'}, ${s.repetitions} repetitions after ${s.warmup} warm-up; ${report.createdAt}`,
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

function meaning(report: BenchReport): string[] {
  const threshold = `${100 * report.settings.noisyCv}%`;
  return [
    't/s is model time only: pp<C> = a prefill of C tokens (depth + prompt) into an empty cache ÷ its time; ' +
      'tg<N> @ d<C> = tokens from the N − 1 step calls (the first comes from the prefill) ÷ their time, with C tokens cached at the start. ' +
      'Token choice, tokenisation and detokenisation are timed apart.',
    `Throughput: mean ± sd over repetitions (llama-bench's layout). Noise: median, quartiles, min–max and CV (sd / mean); ` +
      `noisy = CV above ${threshold}. CPU-time t/s divides the same tokens by process CPU time (single-threaded, in-process backends).`,
    'roofline = tg as % of bandwidth / bytes read per step (weights + KV cache), per repetition with the bandwidth probed just before ' +
      'and after it, median over repetitions; a repetition above its limit is a measurement error, never a percentage.',
    'TTFT = prefill + first choice; ITL = gap between tokens (step + choice); KV cache = keys and values at the full context, every row.',
  ];
}
