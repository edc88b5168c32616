import { loadLine } from '../../core/machine-load.ts';
import {
  ALPHA,
  type ComparedFigure,
  cpuTimeTwin,
  type LabelledReport,
  type ReportComparison,
  type SlowdownVerdict,
} from '../../engine/bench/compare-reports.ts';
import { type Cell, formatNumber, num } from './cells.ts';
import { footnoteRef, type Plot, type ReportBlock, type ReportDocument } from './document.ts';

const percent = (x: number) => formatNumber(num(x, 1, { unit: '%' }));

/**
 * Bench reports side by side: which runs they are, one row per (backend, model, batch, metric)
 * and report compared with A (medians, the ratio, the Mann–Whitney verdict with its p-value, the
 * ratio's noise), what could not be paired, the slowdown gate, and (HTML) a chart of the pp/tg
 * ratios with their noise.
 */
export function benchCompareDocument(
  reports: readonly LabelledReport[],
  comparison: ReportComparison,
  gate: SlowdownVerdict | null,
): ReportDocument {
  const value = (x: number) => num(x, Math.abs(x) >= 100 ? 1 : 2);
  const footnotes: string[] = [];
  const note = (text: string) => {
    if (!footnotes.includes(text)) footnotes.push(text);
    return footnoteRef(footnotes.indexOf(text) + 1);
  };
  const pCell = (f: ComparedFigure): Cell => {
    if (f.test === null) return '';
    const p = num(f.test.pValue, 3);
    if (f.test.minPValue < ALPHA) return p;
    const n = `${f.test.method === 'exact' ? 'these sample sizes' : 'these samples'}`;
    return `${formatNumber(p)} ${note(`with ${n} the smallest p the test can give is ${f.test.minPValue.toFixed(3)} ≥ ${ALPHA}: no difference can be told; bench both with --repetitions ≥ 4`)}`;
  };
  const blocks: ReportBlock[] = [
    { kind: 'lines', lines: reports.flatMap(reportLines) },
    {
      kind: 'table',
      header: [
        'backend',
        'model',
        'batch',
        'metric',
        'A',
        'vs',
        'value',
        'ratio',
        'verdict',
        'p (U test)',
        'noise',
      ],
      rows: comparison.figures.map((f) => [
        f.backendId,
        f.model,
        num(f.batch, 0),
        f.metric,
        value(f.a),
        f.against,
        value(f.b),
        num(f.ratio, 3),
        verdictText(f),
        pCell(f),
        f.noisePercent === null ? '' : `±${percent(f.noisePercent)}`,
      ]),
      footnotes,
    },
  ];
  if (comparison.notes.length > 0) blocks.push({ kind: 'lines', lines: comparison.notes });
  if (gate !== null) blocks.push({ kind: 'lines', unwrapped: true, lines: gateLines(gate, comparison) });
  for (const plot of ratioCharts(comparison, gate)) blocks.push({ kind: 'plot', plot });
  blocks.push({
    kind: 'lines',
    lines: [
      `Values are medians over repetitions; ratio = value / A. verdict: the two-sided Mann–Whitney U test on the raw samples ` +
        `(exact for up to 60 samples; Mann & Whitney 1947): slower/faster only at p < ${ALPHA}, otherwise "cannot tell". ` +
        'noise = √(CV_A² + CV²), the ratio’s relative spread. Figures with one value are not tested.',
    ],
  });
  return { title: 'decode-harness bench compare', blocks };
}

function reportLines({ label, path, report: r }: LabelledReport): string[] {
  const m = r.machine;
  const commit = m.gitCommit?.replace(/^([0-9a-f]{12})[0-9a-f]+/, '$1') ?? 'n/a';
  const busy = [m.load?.during, m.load?.start, m.load?.end].find((s) => s?.busy);
  return [
    `${label}: ${path}, ${r.createdAt}, ${m.cpuModel} × ${m.logicalCores}, node ${m.node}, commit ${commit}` +
      (busy ? `; busy machine (${loadLine(busy)})` : ''),
  ];
}

