/**
 * Table cells: text, or a number that keeps its value and unit so that every renderer prints it
 * the same way (formatNumber is the one place numbers become text) and CSV can write the raw value
 * with the unit in its header.
 */
export type Cell = string | NumberCell;

/** What a number is measured in. CSV headers name it; people's formats print it as UNITS says. */
export type Unit = 't/s' | 'ms' | 'GB/s' | '%' | '×' | 'bytes' | 'nats';

export interface NumberCell {
  readonly kind: 'number';
  /** The raw value, in `unit` (bytes for 'bytes', percent for '%'): what CSV writes. */
  readonly value: number;
  readonly unit?: Unit;
  /** Digits after the point (`fixed`, `millions`) or of the mantissa (`exp`). */
  readonly digits: number;
  /** `millions`: a count printed as `124.4 M`. Default `fixed`. */
  readonly notation?: 'fixed' | 'exp' | 'millions';
  /** A spread in the same unit, printed `value ± sd`; CSV gives it a column of its own. */
  readonly sd?: number;
  /** Words after the number in people's formats, never in CSV: `(process)`. */
  readonly note?: string;
}

/**
 * How a unit is printed after a number for people. Units without a suffix are named by the
 * column header or the row's label (`t/s`, `TTFT ms`), never repeated in each cell; bytes are
 * shown in MiB.
 */
const UNITS: Readonly<Record<Unit, { readonly suffix: string; readonly scale?: number }>> = {
  't/s': { suffix: '' },
  ms: { suffix: '' },
  'GB/s': { suffix: '' },
  nats: { suffix: '' },
  '%': { suffix: '%' },
  '×': { suffix: '×' },
  bytes: { suffix: ' MiB', scale: 2 ** 20 },
};

/** A number cell: `num(12.5, 2, { unit: 'ms' })`. */
export function num(
  value: number,
  digits: number,
  options: Omit<NumberCell, 'kind' | 'value' | 'digits'> = {},
) {
  return { kind: 'number', value, digits, ...options } as const satisfies NumberCell;
}

export const isNumberCell = (cell: Cell): cell is NumberCell => typeof cell !== 'string';

/** The number as people read it: digits, unit suffix, `± sd`, note. */
export function formatNumber(cell: NumberCell): string {
  const unit = cell.unit === undefined ? { suffix: '' } : UNITS[cell.unit];
  const scale = unit.scale ?? (cell.notation === 'millions' ? 1e6 : 1);
  const digits = (x: number) =>
    cell.notation === 'exp' ? (x / scale).toExponential(cell.digits) : (x / scale).toFixed(cell.digits);
  const suffix = cell.notation === 'millions' ? ' M' : unit.suffix;
  const sd = cell.sd === undefined ? '' : ` ± ${digits(cell.sd)}`;
  const note = cell.note === undefined ? '' : ` ${cell.note}`;
  return `${digits(cell.value)}${sd}${suffix}${note}`;
}

/** A cell as people read it (terminal, Markdown, HTML); escaping is the renderer's. */
export const cellText = (cell: Cell): string => (isNumberCell(cell) ? formatNumber(cell) : cell);

/** Text cells that read as numbers (`1.5`, `3.2e-5`, `12%`, `1.04×`) line up like number cells. */
const NUMERIC_TEXT = /^[-+]?[\d.,%eE×±]*$/;

/**
 * A column of bare numbers (empty cells allowed): right-aligned in every format that aligns. A
 * number with a note reads as text and leaves its column left-aligned.
 */
export function isNumericColumn(rows: readonly (readonly Cell[])[], column: number): boolean {
  return rows.every((r) => {
    const cell = r[column] ?? '';
    return isNumberCell(cell) ? cell.note === undefined : NUMERIC_TEXT.test(cell);
  });
}
