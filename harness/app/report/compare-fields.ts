import type { BackendAgreement, Distribution, Divergence } from '../../engine/compare/compare-record.ts';
import { GATES } from '../../engine/compare/gates.ts';

/**
 * A number as llama.cpp prints it (six decimals) where that is readable, else in exponent form:
 * float-noise KLDs of 1e-13 would all print as 0.000000.
 */
export function sci(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const magnitude = Math.abs(x);
  return magnitude >= 1e-3 && magnitude < 1e4 ? x.toFixed(6) : x.toExponential(2);
}

/** A probability (difference) in percent, three decimals as llama.cpp prints Δp, exponent form when tiny. */
function percent(x: number): string {
  const v = 100 * x;
  return v === 0 || Math.abs(v) >= 1e-2 ? v.toFixed(3) : v.toExponential(2);
}

/** `value ± uncertainty unit`, as llama.cpp writes "Mean    Δp:  0.473 ± 0.024 %". */
function shown(value: number, uncertainty: number | null, format: (x: number) => string, unit = ''): string {
  const core = uncertainty === null ? format(value) : `${format(value)} ± ${format(uncertainty)}`;
  return unit ? `${core} ${unit}` : core;
}

const pct = (x: number) => shown(x, null, percent, '%');

/** One row of the agreement tables: a label and how to show it for one backend. */
export interface MetricField {
  readonly label: string;
  value(agreement: BackendAgreement): string;
}

export interface MetricSection {
  /** As llama.cpp's "====== KL divergence statistics ======". */
  readonly title: string;
  /** The title under --text, where it differs. */
  readonly textTitle?: string;
  readonly fields: readonly MetricField[];
}

const percentileFields = (
  stat: string,
  pick: (a: BackendAgreement) => Distribution,
  percentiles: readonly number[],
  show: (x: number) => string,
): MetricField[] =>
  percentiles.map((q) => ({
    // llama.cpp's spelling: "99.0%   KLD", " 5.0%   Δp".
    label: `${q.toFixed(1).padStart(4)}%   ${stat}`,
    value: (a) => show(pick(a).percentiles[`${q}%`]!),
  }));

const kld = (a: BackendAgreement) => a.summary.kld;
const deltaP = (a: BackendAgreement) => a.summary.deltaP;
const ppl = (a: BackendAgreement) => a.summary.perplexity;

/**
 * The one list of fields every renderer (terminal, Markdown, HTML) draws its tables from. Labels
 * are llama.cpp's `perplexity --kl-divergence` labels, so its users read ours at once.
 */
export const METRIC_SECTIONS: readonly MetricSection[] = [
  {
    // Over the scored tokens: the reference's greedy continuation (its own top token at each step).
    title: 'Perplexity of the reference continuation',
    textTitle: 'Perplexity of the text',
    fields: [
      {
        label: 'Mean PPL(Q)',
        value: (a) => shown(ppl(a).ours, ppl(a).oursUncertainty, sci),
      },
      { label: 'Mean PPL(base)', value: (a) => shown(ppl(a).reference, ppl(a).referenceUncertainty, sci) },
      {
        label: 'Mean PPL(Q)/PPL(base)',
        value: (a) => shown(ppl(a).ratio, ppl(a).ratioUncertainty, sci),
      },
      { label: 'Mean PPL(Q)-PPL(base)', value: (a) => sci(ppl(a).difference) },
    ],
  },
  {
    title: 'KL divergence statistics',
    fields: [
      {
        label: 'Mean    KLD',
        value: (a) => shown(kld(a).mean, kld(a).meanUncertainty, sci),
      },
      { label: 'Maximum KLD', value: (a) => sci(kld(a).max) },
      ...percentileFields('KLD', kld, [99.9, 99, 95, 90], sci),
      { label: 'Median  KLD', value: (a) => sci(kld(a).median) },
      { label: 'Minimum KLD', value: (a) => sci(kld(a).min) },
    ],
  },
  {
    title: 'Token probability statistics',
    fields: [
      {
        label: 'Mean    Δp',
        value: (a) => shown(deltaP(a).mean, deltaP(a).meanUncertainty, percent, '%'),
      },
      { label: 'Maximum Δp', value: (a) => pct(deltaP(a).max) },
      ...percentileFields('Δp', deltaP, [99.9, 99, 95, 90], pct),
      { label: 'Median  Δp', value: (a) => pct(deltaP(a).median) },
      ...percentileFields('Δp', deltaP, [10, 5, 1, 0.1], pct),
      { label: 'Minimum Δp', value: (a) => pct(deltaP(a).min) },
      {
        label: 'RMS Δp',
        value: (a) => shown(deltaP(a).rms, deltaP(a).rmsUncertainty, percent, '%'),
      },
      {
        label: 'Same top p',
        value: (a) => shown(a.summary.sameTop.fraction, a.summary.sameTop.uncertainty, percent, '%'),
      },
    ],
  },
  {
    title: 'Logit statistics',
    fields: [
      { label: 'max |Δlogit|', value: (a) => sci(a.summary.maxAbsLogitDiff) },
      { label: 'NMSE', value: (a) => sci(a.summary.nmse) },
      { label: 'positions', value: (a) => String(a.summary.positions) },
      {
        label: 'first flagged step',
        value: (a) =>
          a.firstFlagged === null
            ? 'none'
            : `step ${a.firstFlagged.step} (prompt ${a.firstFlagged.prompt}, position ${a.firstFlagged.position})`,
      },
    ],
  },
  {
    title: 'Free-running greedy',
    fields: [
      {
        label: 'same as reference',
        value: (a) =>
          a.greedy === null ? 'not run (--text)' : `${a.greedy.identical}/${a.greedy.prompts} prompts`,
      },
      {
        label: 'first divergence',
        value: (a) => {
          const d = earliestDivergence(a);
          return d === undefined ? 'none' : `prompt ${d.prompt} step ${d.step} (${d.label})`;
        },
      },
    ],
  },
  {
    title: 'Gates',
    fields: [
      ...GATES.map(
        (gate): MetricField => ({
          label: `--${gate.id}`,
          value: (a) => {
            const g = a.gates.find((r) => r.gate === gate.id);
            if (g === undefined) return 'not gated';
            const relation = gate.bound === 'max' ? '≤' : '≥';
            const measured = gate.id === 'min-same-top-p' ? g.measured.toFixed(3) : sci(g.measured);
            return `${g.passed ? 'pass' : 'FAIL'}: ${measured} ${g.passed ? '' : 'not '}${relation} ${g.limit}`;
          },
        }),
      ),
      { label: 'result', value: (a) => (a.passed ? 'pass' : 'FAIL') },
    ],
  },
];

/** The divergence at the smallest step (then the lowest prompt): the one shown in detail. */
export function earliestDivergence(a: BackendAgreement): Divergence | undefined {
  return [...(a.greedy?.divergences ?? [])].sort((x, y) => x.step - y.step || x.prompt - y.prompt)[0];
}
