import {
  type Column,
  LATENCY_COLUMNS,
  notRunResults,
  ranResults,
  THROUGHPUT_COLUMNS,
  throughputRows,
} from '../../engine/bench/bench-columns.ts';
import type { BenchReport } from '../../engine/bench/bench-record.ts';
import { formatTable } from './render-text.ts';

/** The report for people, as plain text (terminal) or Markdown; both from bench-columns.ts. */
export function renderBenchText(report: BenchReport): string {
  const table = <Row>(columns: readonly Column<Row>[], rows: readonly Row[]) => {
    const shown = columns.filter((c) => !c.csvOnly);
    return formatTable(
      shown.map((c) => c.header),
      rows.map((r) => shown.map((c) => c.text(r))),
    );
  };
  return [
    ...headerLines(report),
    '',
    table(THROUGHPUT_COLUMNS, throughputRows(report)),
    '',
    table(LATENCY_COLUMNS, ranResults(report)),
    '',
    ...notes(report),
  ].join('\n');
}

const mdCell = (s: string) => s.replaceAll('|', '\\|');

export function renderBenchMarkdown(report: BenchReport): string {
  const table = <Row>(columns: readonly Column<Row>[], rows: readonly Row[]) => {
    const shown = columns.filter((c) => !c.csvOnly);
    return [
      `| ${shown.map((c) => mdCell(c.header)).join(' | ')} |`,
      `|${shown.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${shown.map((c) => mdCell(c.text(r))).join(' | ')} |`),
    ].join('\n');
  };
  return [
    '# decode-harness bench',
    '',
    ...headerLines(report).map((line) => `- ${line}`),
    '',
    '## Throughput',
    '',
    table(THROUGHPUT_COLUMNS, throughputRows(report)),
    '',
    '## Latency, host time and memory',
    '',
    table(LATENCY_COLUMNS, ranResults(report)),
    '',
    ...notes(report).map((line) => `- ${line}`),
    '',
  ].join('\n');
}

function headerLines(report: BenchReport): string[] {
  const { machine: m, bandwidth: b, settings: s } = report;
  const versions = Object.entries(m.versions)
    .map(([name, version]) => `${name} ${version ?? 'n/a'}`)
    .join(', ');
  const strategy = s.strategy === 'beam' ? `beam (${s.numBeams} beams)` : s.strategy;
  return [
    `machine: ${m.cpuModel}, ${m.logicalCores} logical cores, ${m.memoryGiB} GiB, ${m.os}; GPU: ${m.gpus.join('; ') || 'none visible'}`,
    `versions: node ${m.node}, ${versions}; commit ${m.gitCommit ?? 'n/a'}`,
    `memory bandwidth (roofline): ${b.bestReadGBps.toFixed(1)} GB/s (1 thread ${b.singleThreadReadGBps.toFixed(1)}, ${b.threads} threads ${b.multiThreadReadGBps.toFixed(1)}; best of ${b.trials} over ${(b.bufferBytes / 2 ** 20).toFixed(0)} MiB)`,
    `run: ${s.promptTokens}-token synthetic prompt, ${s.newTokens} new tokens (eos ignored), ${strategy}, batch ${s.batch}, threads ${s.threads ?? 'backend default'}, ${s.repetitions} repetitions after ${s.warmup} warm-up; ${report.createdAt}`,
  ];
}

function notes(report: BenchReport): string[] {
  const lines = notRunResults(report).map((r) => {
    if (r.status === 'refused') {
      const checks = r.failedChecks.map((c) => `${c.name}: ${c.detail}`).join('; ');
      return `${r.backendId} on ${r.model.name}: REFUSED — failed conformance (${checks})`;
    }
    return `${r.backendId} on ${r.model.name}: ${r.status} — ${r.reason}`;
  });
  return [
    ...lines,
    't/s is model time only (mean ± sd over repetitions): pp = prompt tokens / prefill call, tg = tokens / step calls ' +
      '(the first new token comes from the prefill). Token choice, tokenisation and detokenisation are timed apart. ' +
      'TTFT = prefill + first choice; ITL = gap between tokens (step + choice). roofline = tg as % of ' +
      'bandwidth / bytes read per step (weights + KV cache).',
  ];
}
