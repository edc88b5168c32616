import { type Cell, cellText, isNumberCell } from './cells.ts';
import type { Plot, ReportDocument } from './document.ts';
import { escapeHtml, escapeScriptJson, escapeRawText as inline } from './escape.ts';
import { HEATMAP_CSS, heatmapHtml } from './render-heatmap.ts';
import { uplotAssets } from './uplot-assets.ts';

/**
 * Draws every plot of the page from the embedded JSON with uPlot: one series per backend, each
 * limit as a dashed horizontal line in the legend, axis titles with units. Runs in the page.
 */
const PLOT_SCRIPT = `(() => {
const plots = JSON.parse(document.getElementById('plot-data').textContent);
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const limitColors = ['#555', '#b8860b', '#800080', '#006400'];
const sci = (v) => (v == null ? '' : v === 0 || (Math.abs(v) >= 1e-2 && Math.abs(v) < 1e5) ? String(+v.toPrecision(3)) : v.toExponential(0));
for (const p of plots) {
  const categorical = Array.isArray(p.xNames);
  // A categorical axis (one backend per x) is drawn at x = i; each value becomes the point i
  // ('points') or a dash from i - 0.3 to i + 0.3 ('marks'), a gap between categories.
  const xs = categorical ? p.x.flatMap((_, i) => [i - 0.3, i, i + 0.3, i + 0.5]) : p.x;
  const spread = (values, style) =>
    categorical
      ? values.flatMap((v) => (style === 'marks' ? [v, v, v, null] : [null, v, null, null]))
      : values;
  const series = [{ label: p.xLabel }];
  const data = [xs];
  const bands = [];
  p.series.forEach((s, i) => {
    const stroke = colors[(s.color ?? i) % colors.length];
    if (s.style === 'line') series.push({ label: s.label, stroke, width: 1.5, points: { show: true, size: 5, fill: stroke } });
    else if (s.style === 'points') series.push({ label: s.label, stroke, width: 0, paths: () => null, points: { show: true, size: 10, fill: stroke } });
    else if (s.style === 'dashed') series.push({ label: s.label, stroke, width: 1.5, dash: [6, 4], points: { show: false } });
    else series.push({ label: s.label, stroke: s.color === undefined ? '#555' : stroke, width: 3, spanGaps: false, points: { show: false } });
    data.push(spread(s.values, s.style));
    if (s.band) {
      // Two invisible edges (hidden from the legend) and a translucent fill between them: a box
      // across the category in a categorical plot, a band along the line otherwise.
      const at = series.length;
      const edge = (which, values) => {
        series.push({ label: s.label + ' ' + s.band.label + ' ' + which, class: 'band-edge', stroke, width: 0, points: { show: false }, spanGaps: false });
        data.push(categorical ? spread(values, 'marks') : values);
      };
      edge('high', s.band.high);
      edge('low', s.band.low);
      bands.push({ series: [at, at + 1], fill: stroke + '33' });
    }
  });
  p.limits.forEach((l, i) => {
    series.push({ label: l.label, stroke: limitColors[i % limitColors.length], width: 1.5, dash: [8, 5], points: { show: false } });
    data.push(xs.map(() => l.value));
  });
  const xAxis = categorical
    ? { label: p.xLabel, splits: () => p.x.map((_, i) => i), values: (u, vals) => vals.map((v) => p.xNames[v] ?? '') }
    : { label: p.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }; // whole steps
  const y = p.yScale === 'log' ? { distr: 3, range: (u, min, max) => [min / 3, max * 3] } : {};
  new uPlot({
    title: p.title, width: Math.min(960, window.innerWidth - 40), height: 320, series, bands, legend: { live: false },
    scales: { x: categorical ? { time: false, range: [-0.6, p.x.length - 0.4] } : { time: false }, y },
    axes: [xAxis, { label: p.yLabel, values: (u, vals) => vals.map(sci), size: 70 }],
  }, data, document.getElementById(p.id));
}
document.body.dataset.plotsDrawn = String(plots.length);
})();
`;

/** A self-contained page: no network, uPlot inlined, plots drawn from data embedded in the page. */
export function renderHtml(doc: ReportDocument): string {
  const plots: Plot[] = [];
  const body = doc.blocks
    .map((block) => {
      if (block.kind === 'heading') return `<h2>${escapeHtml(block.text)}</h2>`;
      if (block.kind === 'lines')
        return `<ul>${block.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`;
      if (block.kind === 'plot') {
        plots.push(block.plot);
        return `<div class="plot" id="${escapeHtml(block.plot.id)}"></div>`;
      }
      if (block.kind === 'heatmap') return heatmapHtml(block);
      const head = `<tr>${block.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
      const rows = block.rows.map(
        (r) =>
          `<tr>${r.map((c, i) => `<td${cellClass(c, block.align?.[i])}>${escapeHtml(cellText(c))}</td>`).join('')}</tr>`,
      );
      const notes = block.footnotes ?? [];
      const list = notes.length
        ? `\n<ol class="footnotes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ol>`
        : '';
      return `<table>${head}\n${rows.join('\n')}</table>${list}`;
    })
    .join('\n');
  const scripts = plots.length
    ? `<script type="application/json" id="plot-data">${escapeScriptJson(plots)}</script>
<script>${inline(uplotAssets().js, 'script')}</script>
<script>${PLOT_SCRIPT}</script>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title>
${plots.length ? `<style>${inline(uplotAssets().css, 'style')}</style>` : ''}
${doc.blocks.some((b) => b.kind === 'heatmap') ? `<style>${HEATMAP_CSS}</style>` : ''}
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;white-space:pre}
.num{text-align:right}.band-edge{display:none}.fail{color:#b00;font-weight:bold}.pass{color:#070}.plot{margin:1em 0}.footnotes{font-size:13px;color:#333}</style>
</head><body>
<h1>${escapeHtml(doc.title)}</h1>
${body}
${scripts}
</body></html>
`;
}

/** Bare numbers (or a column the table aligns right) right-aligned; verdict cells stand out: FAIL/ERROR in red, pass in green. */
function cellClass(cell: Cell, align?: 'left' | 'right'): string {
  if (align !== undefined) return align === 'right' ? ' class="num"' : '';
  if (isNumberCell(cell)) return cell.note === undefined ? ' class="num"' : '';
  if (/^(FAIL|ERROR)/.test(cell)) return ' class="fail"';
  if (/^pass\b/.test(cell)) return ' class="pass"';
  return '';
}
