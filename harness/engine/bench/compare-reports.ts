import { coefficientOfVariation, type Summary } from '../../core/statistics.ts';
import type { BenchRan, BenchReport } from './bench-record.ts';
import { ranResults } from './bench-rows.ts';

/** One figure of one (backend, model) in both reports. */
export interface ComparedFigure {
  readonly backendId: string;
  readonly model: string;
  /** e.g. `tg64 t/s`, `TTFT ms`. */
  readonly metric: string;
  /** tokens/s figures: higher is better; times and memory: lower is better. */
  readonly better: 'higher' | 'lower';
  /** pp/tg: the figures `--fail-if-slower` gates on. */
  readonly gated: boolean;
  readonly a: number;
  readonly b: number;
  /** b / a. */
  readonly ratio: number;
  /** How much worse B is than A, in percent (negative: better). */
  readonly slowerPercent: number;
  /** Run-to-run noise: the larger coefficient of variation of the two reports' raw samples, percent; null without samples. */
  readonly noisePercent: number | null;
}

export interface ReportComparison {
  readonly figures: readonly ComparedFigure[];
  /** (backend, model) pairs measured in one report only, or with different model files. */
  readonly notes: readonly string[];
}

interface Metric {
  readonly name: (r: BenchRan) => string;
  readonly better: 'higher' | 'lower';
  readonly gated: boolean;
  /** A figure with raw samples (noise known), or a bare value. */
  readonly value: (r: BenchRan) => Summary | number;
}

const METRICS: readonly Metric[] = [
  {
    name: (r) => `${r.prefill.test} t/s`,
    better: 'higher',
    gated: true,
    value: (r) => r.prefill.tokensPerSec,
  },
  { name: (r) => `${r.decode.test} t/s`, better: 'higher', gated: true, value: (r) => r.decode.tokensPerSec },
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

const keyOf = (r: BenchRan) => `${r.backend.id}\u0000${r.model.name}`;

/**
 * Pair the two reports' results by (backend id, model name) and every metric by name (so pp16 only
 * meets pp16): ratio B/A and how much slower B is. Two machines or two commits, same code path.
 */
export function compareReports(a: BenchReport, b: BenchReport): ReportComparison {
  const inB = new Map(ranResults(b).map((r) => [keyOf(r), r]));
  const figures: ComparedFigure[] = [];
  const notes: string[] = [];
  for (const ra of ranResults(a)) {
    const rb = inB.get(keyOf(ra));
    inB.delete(keyOf(ra));
    if (rb === undefined) {
      notes.push(`${ra.backend.id} on ${ra.model.name}: only in A`);
      continue;
    }
    if (ra.model.sha256 !== rb.model.sha256) {
      notes.push(
        `${ra.backend.id} on ${ra.model.name}: the model files differ (sha256 ${ra.model.sha256.slice(0, 12)}… vs ${rb.model.sha256.slice(0, 12)}…); the ratios compare different models`,
      );
    }
    for (const metric of METRICS) {
      if (metric.name(ra) !== metric.name(rb)) continue; // different prompt or generation lengths
      figures.push(compareFigure(ra, metric, metric.value(ra), metric.value(rb)));
    }
  }
  for (const rb of inB.values()) notes.push(`${rb.backend.id} on ${rb.model.name}: only in B`);
  return { figures, notes };
}

function compareFigure(
  ra: BenchRan,
  metric: Metric,
  va: Summary | number,
  vb: Summary | number,
): ComparedFigure {
  const a = typeof va === 'number' ? va : va.mean;
  const b = typeof vb === 'number' ? vb : vb.mean;
  const ratio = b / a;
  const noise =
    typeof va === 'number' || typeof vb === 'number'
      ? null
      : 100 * Math.max(coefficientOfVariation(va), coefficientOfVariation(vb));
  return {
    backendId: ra.backend.id,
    model: ra.model.name,
    metric: metric.name(ra),
    better: metric.better,
    gated: metric.gated,
    a,
    b,
    ratio,
    slowerPercent: 100 * (metric.better === 'higher' ? 1 - ratio : ratio - 1),
    noisePercent: noise,
  };
}

/** `--fail-if-slower PCT`: which gated figures got slower by more than PCT, and where PCT is within noise. */
export interface SlowdownVerdict {
  readonly failing: readonly ComparedFigure[];
  /** Gated figures whose noise is so large that PCT < 2 × noise: the gate cannot tell noise from regression. */
  readonly tooNoisy: readonly ComparedFigure[];
}

/** A threshold below about twice the run-to-run noise flags noise as often as regressions. */
export const NOISE_FACTOR = 2;

export function slowdownGate(comparison: ReportComparison, thresholdPercent: number): SlowdownVerdict {
  const gated = comparison.figures.filter((f) => f.gated);
  return {
    failing: gated.filter((f) => f.slowerPercent > thresholdPercent),
    tooNoisy: gated.filter(
      (f) => f.noisePercent !== null && thresholdPercent < NOISE_FACTOR * f.noisePercent,
    ),
  };
}
