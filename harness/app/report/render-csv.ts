import { type Cell, isNumberCell, type Unit } from './cells.ts';
import type { ReportDocument, TableBlock } from './document.ts';
import { escapeCsv } from './escape.ts';

/**
 * The CSV rendering of a document's first table (a report with one table a spreadsheet wants puts
 * it first; renderCsvTable takes any other): raw values, no thousands separators, units and
 * display scaling left out (a number is written in JavaScript's shortest round-trip form), each number column's unit in its header, a column whose numbers carry
 * a spread followed by an `sd` column. Text cells are written as shown; numbers' notes are not.
 */
export function renderCsv(doc: ReportDocument): string {
  const table = doc.blocks.find((b): b is TableBlock => b.kind === 'table');
  if (table === undefined) throw new Error(`${doc.title}: no table to write as CSV`);
  return renderCsvTable(table);
}

/** One table as CSV: a header line, then one line per row; fields quoted as RFC 4180 says, lines ending in \n. */
export function renderCsvTable(table: TableBlock): string {
  const columns = table.header.map((title, c) => {
    const numbers = table.rows.map((r) => r[c] ?? '').filter(isNumberCell);
    const units = new Set(numbers.map((n) => n.unit));
    const unit = units.size === 1 ? [...units][0] : undefined;
    return { title, unit, spread: numbers.some((n) => n.sd !== undefined) };
  });
  const header = columns.flatMap(({ title, unit, spread }) => [
    withUnit(title, unit),
    ...(spread ? [withUnit('sd', unit)] : []),
  ]);
  const rows = table.rows.map((r) =>
    columns.flatMap(({ spread }, c) => {
      const cell: Cell = r[c] ?? '';
      const value = isNumberCell(cell) ? cell.value : cell;
      return spread ? [value, isNumberCell(cell) && cell.sd !== undefined ? cell.sd : ''] : [value];
    }),
  );
  return `${[header, ...rows].map((cells) => cells.map(escapeCsv).join(',')).join('\n')}\n`;
}

/** `size (bytes)`; a header that already names its unit (`t/s`, `TTFT ms`) stays as it is. */
function withUnit(title: string, unit: Unit | undefined): string {
  if (unit === undefined || title.split(' ').includes(unit)) return title;
  return `${title} (${unit})`;
}
