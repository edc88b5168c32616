import type { BenchReport } from '../../engine/bench/bench-record.ts';
import type { ComparedFigure, ReportComparison } from '../../engine/bench/compare-reports.ts';
import { formatTable } from './render-text.ts';

const value = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;

/** Side-by-side table of two bench reports: per (backend, model, metric) A, B, B/A and the noise. */
export function renderComparisonText(a: BenchReport, b: BenchReport, comparison: ReportComparison): string {
  const header = ['backend', 'model', 'metric', 'A', 'B', 'B/A', 'B vs A', 'noise (CV)'];
  const rows = comparison.figures.map((f) => [
    f.backendId,
    f.model,
    f.metric,
    value(f.a),
    value(f.b),
    f.ratio.toFixed(3),
    verdict(f),
    f.noisePercent === null ? '' : `${f.noisePercent.toFixed(1)}%`,
  ]);
  return [
    `A: ${machineLine(a)}`,
    `B: ${machineLine(b)}`,
    '',
    formatTable(header, rows),
    ...(comparison.notes.length > 0 ? ['', ...comparison.notes] : []),
  ].join('\n');
}

function machineLine(r: BenchReport): string {
  const m = r.machine;
  return `${r.createdAt}, ${m.cpuModel} × ${m.logicalCores}, node ${m.node}, commit ${m.gitCommit?.replace(/^([0-9a-f]{12})[0-9a-f]+/, '$1') ?? 'n/a'}`;
}

/** "12.0% slower" / "3.1% faster" in the metric's own sense of better. */
function verdict(f: ComparedFigure): string {
  if (f.slowerPercent === 0) return 'same';
  const word = f.better === 'higher' ? ['slower', 'faster'] : ['worse', 'better'];
  return f.slowerPercent > 0
    ? `${signed(f.slowerPercent).slice(1)} ${word[0]}`
    : `${signed(-f.slowerPercent).slice(1)} ${word[1]}`;
}
