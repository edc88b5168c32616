import type { CompareRecord } from '../compare/compare-record.ts';
import { compareBlocks, compareHeader } from './compare-blocks.ts';
import { uplotAssets } from './uplot-assets.ts';

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Inlined text that cannot end its own <script> or <style> element early. */
const inline = (s: string, tag: 'script' | 'style') => s.replaceAll(`</${tag}`, `<\\/${tag}`);

/** The per-step series the charts draw: x = step, one y array per backend (null where none). */
interface PlotData {
  readonly backends: readonly string[];
  readonly steps: readonly number[];
  readonly meanKld: readonly (number | null)[][];
  readonly maxAbsLogitDiff: readonly (number | null)[][];
}

function plotData(record: CompareRecord): PlotData {
  const steps = [...new Set(record.backends.flatMap((a) => a.steps.map((s) => s.step)))].sort(
    (a, b) => a - b,
  );
  // A log axis cannot draw 0 (identical logits): those points are left out, not faked.
  const series = (pick: (p: CompareRecord['backends'][number]['steps'][number]) => number) =>
    record.backends.map((a) =>
      steps.map((step) => {
        const point = a.steps.find((s) => s.step === step);
        const y = point === undefined ? 0 : pick(point);
        return y > 0 ? y : null;
      }),
    );
  return {
    backends: record.backends.map((a) => a.backend.id),
    steps,
    meanKld: series((p) => p.meanKld),
    maxAbsLogitDiff: series((p) => p.maxAbsLogitDiff),
  };
}

/** Draws both charts from the embedded data; runs in the page. */
const PLOT_SCRIPT = `
const data = JSON.parse(document.getElementById('plot-data').textContent);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
function chart(id, title, ys) {
  const el = document.getElementById(id);
  const series = [{ label: 'step' }].concat(data.backends.map((b, i) => ({
    label: b, stroke: colors[i % colors.length], width: 1.5, points: { show: true, size: 4 },
  })));
  new uPlot({
    title, width: Math.min(900, window.innerWidth - 40), height: 300, series,
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'step' }, { values: (u, vals) => vals.map((v) => v == null ? '' : v.toExponential(0)), size: 60 }],
  }, [data.steps].concat(ys), el);
}
chart('plot-kld', 'mean KLD over prompts, per step (log scale)', data.meanKld);
chart('plot-logit', 'max |Δlogit| over prompts, per step (log scale)', data.maxAbsLogitDiff);
`;

/** A self-contained page: the report tables plus per-step charts, uPlot inlined (no network). */
export function renderCompareHtml(record: CompareRecord): string {
  const { js, css } = uplotAssets();
  const body = compareBlocks(record)
    .map((block) => {
      if (block.kind === 'heading') return `<h2>${esc(block.text)}</h2>`;
      if (block.kind === 'lines') return `<ul>${block.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`;
      const head = `<tr>${block.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
      const rows = block.rows.map(
        (r) =>
          `<tr>${r.map((c) => `<td${/^FAIL/.test(c) ? ' class="fail"' : ''}>${esc(c)}</td>`).join('')}</tr>`,
      );
      return `<table>${head}\n${rows.join('\n')}</table>`;
    })
    .join('\n');
  const data = JSON.stringify(plotData(record)).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(compareHeader(record))}</title>
<style>${inline(css, 'style')}</style>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:pre}td:first-child,th:first-child{text-align:left}
.fail{color:#b00;font-weight:bold}</style>
</head><body>
<h1>${esc(compareHeader(record))}</h1>
<div id="plot-kld"></div>
<div id="plot-logit"></div>
${body}
<script type="application/json" id="plot-data">${data}</script>
<script>${inline(js, 'script')}</script>
<script>${PLOT_SCRIPT}</script>
</body></html>
`;
}
