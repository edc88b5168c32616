import type { AttentionMaps } from '../../engine/attention/attention-maps.ts';
import { type HeadSummary, headSummary } from '../../engine/attention/head-summary.ts';
import { type Cell, num } from './cells.ts';
import type { ReportBlock, ReportDocument } from './document.ts';
import { TERMINAL_COLUMNS } from './render-text.ts';
import { type DocumentToken, tokenDocumentLines } from './token-document.ts';
import { quotedToken } from './token-text.ts';

/** What the attention view shows besides the maps: names, and the prompt as the model saw it. */
export interface AttentionContext {
  readonly modelName: string;
  readonly family: string;
  readonly backendId: string;
  readonly dtype: string;
  /** The prompt's tokens, by position: id and text as people read it. */
  readonly tokens: readonly DocumentToken[];
}

/** The (layer, head) pairs to show: every one unless --layer or --head chose. */
export interface AttentionSelection {
  readonly layers: readonly number[];
  readonly heads: readonly number[];
}

/** The causal mask and its softmax, [n, n] row-major (ts:f64's causal-mask-f64.ts). */
export interface MaskTables {
  readonly mask: Float64Array;
  readonly maskSoftmax: Float64Array;
}

const CORNER = 'query \\ key';

/**
 * `attention`: the prompt, the causal mask and the softmax of the mask alone, then where each
 * selected head looks (a summary row per head) and its heat map, queries down and keys across.
 * More than `maxHeatmaps` maps are left to the files, with a line saying how to pick one.
 */
export function attentionDocument(
  context: AttentionContext,
  masks: MaskTables,
  maps: AttentionMaps,
  selection: AttentionSelection,
  maxHeatmaps: number,
): ReportDocument {
  const n = maps.tokens;
  const rowLabels = context.tokens.map((t, i) => `${i} ${quotedToken(t.label)}`);
  const columnLabels = context.tokens.map((t) => quotedToken(t.label));
  const pairs = selection.layers.flatMap((layer) => selection.heads.map((head) => ({ layer, head })));
  const summaries = pairs.map(({ layer, head }) => headSummary(maps.probs[layer]![head]!, n));
  const matrix = (m: Float64Array, cell: (v: number, q: number, k: number) => Cell) =>
    rowLabels.map((label, q): Cell[] => [
      label,
      ...Array.from(m.subarray(q * n, (q + 1) * n), (v, k) => cell(v, q, k)),
    ]);
  const blocks: ReportBlock[] = [
    {
      kind: 'lines',
      unwrapped: true,
      lines: [
        `prompt: ${n} token${n === 1 ? '' : 's'}`,
        ...tokenDocumentLines(context.tokens, TERMINAL_COLUMNS, '  '),
        `model ${context.modelName} (${context.family}): ${maps.layers} layers × ${maps.heads} heads`,
      ],
    },
    { kind: 'heading', text: 'Causal mask' },
    {
      kind: 'lines',
      lines: [
        'Added to the scores before the softmax: 0 where query q may attend key k (k ≤ q), -inf where k is in its future.',
      ],
    },
    {
      kind: 'table',
      header: [CORNER, ...columnLabels],
      rows: matrix(masks.mask, (v) => (v === 0 ? '0' : '-inf')),
      align: ['left', ...columnLabels.map(() => 'right' as const)],
    },
    { kind: 'heading', text: 'Softmax of the mask alone' },
    {
      kind: 'lines',
      lines: [
        'Each mask row through the softmax, as if every score were 0: query q spreads its attention evenly over keys 0..q.',
      ],
    },
    {
      kind: 'table',
      header: [CORNER, ...columnLabels, 'each'],
      rows: matrix(masks.maskSoftmax, (v) => v.toFixed(4)).map((row, q) => [
        ...row,
        uniformShare(masks.maskSoftmax.subarray(q * n, (q + 1) * n), q + 1),
      ]),
      align: ['left', ...columnLabels.map(() => 'right' as const), 'left'],
    },
    { kind: 'heading', text: `Attention probabilities (${context.backendId}, ${context.dtype})` },
    {
      kind: 'lines',
      lines: [
        "After the mask and the softmax, as Hugging Face's output_attentions returns them. Per head, means over the queries:",
        'self = p(q→q); previous = p(q→q−1) and first = p(q→0), over q ≥ 1; entropy of a row, in nats.',
      ],
    },
    {
      kind: 'table',
      header: ['layer', 'head', 'self', 'previous', 'first', 'entropy'],
      rows: pairs.map(({ layer, head }, i) => [num(layer, 0), num(head, 0), ...summaryCells(summaries[i]!)]),
    },
  ];
  if (pairs.length > maxHeatmaps) {
    blocks.push({
      kind: 'lines',
      lines: [
        `${pairs.length} heat maps are more than the terminal shows (${maxHeatmaps}): pick one with --layer L --head H ` +
          `(layers 0–${maps.layers - 1}, heads 0–${maps.heads - 1}), or write them all with --out DIR (attention.html, attention.md).`,
      ],
    });
  } else {
    blocks.push({
      kind: 'lines',
      lines: [
        'Rows: the query token; columns: the key it attends to; each row sums to 1; · is a masked (future) key, probability 0.',
      ],
    });
    pairs.forEach(({ layer, head }, i) => {
      const s = summaries[i]!;
      const map = maps.probs[layer]![head]!;
      blocks.push({
        kind: 'heatmap',
        title: `layer ${layer}, head ${head}: ${summaryText(s)}`,
        corner: CORNER,
        rowLabels,
        columnLabels,
        values: Array.from({ length: n }, (_, q) =>
          Array.from(map.subarray(q * n, (q + 1) * n), (v, k) => (k > q ? null : v)),
        ),
        digits: 2,
      });
    });
  }
  return {
    title: `decode-harness attention: model ${context.modelName} on ${context.backendId} (${context.dtype}), ${n} token${n === 1 ? '' : 's'}`,
    blocks,
  };
}

/** `1/3` when the row's first `visible` values all equal the float64 1/visible and the rest are 0. */
function uniformShare(row: Float64Array, visible: number): string {
  const share = 1 / visible;
  const uniform = row.every((v, k) => v === (k < visible ? share : 0));
  return uniform ? (visible === 1 ? '1' : `1/${visible}`) : 'not uniform';
}

function summaryCells(s: HeadSummary): Cell[] {
  const maybe = (v: number | null): Cell => (v === null ? '' : num(v, 2));
  return [num(s.self, 2), maybe(s.previous), maybe(s.first), num(s.entropyNats, 2, { unit: 'nats' })];
}

function summaryText(s: HeadSummary): string {
  const maybe = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));
  return `self ${s.self.toFixed(2)}, previous ${maybe(s.previous)}, first ${maybe(s.first)}, entropy ${s.entropyNats.toFixed(2)} nats`;
}
