import type { Cell } from './cells.ts';

export type { Cell, NumberCell, Unit } from './cells.ts';

/**
 * A report as data. Every report is built once as a ReportDocument and drawn by one renderer per
 * format (render-text.ts, render-markdown.ts, render-html.ts, render-csv.ts for its tables): a
 * format decides how a block looks, never what it says.
 */
export interface ReportDocument {
  readonly title: string;
  readonly blocks: readonly ReportBlock[];
}

export type ReportBlock =
  | { readonly kind: 'heading'; readonly text: string }
  | {
      readonly kind: 'lines';
      readonly lines: readonly string[];
      /** Lines a reader greps for (one failure each): the terminal never wraps them. */
      readonly unwrapped?: boolean;
    }
  | TableBlock
  | HeatmapBlock
  | { readonly kind: 'plot'; readonly plot: Plot };

export interface TableBlock {
  readonly kind: 'table';
  readonly header: readonly string[];
  /** One cell per header column: text, or a number with its unit (cells.ts). */
  readonly rows: readonly (readonly Cell[])[];
  /** Numbered notes under the table; a cell refers to note n as `[n]`. */
  readonly footnotes?: readonly string[];
  /** Rows (by index) the reader's eye should land on, e.g. the chosen token; a terminal colours them. */
  readonly highlight?: readonly number[];
  /**
   * Column alignment where the renderers' own rule (bare numbers right, the rest left) is not
   * what the table's readers expect, e.g. llama-bench's layout: `t/s` right-aligned with its ± sd.
   */
  readonly align?: readonly ('left' | 'right')[];
}

/**
 * A matrix of values in [0, 1] with labelled rows and columns (attention probabilities: rows the
 * queries, columns the keys), each cell shaded by its value: a colour where the format has colour.
 */
export interface HeatmapBlock {
  readonly kind: 'heatmap';
  /** One line above the map. */
  readonly title: string;
  /** Header of the row-label column, naming both axes (`query \\ key`). */
  readonly corner: string;
  readonly rowLabels: readonly string[];
  readonly columnLabels: readonly string[];
  /** [row][column]; null: a masked cell (no value), drawn as `·`. */
  readonly values: readonly (readonly (number | null)[])[];
  /** Digits after the point. */
  readonly digits: number;
}

/** A chart over shared x values; drawn in HTML only (text formats list its title). */
export interface Plot {
  /** Unique within the document (an HTML element id). */
  readonly id: string;
  readonly title: string;
  /** Axis titles, with units: `step (0 = prefill)`, `max |Δlogit| (logit units)`. */
  readonly xLabel: string;
  readonly yLabel: string;
  readonly yScale: 'linear' | 'log';
  readonly x: readonly number[];
  /** Names for the x values when the axis is categorical (one backend per x), by index of `x`. */
  readonly xNames?: readonly string[];
  readonly series: readonly PlotSeries[];
  /** Horizontal lines: a gate limit or tolerance drawn across the whole plot. */
  readonly limits: readonly PlotLimit[];
}

export interface PlotSeries {
  readonly label: string;
  /** One value per x; null where there is none (a log axis cannot draw 0: such points are null). */
  readonly values: readonly (number | null)[];
  /**
   * `line`: points joined; `points`: markers only; `marks`: wide dashes (a per-x limit);
   * `dashed`: points joined by a dashed line (a limit that varies with x).
   */
  readonly style: 'line' | 'points' | 'marks' | 'dashed';
  /** Palette slot (default: the series' index): a limit drawn in the colour of the series it bounds. */
  readonly color?: number;
  /**
   * A range per x drawn as a shaded band around the series (its noise, e.g. the quartiles); in a
   * categorical plot, a box across the category.
   */
  readonly band?: {
    readonly label: string;
    readonly low: readonly (number | null)[];
    readonly high: readonly (number | null)[];
  };
}

export interface PlotLimit {
  readonly label: string;
  readonly value: number;
}

/** A cell's reference to footnote n (1-based), as every renderer prints it. */
export const footnoteRef = (n: number): string => `[${n}]`;
