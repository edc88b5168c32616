import { THROUGHPUT_COLUMNS, throughputRows } from '../../engine/bench/bench-columns.ts';
import type { BenchReport } from '../../engine/bench/bench-record.ts';

/**
 * llama-bench-like CSV, one row per (model, backend, test): model, size (bytes), params, backend,
 * threads, test, t/s (mean), sd, roofline (% of the memory limit, decode rows only).
 */
export function renderBenchCsv(report: BenchReport): string {
  const header = THROUGHPUT_COLUMNS.map((c) => csvCell(c.header));
  const rows = throughputRows(report).map((row) => THROUGHPUT_COLUMNS.map((c) => csvCell(c.raw(row))));
  return `${[header, ...rows].map((cells) => cells.join(',')).join('\n')}\n`;
}

/** RFC 4180: quote a cell holding a comma, quote or newline; double the quotes inside. */
export function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
