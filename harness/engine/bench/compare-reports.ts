import { UsageError } from '../../core/errors.ts';
import { mannWhitneyU, type RankTest } from '../../core/rank-test.ts';
import type { Summary } from '../../core/statistics.ts';
import type { BenchRan, BenchReport } from './bench-record.ts';
import { ranResults } from './bench-rows.ts';

/**
 * Reports side by side: the first (A) is the baseline, every other one is compared with it. A
 * difference counts only when it exceeds the two reports' combined noise, decided by the
 * two-sided Mann–Whitney U test on the figure's raw samples (rank-test.ts) at ALPHA: `worse` or
 * `better` below it, `cannot tell` otherwise. Figures with one value (ITL percentiles pooled over
 * repetitions, peak RSS) are shown but `not tested`.
 */
export const ALPHA = 0.05;

export interface LabelledReport {
  /** `A`, `B`, … */
  readonly label: string;
  /** The file it was read from, for messages. */
  readonly path: string;
  readonly report: BenchReport;
}

export type FigureVerdict = 'worse' | 'better' | 'cannot tell' | 'not tested';

/** One figure of one (backend, model, batch) in A and in one other report. */
export interface ComparedFigure {
  readonly backendId: string;
  readonly model: string;
  readonly batch: number;
  /** e.g. `tg64 @ d16 t/s`, `TTFT ms`. */
  readonly metric: string;
  /** tokens/s figures: higher is better; times and memory: lower is better. */
  readonly better: 'higher' | 'lower';
  /** pp/tg: the figures `--fail-if-slower` gates on. */
  readonly gated: boolean;
  /** The report compared with A. */
  readonly against: string;
  /** Medians (or the one value). */
  readonly a: number;
  readonly b: number;
  /** b / a. */
  readonly ratio: number;
  /** How much worse the other report is than A, in percent (negative: better). */
  readonly slowerPercent: number;
  /** The ratio's relative noise, √(CV_A² + CV_B²) in percent; null without samples. */
  readonly noisePercent: number | null;
  readonly test: RankTest | null;
  readonly verdict: FigureVerdict;
}

export interface ReportComparison {
  readonly figures: readonly ComparedFigure[];
  /** (backend, model, batch) measured in some reports only. */
  readonly notes: readonly string[];
}

interface Metric {
  readonly name: (r: BenchRan) => string;
  readonly better: 'higher' | 'lower';
  readonly gated: boolean;
  /** A figure with raw samples (testable), a bare value, or null where the report has none. */
  readonly value: (r: BenchRan) => Summary | number | null;
}

/** The CPU-time twin of a t/s metric (single-threaded backends): what other work on the machine barely moves. */
const CPU_TIME = 'CPU-time t/s';

const METRICS: readonly Metric[] = [
  {
    name: (r) => `${r.prefill.test} t/s`,
    better: 'higher',
    gated: true,
    value: (r) => r.prefill.tokensPerSec,
  },
  { name: (r) => `${r.decode.test} t/s`, better: 'higher', gated: true, value: (r) => r.decode.tokensPerSec },
  {
    name: (r) => `${r.prefill.test} ${CPU_TIME}`,
    better: 'higher',
    gated: false,
    value: (r) => r.prefill.cpuTokensPerSec,
  },
  {
    name: (r) => `${r.decode.test} ${CPU_TIME}`,
    better: 'higher',
    gated: false,
    value: (r) => r.decode.cpuTokensPerSec,
  },
  { name: () => 'TTFT ms', better: 'lower', gated: false, value: (r) => r.timeToFirstTokenMs },
  { name: () => 'ITL p50 ms', better: 'lower', gated: false, value: (r) => r.interTokenMs.p50 },
  { name: () => 'ITL p99 ms', better: 'lower', gated: false, value: (r) => r.interTokenMs.p99 },
  { name: () => 'choice ms/step', better: 'lower', gated: false, value: (r) => r.choiceMsPerStep },
  {
    name: () => 'peak RSS MiB',
    better: 'lower',
    gated: false,
    value: (r) => r.memory.peakRssBytes / 2 ** 20,
  },
];

/** A sweep point's row: backend, model, batch and context (pp528 only meets pp528). */
const keyOf = (r: BenchRan) =>
  `${r.backend.id}\u0000${r.model.name}\u0000${r.point.batch}\u0000${r.point.contextTokens}`;
const rowName = (r: BenchRan) =>
  `${r.backend.id} on ${r.model.name} batch ${r.point.batch} ${r.prefill.test}`;

/**
 * Pair every other report's results with A's by (backend, model, batch, context) and each metric
 * by name. Reports that time different things are refused as bad input (exit 2): the same model
 * name with other files, or another decoding strategy.
 */
