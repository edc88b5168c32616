import { type Cell, cellText, isNumericColumn } from './cells.ts';
import type { ReportDocument } from './document.ts';

/** Terminal width the tables are laid out for; longer lines are wrapped, never a table cell. */
export const TERMINAL_COLUMNS = 120;

/**
 * The terminal rendering: llama.cpp-style "====== … ======" section rules over aligned tables,
 * footnotes under their table, prose wrapped at TERMINAL_COLUMNS.
 */
export function renderText(doc: ReportDocument): string {
  const out = [doc.title, ''];
  for (const block of doc.blocks) {
    if (block.kind === 'heading') out.push(`====== ${block.text} ======`);
    else if (block.kind === 'lines')
      out.push(...(block.unwrapped ? block.lines : block.lines.flatMap((l) => wrap(l, ''))), '');
    else if (block.kind === 'plot') out.push(`(plot in the HTML report: ${block.plot.title})`, '');
    else {
      out.push(formatTable(block.header, block.rows));
      for (const [i, note] of (block.footnotes ?? []).entries()) out.push(...wrap(note, `[${i + 1}] `));
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Plain-text table: number columns right-aligned, the rest left-aligned; a line break in a cell is a space. */
function formatTable(header: readonly string[], cells: readonly (readonly Cell[])[]): string {
  const oneLine = (s: string) => s.replace(/\r\n|\r|\n/g, ' ');
  const rows = cells.map((r) => r.map((c) => oneLine(cellText(c))));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => isNumericColumn(cells, c));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header.map(oneLine)), ...rows.map(line)].join('\n');
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
