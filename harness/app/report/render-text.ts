import { cellText, isNumericColumn } from './cells.ts';
import { displayWidth, padToWidth } from './display-width.ts';
import type { ReportDocument, TableBlock } from './document.ts';
import { heatmapText } from './render-heatmap.ts';

/** Terminal width the tables are laid out for; longer lines are wrapped, never a table cell. */
export const TERMINAL_COLUMNS = 120;

export interface TextOptions {
  /** ANSI colour (a terminal that is a TTY, NO_COLOR unset): a bold title, highlighted rows in colour. */
  readonly color?: boolean;
  /** A shading character after each heat-map value (` ░▒▓█`), with or without colour. */
  readonly shade?: boolean;
}

const BOLD = (s: string) => `\x1b[1m${s}\x1b[22m`;
const HIGHLIGHT = (s: string) => `\x1b[1;36m${s}\x1b[0m`;

/**
 * The terminal rendering: llama.cpp-style "====== … ======" section rules over aligned tables,
 * footnotes under their table, prose wrapped at TERMINAL_COLUMNS.
 */
export function renderText(doc: ReportDocument, options: TextOptions = {}): string {
  const out = [options.color ? BOLD(doc.title) : doc.title, ''];
  for (const block of doc.blocks) {
    if (block.kind === 'heading') out.push(`====== ${block.text} ======`);
    else if (block.kind === 'lines')
      out.push(...(block.unwrapped ? block.lines : block.lines.flatMap((l) => wrap(l, ''))), '');
    else if (block.kind === 'plot') out.push(`(plot in the HTML report: ${block.plot.title})`, '');
    else if (block.kind === 'heatmap') out.push(heatmapText(block, options), '');
    else {
      out.push(formatTable(block, options.color === true));
      for (const [i, note] of (block.footnotes ?? []).entries()) out.push(...wrap(note, `[${i + 1}] `));
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * Plain-text table: number columns right-aligned, the rest left-aligned, by display width (a CJK
 * character takes two columns); a line break in a cell is a space.
 */
function formatTable(block: TableBlock, color: boolean): string {
  const { header, rows: cells } = block;
  const oneLine = (s: string) => s.replace(/\r\n|\r|\n/g, ' ');
  const rows = cells.map((r) => r.map((c) => oneLine(cellText(c))));
  const widths = header.map((h, c) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[c] ?? ''))),
  );
  const numeric = header.map((_, c) =>
    block.align ? block.align[c] === 'right' : isNumericColumn(cells, c),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => padToWidth(cell, widths[c]!, numeric[c] ? 'start' : 'end'))
      .join('  ')
      .trimEnd();
  const highlighted = new Set(color ? (block.highlight ?? []) : []);
  const body = rows.map((r, i) => (highlighted.has(i) ? HIGHLIGHT(line(r)) : line(r)));
  return [line(header.map(oneLine)), ...body].join('\n');
}

/** Break `text` at spaces into lines of at most TERMINAL_COLUMNS; continuation lines are indented. */
function wrap(text: string, prefix: string): string[] {
  const indent = ' '.repeat(Math.min(prefix.length || 2, 8));
  const lines: string[] = [];
  let line = prefix;
  for (const word of text.split(' ')) {
    const candidate = line === prefix || line === indent ? line + word : `${line} ${word}`;
    if (candidate.length > TERMINAL_COLUMNS && line !== prefix && line !== indent) {
      lines.push(line);
      line = indent + word;
    } else line = candidate;
  }
  lines.push(line);
  return lines;
}