export function compareReports(reports: readonly LabelledReport[]): ReportComparison {
  const [base, ...others] = reports;
  if (base === undefined || others.length === 0)
    throw new Error('compareReports: needs A and at least one more report');
  for (const other of others) checkComparable(base, other);
  const figures: ComparedFigure[] = [];
  const notes: string[] = [];
  for (const other of others) {
    const inOther = new Map(ranResults(other.report).map((r) => [keyOf(r), r]));
    for (const ra of ranResults(base.report)) {
      const rb = inOther.get(keyOf(ra));
      inOther.delete(keyOf(ra));
      if (rb === undefined) {
        notes.push(`${rowName(ra)}: in ${base.label}, not in ${other.label}`);
        continue;
      }
      for (const metric of METRICS) {
        if (metric.name(ra) !== metric.name(rb)) continue; // other --new-tokens
        const [va, vb] = [metric.value(ra), metric.value(rb)];
        if (va === null || vb === null) continue; // no CPU-time twin
        figures.push(compareFigure(ra, metric, other.label, va, vb));
      }
    }
    for (const rb of inOther.values()) notes.push(`${rowName(rb)}: in ${other.label}, not in ${base.label}`);
  }
  return { figures, notes };
}

/** Refuse two reports that time different things: other files under one model name, or another strategy. */
export function checkComparable(a: LabelledReport, b: LabelledReport): void {
  const shaA = new Map(ranResults(a.report).map((r) => [r.model.name, r.model.sha256]));
  for (const r of ranResults(b.report)) {
    const sha = shaA.get(r.model.name);
    if (sha !== undefined && sha !== r.model.sha256) {
      throw new UsageError(
        `${a.path} and ${b.path} measured different files under the model name ${r.model.name} ` +
          `(sha256 ${sha.slice(0, 12)}… vs ${r.model.sha256.slice(0, 12)}…): their ratios would compare different models; ` +
          "compare reports of the same model files (re-run one of them on the other's model)",
      );
    }
  }
  const strategy = (r: BenchReport) =>
    r.settings.strategy === 'beam' ? `beam (${r.settings.numBeams} beams)` : r.settings.strategy;
  if (strategy(a.report) !== strategy(b.report)) {
    throw new UsageError(
      `${a.path} decoded with ${strategy(a.report)}, ${b.path} with ${strategy(b.report)}: their tg figures time different work; ` +
        'compare runs made with the same --strategy and --num-beams',
    );
  }
}

function compareFigure(
  ra: BenchRan,
  metric: Metric,
  against: string,
  va: Summary | number,
  vb: Summary | number,
): ComparedFigure {
  const a = typeof va === 'number' ? va : va.median;
  const b = typeof vb === 'number' ? vb : vb.median;
  const ratio = b / a;
  const sampled = typeof va !== 'number' && typeof vb !== 'number';
  const test = sampled ? mannWhitneyU(va.samples, vb.samples) : null;
  let verdict: FigureVerdict = 'not tested';
  if (test !== null) {
    // U of A above its null mean: A's samples tend to be the larger ones.
    const aLarger = test.u > (va as Summary).samples.length * (vb as Summary).samples.length * 0.5;
    const bWorse = metric.better === 'higher' ? aLarger : !aLarger;
    verdict = test.pValue < ALPHA ? (bWorse ? 'worse' : 'better') : 'cannot tell';
  }
  return {
    backendId: ra.backend.id,
    model: ra.model.name,
    batch: ra.point.batch,
    metric: metric.name(ra),
    better: metric.better,
    gated: metric.gated,
    against,
    a,
    b,
    ratio,
    slowerPercent: 100 * (metric.better === 'higher' ? 1 - ratio : ratio - 1),
    noisePercent: sampled ? 100 * Math.hypot((va as Summary).cv, (vb as Summary).cv) : null,
    test,
    verdict,
  };
}

/** `--fail-if-slower PCT`: the gated figures it fails, and those slower than PCT that it cannot tell from noise. */
export interface SlowdownVerdict {
  readonly threshold: number;
  /** What the gate judged single-threaded backends by. */
  readonly on: 'wall' | 'cpu-time';
  /** Told apart from noise (worse at p < ALPHA) and more than PCT slower. */
  readonly failing: readonly ComparedFigure[];
  /** More than PCT slower by the medians, but the test cannot tell it from noise: not failing. */
  readonly cannotTell: readonly ComparedFigure[];
}

/**
 * `on: 'cpu-time'` decides each pp/tg figure that has a CPU-time twin (single-threaded in-process
 * backends) by the twin: process CPU time, which other work on a shared machine barely moves.
 */
export function slowdownGate(
  comparison: ReportComparison,
  thresholdPercent: number,
  on: 'wall' | 'cpu-time' = 'wall',
): SlowdownVerdict {
  const judged = comparison.figures
    .filter((f) => f.gated)
    .map((f) => (on === 'cpu-time' ? (cpuTimeTwin(comparison, f) ?? f) : f));
  const slower = judged.filter((f) => f.slowerPercent > thresholdPercent);
  return {
    threshold: thresholdPercent,
    on,
    failing: slower.filter((f) => f.verdict === 'worse'),
    cannotTell: slower.filter((f) => f.verdict !== 'worse'),
  };
}

/** The CPU-time twin of a gated wall-clock figure, where both reports have one. */
export function cpuTimeTwin(comparison: ReportComparison, f: ComparedFigure): ComparedFigure | undefined {
  const metric = f.metric.replace(/ t\/s$/, ` ${CPU_TIME}`);
  return comparison.figures.find(
    (g) =>
      g.metric === metric &&
      g.backendId === f.backendId &&
      g.model === f.model &&
      g.batch === f.batch &&
      g.against === f.against,
  );
}
