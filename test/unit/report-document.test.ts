import { describe, expect, it } from 'vitest';
import type { ReportDocument } from '../../harness/app/report/document.ts';
import { renderHtml } from '../../harness/app/report/render-html.ts';
import { renderMarkdown } from '../../harness/app/report/render-markdown.ts';
import { renderText, TERMINAL_COLUMNS } from '../../harness/app/report/render-text.ts';

const LONG = `a reason that goes on ${'and on '.repeat(40)}until it ends`;

const doc: ReportDocument = {
  title: 'report <title> | x',
  blocks: [
    { kind: 'lines', lines: ['first line', LONG] },
    { kind: 'heading', text: 'Section' },
    {
      kind: 'table',
      header: ['name', 'value'],
      rows: [
        ['a|b', '1.5'],
        ['c', '12.25'],
      ],
      footnotes: [LONG],
    },
    {
      kind: 'plot',
      plot: {
        id: 'p1',
        title: 'a plot',
        xLabel: 'step',
        yLabel: 'KLD (nats)',
        yScale: 'log',
        x: [0, 1],
        series: [{ label: 's', style: 'line', values: [1e-9, null] }],
        limits: [{ label: 'limit', value: 1e-8 }],
      },
    },
  ],
};

describe('one document, three renderers', () => {
  it('terminal: aligned table, footnotes under it, every line within the terminal width', () => {
    const text = renderText(doc);
    const lines = text.split('\n');
    expect(lines[0]).toBe('report <title> | x');
    expect(text).toContain('====== Section ======');
    expect(text).toMatch(/^name {2}value$/m);
    expect(text).toMatch(/^c {5}12\.25$/m); // numbers right-aligned
    expect(text).toMatch(/^\[1\] a reason that goes on/m);
    expect(text).toContain('(plot in the HTML report: a plot)');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(TERMINAL_COLUMNS);
    // Wrapping loses no word.
    expect(text.replace(/\s+/g, ' ')).toContain(LONG);
  });

  it('Markdown: pipes escaped, numeric columns right-aligned, footnotes as a numbered list', () => {
    const md = renderMarkdown(doc);
    expect(md).toMatch(/^# report &lt;title> \\\| x$/m);
    expect(md).toContain('| a\\|b | 1.5 |');
    expect(md).toContain('|---|---:|');
    expect(md).toContain(`1. ${LONG}`);
  });

  it('HTML: escaped text, plot data embedded, uPlot inlined, nothing fetched', () => {
    const html = renderHtml(doc);
    expect(html).toContain('<title>report &lt;title&gt; | x</title>');
    expect(html).toContain('<td>a|b</td>');
    expect(html).toContain('<ol class="footnotes">');
    expect(html).not.toMatch(/<script[^>]*\bsrc=/);
    expect(html).not.toMatch(/<link\b/);
    const json = /<script type="application\/json" id="plot-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(json)).toEqual([(doc.blocks[3] as { plot: unknown }).plot]);
    expect(html).toContain('<div class="plot" id="p1"></div>');
  });

  it('HTML without plots carries no script at all', () => {
    const html = renderHtml({ title: 't', blocks: [{ kind: 'lines', lines: ['x'] }] });
    expect(html).not.toContain('<script');
  });
});
