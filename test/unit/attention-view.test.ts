import { describe, expect, it } from 'vitest';
import { causalMask, rowSoftmax } from '../../backends/ts-kernels/causal-mask-f64.ts';
import { attentionDocument } from '../../harness/app/report/attention-document.ts';
import type { HeatmapBlock, TableBlock } from '../../harness/app/report/document.ts';
import { renderHtml } from '../../harness/app/report/render-html.ts';
import { renderMarkdown } from '../../harness/app/report/render-markdown.ts';
import { renderText } from '../../harness/app/report/render-text.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import { type AttentionMaps, collectAttention } from '../../harness/engine/attention/attention-maps.ts';
import { headSummary } from '../../harness/engine/attention/head-summary.ts';

const N = 8;
const NEG = Number.NEGATIVE_INFINITY;

describe('the causal mask for 8 tokens and its softmax', () => {
  it('is 0 on and below the diagonal, -inf above', () => {
    const rows = Array.from({ length: N }, (_, i) => Array.from(causalMask(N).subarray(i * N, (i + 1) * N)));
    expect(rows).toEqual([
      [0, NEG, NEG, NEG, NEG, NEG, NEG, NEG],
      [0, 0, NEG, NEG, NEG, NEG, NEG, NEG],
      [0, 0, 0, NEG, NEG, NEG, NEG, NEG],
      [0, 0, 0, 0, NEG, NEG, NEG, NEG],
      [0, 0, 0, 0, 0, NEG, NEG, NEG],
      [0, 0, 0, 0, 0, 0, NEG, NEG],
      [0, 0, 0, 0, 0, 0, 0, NEG],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
  });

  it("softmaxes row by row to exactly 1; ½ ½; ⅓ ⅓ ⅓; … (the reference's softmax kernel)", () => {
    const soft = rowSoftmax(causalMask(N), N);
    const rows = Array.from({ length: N }, (_, i) => Array.from(soft.subarray(i * N, (i + 1) * N)));
    // toEqual on numbers is exact: each value is the float64 nearest the fraction, as 1/3 is.
    expect(rows).toEqual([
      [1, 0, 0, 0, 0, 0, 0, 0],
      [1 / 2, 1 / 2, 0, 0, 0, 0, 0, 0],
      [1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0, 0],
      [1 / 4, 1 / 4, 1 / 4, 1 / 4, 0, 0, 0, 0],
      [1 / 5, 1 / 5, 1 / 5, 1 / 5, 1 / 5, 0, 0, 0],
      [1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 0, 0],
      [1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 0],
      [1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 8],
    ]);
  });
});

/** A made-up 3-token, 1-layer, 2-head model: head 0 looks at the first token, head 1 at itself. */
const TOKENS = ['The', ' <b>', ' |x'].map((label, id) => ({ id, label }));
const firstToken = Float64Array.from([1, 0, 0, 1, 0, 0, 0.75, 0.25, 0]);
const itself = Float64Array.from([1, 0, 0, 0.5, 0.5, 0, 0, 0.1, 0.9]);
const MAPS: AttentionMaps = { layers: 1, heads: 2, tokens: 3, probs: [[firstToken, itself]] };
const CONTEXT = { modelName: 'toy', family: 'gpt2', backendId: 'ts:f64', dtype: 'float64', tokens: TOKENS };
const MASKS = { mask: causalMask(3), maskSoftmax: rowSoftmax(causalMask(3), 3) };
const ALL = { layers: [0], heads: [0, 1] };

describe('the attention document', () => {
  const doc = attentionDocument(CONTEXT, MASKS, MAPS, ALL, 16);
  const tables = doc.blocks.filter((b): b is TableBlock => b.kind === 'table');
  const maps = doc.blocks.filter((b): b is HeatmapBlock => b.kind === 'heatmap');

  it('tables the mask as 0 / -inf and its softmax with the share each visible key gets', () => {
    expect(tables[0]!.rows).toEqual([
      ['0 "The"', '0', '-inf', '-inf'],
      ['1 " <b>"', '0', '0', '-inf'],
      ['2 " |x"', '0', '0', '0'],
    ]);
    expect(tables[1]!.rows.map((r) => r.at(-1))).toEqual(['1', '1/2', '1/3']);
    expect(tables[1]!.rows[2]).toEqual(['2 " |x"', '0.3333', '0.3333', '0.3333', '1/3']);
  });

  it('summarises each head and draws its heat map with the masked cells null', () => {
    expect(headSummary(firstToken, 3)).toEqual({
      self: (1 + 0 + 0) / 3,
      previous: 0.625,
      first: 0.875,
      entropyNats: expect.any(Number),
    });
    expect(headSummary(itself, 3).entropyNats).toBeCloseTo(
      (-(0.5 * Math.log(0.5)) * 2 - 0.1 * Math.log(0.1) - 0.9 * Math.log(0.9)) / 3,
      14,
    );
    expect(maps.map((m) => m.title)).toEqual([
      'layer 0, head 0: self 0.33, previous 0.63, first 0.88, entropy 0.19 nats',
      'layer 0, head 1: self 0.80, previous 0.30, first 0.25, entropy 0.34 nats',
    ]);
    expect(maps[1]!.values).toEqual([
      [1, null, null],
      [0.5, 0.5, null],
      [0, 0.1, 0.9],
    ]);
    expect(maps[0]!.columnLabels).toEqual(['"The"', '" <b>"', '" |x"']);
  });

  it('leaves the maps to the files, saying how to pick one, past the terminal limit', () => {
    const few = attentionDocument(CONTEXT, MASKS, MAPS, ALL, 1);
    expect(few.blocks.some((b) => b.kind === 'heatmap')).toBe(false);
    expect(renderText(few)).toContain('pick one with --layer L --head H (layers 0–0, heads 0–1)');
    const one = attentionDocument(CONTEXT, MASKS, MAPS, { layers: [0], heads: [1] }, 1);
    expect(one.blocks.filter((b) => b.kind === 'heatmap')).toHaveLength(1);
  });
});

describe('collecting attention', () => {
  const source = (report: (observer: (l: number, p: number, probs: Float64Array) => void) => void) => {
    let observer: ((l: number, p: number, probs: Float64Array) => void) | undefined;
    return {
      info: { id: 'fake' },
      observeAttention: (o: typeof observer) => {
        observer = o;
      },
      prefill: async () => {
        if (observer) report(observer);
      },
      reset: () => {},
    } as unknown as LogitsSource & { observeAttention(o: typeof observer): void };
  };

  it('is null from a forward that reports nothing (a family without the hook)', async () => {
    expect(
      await collectAttention(
        source(() => {}),
        [1, 2],
        1,
      ),
    ).toBeNull();
  });

  it('is an error when a query row is missing or the wrong size', async () => {
    const short = source((o) => o(0, 0, Float64Array.of(1)));
    await expect(collectAttention(short, [1, 2], 1)).rejects.toThrow(
      "fake reported layer 0's attention for query 1 as no values, not 1 heads × 2 keys",
    );
  });
});

describe('a heat map in every format', () => {
  const block: HeatmapBlock = {
    kind: 'heatmap',
    title: 'layer 0, head 1',
    corner: 'query \\ key',
    rowLabels: ['0 "a"', '1 " <b>|"'],
    columnLabels: ['"a"', '" <b>|"'],
    values: [
      [1, null],
      [0.254, 0.746],
    ],
    digits: 2,
  };
  const doc = { title: 't', blocks: [block] };

  it('terminal: values right-aligned to 2 decimals, · for a masked cell, no escape codes unless asked', () => {
    const text = renderText(doc);
    expect(text).toContain(
      [
        'layer 0, head 1',
        'query \\ key   "a"  " <b>|"',
        '0 "a"        1.00        ·',
        '1 " <b>|"    0.25     0.75',
      ].join('\n'),
    );
    expect(text).not.toContain('\x1b[');
  });

  it('terminal: shading characters with --shade, grey backgrounds with colour', () => {
    expect(renderText(doc, { shade: true })).toContain(
      '0 "a"        1.00█       ·\n1 " <b>|"    0.25░    0.75▓',
    );
    const coloured = renderText(doc, { color: true });
    expect(coloured).toContain('\x1b[48;5;255m\x1b[38;5;16m1.00\x1b[0m        ·\n'); // 1: the brightest grey; masked: none
    expect(coloured).toContain('\x1b[48;5;238m\x1b[38;5;255m0.25\x1b[0m'); // 0.254 · 23 → step 6, light digits
    expect(coloured).toContain('\x1b[48;5;249m\x1b[38;5;16m   0.75\x1b[0m');
  });

  it('Markdown: a pipe table, labels escaped', () => {
    const md = renderMarkdown(doc);
    expect(md).toContain('**layer 0, head 1**');
    expect(md).toContain('| query \\\\ key | "a" | " &lt;b>\\|" |\n|---|---:|---:|');
    expect(md).toContain('| 1 " &lt;b>\\|" | 0.25 | 0.75 |');
    expect(md).toContain('| 0 "a" | 1.00 | · |');
  });

  it('HTML: a grid shaded by value, labels escaped, the full value on hover', () => {
    const html = renderHtml(doc);
    expect(html).toContain('<table class="heatmap"><caption>layer 0, head 1</caption>');
    expect(html).toContain('<th class="key">&quot; &lt;b&gt;|&quot;</th>');
    expect(html).toContain(
      '<td style="background:rgb(31,119,180);color:#fff" title="0 &quot;a&quot; → &quot;a&quot;: 1">1.00</td>',
    );
    expect(html).toContain('<td class="masked">·</td>');
    expect(html).toContain('title="1 &quot; &lt;b&gt;|&quot; → &quot; &lt;b&gt;|&quot;: 0.746">0.75</td>');
    expect(html).toContain('.heatmap td{');
    expect(html).not.toContain('<b>');
  });
});
