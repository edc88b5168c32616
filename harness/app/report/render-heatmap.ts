import { displayWidth, padToWidth } from './display-width.ts';
import type { HeatmapBlock } from './document.ts';
import { escapeHtml, escapeMarkdown } from './escape.ts';

/** How a masked cell (no value) is drawn in every format. */
const MASKED = '·';
/** Shading characters from 0 to 1, as `--shade` appends them to a value. */
const SHADES = [' ', '░', '▒', '▓', '█'];

export interface HeatmapTextOptions {
  /** ANSI 256-colour backgrounds, a grey ramp from dark (0) to bright (1). */
  readonly color?: boolean;
  /** A shading character after each value (` ░▒▓█`), for terminals or files without colour. */
  readonly shade?: boolean;
}

const cellValue = (block: HeatmapBlock, value: number | null): string =>
  value === null ? MASKED : value.toFixed(block.digits);

/** The terminal heat map: the title, then the labelled grid, values right-aligned in their columns. */
export function heatmapText(block: HeatmapBlock, options: HeatmapTextOptions = {}): string {
  const shadeOf = (value: number | null) =>
    options.shade ? (value === null ? ' ' : SHADES[Math.round(value * (SHADES.length - 1))]!) : '';
  const valueWidth = block.digits + 2 + (options.shade ? 1 : 0);
  const labelWidth = Math.max(displayWidth(block.corner), ...block.rowLabels.map(displayWidth));
  const widths = block.columnLabels.map((label) => Math.max(displayWidth(label), valueWidth));
  const header = [
    padToWidth(block.corner, labelWidth),
    ...block.columnLabels.map((label, c) => padToWidth(label, widths[c]!, 'start')),
  ];
  const rows = block.values.map((row, r) => [
    padToWidth(block.rowLabels[r] ?? '', labelWidth),
    ...row.map((value, c) => {
      const text = padToWidth(`${cellValue(block, value)}${shadeOf(value)}`, widths[c]!, 'start');
      return options.color && value !== null ? ansiShade(text, value) : text;
    }),
  ]);
  return [block.title, ...[header, ...rows].map((cells) => cells.join('  ').trimEnd())].join('\n');
}

/** `text` on a grey background as bright as `value` (xterm's 24-step ramp 232–255), its digits legible. */
function ansiShade(text: string, value: number): string {
  const level = Math.round(Math.min(1, Math.max(0, value)) * 23);
  const foreground = level >= 12 ? 16 : 255;
  return `\x1b[48;5;${232 + level}m\x1b[38;5;${foreground}m${text}\x1b[0m`;
}

/** The Markdown heat map: the title in bold, then a pipe table of the values (Markdown has no colour). */
export function heatmapMarkdown(block: HeatmapBlock): string[] {
  return [
    `**${escapeMarkdown(block.title)}**`,
    '',
    `| ${[block.corner, ...block.columnLabels].map(escapeMarkdown).join(' | ')} |`,
    `|---|${block.columnLabels.map(() => '---:').join('|')}|`,
    ...block.values.map(
      (row, r) =>
        `| ${[block.rowLabels[r] ?? '', ...row.map((v) => cellValue(block, v))].map(escapeMarkdown).join(' | ')} |`,
    ),
    '',
  ];
}

/**
 * The HTML heat map: a grid whose cells are shaded white to blue by value, the value written in
 * each, the column labels turned upright so a long prompt stays narrow; hovering a cell names its
 * row, column and the value in full.
 */
export function heatmapHtml(block: HeatmapBlock): string {
  const head = `<tr><th>${escapeHtml(block.corner)}</th>${block.columnLabels
    .map((label) => `<th class="key">${escapeHtml(label)}</th>`)
    .join('')}</tr>`;
  const rows = block.values.map((row, r) => {
    const rowLabel = block.rowLabels[r] ?? '';
    const cells = row.map((value, c) => {
      if (value === null) return `<td class="masked">${MASKED}</td>`;
      const hover = `${rowLabel} → ${block.columnLabels[c] ?? ''}: ${value}`;
      return `<td style="${htmlShade(value)}" title="${escapeHtml(hover)}">${cellValue(block, value)}</td>`;
    });
    return `<tr><th>${escapeHtml(rowLabel)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="heatmap"><caption>${escapeHtml(block.title)}</caption>\n${head}\n${rows.join('\n')}</table>`;
}

/** White (0) to #1f77b4 (1); white text on the darker half. */
function htmlShade(value: number): string {
  const v = Math.min(1, Math.max(0, value));
  const mix = (to: number) => Math.round(255 - (255 - to) * v);
  return `background:rgb(${mix(31)},${mix(119)},${mix(180)})${v > 0.55 ? ';color:#fff' : ''}`;
}

/** The page style the HTML heat maps need. */
export const HEATMAP_CSS =
  '.heatmap td{text-align:right;font-variant-numeric:tabular-nums}.heatmap .masked{color:#bbb;text-align:center}' +
  '.heatmap th.key{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left}.heatmap caption{text-align:left;white-space:nowrap;font-weight:bold;padding:.3em 0}';
