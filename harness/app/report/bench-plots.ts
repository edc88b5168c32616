import type { BenchRan, BenchReport, ThroughputFigure } from '../../engine/bench/bench-record.ts';
import { ranResults } from '../../engine/bench/bench-rows.ts';
import type { Plot, PlotSeries } from './document.ts';

type Kind = 'prefill' | 'decode';
type Axis = 'context' | 'batch';

const unique = (xs: readonly number[]) => [...new Set(xs)].sort((a, b) => a - b);
const figureOf = (r: BenchRan, kind: Kind): ThroughputFigure => (kind === 'prefill' ? r.prefill : r.decode);

/**
 * bench.html's plots, per model: tg and pp tokens/s (medians) against the context (depth +
 * prompt) and, when the sweep has several batches, against the batch; one series per backend
 * (and batch or context), its interquartile range as a band, and for tg the roofline limit of that
 * series as a dashed line in its colour (none where the weights fit in cache: no bound).
 */
export function benchPlots(report: BenchReport): Plot[] {
  const results = ranResults(report);
  const models = [...new Set(results.map((r) => r.model.name))];
  return models.flatMap((name, m) => {
    const rows = results.filter((r) => r.model.name === name);
    const axes: Axis[] =
      unique(rows.map((r) => r.point.batch)).length > 1 ? ['context', 'batch'] : ['context'];
    return axes.flatMap((axis) =>
      (['decode', 'prefill'] as const).map((kind) => plotOf(name, m, rows, kind, axis)),
    );
  });
}

function plotOf(model: string, index: number, rows: readonly BenchRan[], kind: Kind, axis: Axis): Plot {
  const xOf = (r: BenchRan) => (axis === 'context' ? r.point.contextTokens : r.point.batch);
  // The other parameter splits the series: batch along the context axis, context along the batch axis.
  const otherOf = (r: BenchRan) => (axis === 'context' ? r.point.batch : r.point.contextTokens);
  const x = unique(rows.map(xOf));
  const others = unique(rows.map(otherOf));
  const backends = [...new Set(rows.map((r) => r.backend.id))];
  // One x value: a category, so the IQR is a box and the limit a dash across it (a line needs two points).
  const single = x.length === 1;
  const series: PlotSeries[] = [];
  let slot = 0;
  for (const backend of backends) {
    for (const other of others) {
      const mine = rows.filter((r) => r.backend.id === backend && otherOf(r) === other);
      if (mine.length === 0) continue;
      const at = (value: (r: BenchRan) => number | null) =>
        x.map((xv) => {
          const r = mine.find((row) => xOf(row) === xv);
          return r === undefined ? null : value(r);
        });
      const label =
        others.length > 1 ? `${backend}, ${axis === 'context' ? 'batch' : 'context'} ${other}` : backend;
      const s = (r: BenchRan) => figureOf(r, kind).tokensPerSec;
      series.push({
        label,
        style: single ? 'points' : 'line',
        color: slot,
        values: at((r) => s(r).median),
        band: { label: 'IQR', low: at((r) => s(r).q1), high: at((r) => s(r).q3) },
      });
      if (kind === 'decode') {
        const limits = at((r) =>
          r.decode.roofline.verdict.kind === 'in-cache' ? null : r.decode.roofline.limitTokensPerSec.median,
        );
        if (limits.some((v) => v !== null)) {
          series.push({
            label: `${label} roofline limit`,
            style: single ? 'marks' : 'dashed',
            color: slot,
            values: limits,
          });
        }
      }
      slot++;
    }
  }
  const values = series.flatMap((s) => [...s.values, ...(s.band?.low ?? []), ...(s.band?.high ?? [])]);
  const positive = values.filter((v): v is number => v !== null && v > 0);
  const spread = positive.length > 0 ? Math.max(...positive) / Math.min(...positive) : 1;
  const test = figureOf(rows[0]!, kind)
    .test.replace(/ @ d\d+$/, '')
    .replace(/^pp\d+$/, 'pp');
  const xLabel = axis === 'context' ? 'context tokens (depth + prompt)' : 'batch (rows decoded together)';
  return {
    id: `bench-${kind === 'decode' ? 'tg' : 'pp'}-${axis}-${index}`,
    title: `${model}: ${test} t/s against ${axis === 'context' ? 'context' : 'batch'} (median, band: IQR${kind === 'decode' ? '; dashed: roofline limit' : ''})`,
    xLabel,
    yLabel: `${kind === 'decode' ? 'decode' : 'prefill'} tokens/s`,
    yScale: spread > 20 ? 'log' : 'linear',
    x: single ? [0] : x,
    ...(single ? { xNames: [String(x[0])] } : {}),
    series,
    limits: [],
  };
}