function gateLines(gate: SlowdownVerdict, comparison: ReportComparison): string[] {
  const name = (f: ComparedFigure) =>
    `${f.metric} ${f.backendId} on ${f.model} batch ${f.batch} in ${f.against}`;
  // A wall-clock slowdown whose CPU-time twin is not told slower took longer, not more work.
  const twin = (f: ComparedFigure) => {
    const cpu = cpuTimeTwin(comparison, f);
    if (cpu === undefined || cpu.verdict === 'worse') return '';
    const told = cpu.verdict === 'cannot tell' ? 'cannot tell' : `is ${percent(-cpu.slowerPercent)} faster`;
    return `; its CPU time ${told} (p ${cpu.test?.pValue.toFixed(3)}): other work on the machine, see the load lines`;
  };
  const lines =
    gate.failing.length === 0
      ? [
          `gate: no pp/tg figure is told slower by more than ${gate.threshold}%${gate.on === 'cpu-time' ? ' (single-threaded backends by CPU time)' : ''}`,
        ]
      : [
          `FAILED: ${gate.failing.map((f) => `${name(f)} ${percent(f.slowerPercent)} slower (p ${f.test?.pValue.toFixed(3)}${twin(f)})`).join('; ')} (threshold ${gate.threshold}%)`,
        ];
  return [
    ...lines,
    ...gate.cannotTell.map(
      (f) =>
        `not failing: ${name(f)} is ${percent(f.slowerPercent)} slower by the medians, but the U test cannot tell it from noise ` +
        `(p ${f.test?.pValue.toFixed(3) ?? 'n/a'} ≥ ${ALPHA}); more --repetitions or a quieter machine would settle it`,
    ),
  ];
}

/** "12.0% slower" / "3.1% faster" in the metric's own sense of better, when the test can tell. */
function verdictText(f: ComparedFigure): string {
  const [worse, better] = f.better === 'higher' ? ['slower', 'faster'] : ['worse', 'better'];
  const size = (x: number) =>
    x > 0 ? `${percent(x)} ${worse}` : x < 0 ? `${percent(-x)} ${better}` : 'same';
  if (f.verdict === 'worse' || f.verdict === 'better') return size(f.slowerPercent);
  if (f.verdict === 'cannot tell') return `cannot tell (${size(f.slowerPercent)})`;
  return `${size(f.slowerPercent)} (not tested)`;
}

/**
 * Per backend and model, each other report's pp/tg ratios to A, one category per batch and test,
 * a box of ± the ratio's noise around each; a line at 1 (A) and at the gate's threshold.
 */
function ratioCharts(comparison: ReportComparison, gate: SlowdownVerdict | null): Plot[] {
  const gated = comparison.figures.filter((f) => f.gated);
  const batched = gated.some((f) => f.batch !== 1);
  const groups = [...new Set(gated.map((f) => `${f.backendId} on ${f.model}`))];
  return groups.map((group, g) => {
    const mine = gated.filter((f) => `${f.backendId} on ${f.model}` === group);
    const key = (f: ComparedFigure) => `${batched ? `b${f.batch} ` : ''}${f.metric.replace(/ t\/s$/, '')}`;
    const names = [...new Set(mine.map(key))];
    const labels = [...new Set(mine.map((f) => f.against))];
    return {
      id: `bench-compare-ratios-${g}`,
      title: `${group}: pp and tg ratio to A (median / median), box: ± the ratio’s noise`,
      xLabel: batched ? 'batch and test' : 'test',
      yLabel: 'ratio to A',
      yScale: 'linear' as const,
      x: names.map((_, i) => i),
      xNames: names,
      series: labels.map((label, i) => {
        const at = (pick: (f: ComparedFigure) => number) =>
          names.map((n) => {
            const f = mine.find((m) => m.against === label && key(m) === n);
            return f === undefined ? null : pick(f);
          });
        const noise = (f: ComparedFigure) => (f.noisePercent ?? 0) / 100;
        return {
          label: `${label} / A`,
          style: 'points' as const,
          color: i,
          values: at((f) => f.ratio),
          band: {
            label: 'noise',
            low: at((f) => f.ratio * (1 - noise(f))),
            high: at((f) => f.ratio * (1 + noise(f))),
          },
        };
      }),
      limits: [
        { label: 'same as A', value: 1 },
        ...(gate === null
          ? []
          : [{ label: `--fail-if-slower ${gate.threshold}%`, value: 1 - gate.threshold / 100 }]),
      ],
    };
  });
}
