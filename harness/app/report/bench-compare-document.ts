import type { BenchReport } from '../../engine/bench/bench-record.ts';
import type { ComparedFigure, ReportComparison } from '../../engine/bench/compare-reports.ts';
import { formatNumber, num } from './cells.ts';
import type { ReportBlock, ReportDocument } from './document.ts';

/** `--fail-if-slower PCT` and the figures it failed; null when no threshold was given. */
export interface SlowdownVerdict {
  readonly threshold: number;
  readonly failing: readonly ComparedFigure[];
}

const percent = (x: number) => formatNumber(num(x, 1, { unit: '%' }));

/**
 * Two bench reports side by side: which runs they are, one row per (backend, model, metric) with
 * A, B, B/A and the noise, what could not be paired, and the slowdown gate's verdict.
 */
export function benchCompareDocument(
  a: BenchReport,
  b: BenchReport,
  comparison: ReportComparison,
  gate: SlowdownVerdict | null,
): ReportDocument {
  const value = (x: number) => num(x, Math.abs(x) >= 100 ? 1 : 2);
  const blocks: ReportBlock[] = [
    { kind: 'lines', lines: [`A: ${machineLine(a)}`, `B: ${machineLine(b)}`] },
    {
      kind: 'table',
      header: ['backend', 'model', 'metric', 'A', 'B', 'B/A', 'B vs A', 'noise (CV)'],
      rows: comparison.figures.map((f) => [
        f.backendId,
        f.model,
        f.metric,
        value(f.a),
        value(f.b),
        num(f.ratio, 3),
        verdict(f),
        f.noisePercent === null ? '' : num(f.noisePercent, 1, { unit: '%' }),
      ]),
    },
  ];
  if (comparison.notes.length > 0) blocks.push({ kind: 'lines', lines: comparison.notes });
  if (gate !== null) blocks.push({ kind: 'lines', unwrapped: true, lines: [gateLine(gate)] });
  return { title: 'decode-harness bench compare', blocks };
}

function gateLine({ threshold, failing }: SlowdownVerdict): string {
  if (failing.length === 0) return `gate: no pp/tg figure is more than ${threshold}% slower in B`;
  const figures = failing.map(
    (f) => `${f.metric} ${f.backendId} on ${f.model} ${percent(f.slowerPercent)} slower`,
  );
  return `FAILED: ${figures.join('; ')} (threshold ${threshold}%)`;
}

function machineLine(r: BenchReport): string {
  const m = r.machine;
  return `${r.createdAt}, ${m.cpuModel} × ${m.logicalCores}, node ${m.node}, commit ${m.gitCommit?.replace(/^([0-9a-f]{12})[0-9a-f]+/, '$1') ?? 'n/a'}`;
}

/** "12.0% slower" / "3.1% faster" in the metric's own sense of better. */
function verdict(f: ComparedFigure): string {
  if (f.slowerPercent === 0) return 'same';
  const [worse, better] = f.better === 'higher' ? ['slower', 'faster'] : ['worse', 'better'];
  return f.slowerPercent > 0
    ? `${percent(f.slowerPercent)} ${worse}`
    : `${percent(-f.slowerPercent)} ${better}`;
}
