import { describe, expect, it } from 'vitest';
import { cellText, formatNumber, num } from '../../harness/app/report/cells.ts';
import type { ReportDocument, TableBlock } from '../../harness/app/report/document.ts';
import { renderCsv, renderCsvTable } from '../../harness/app/report/render-csv.ts';
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

describe('typed cells', () => {
  it('format a number once for every people format: digits, notation, unit, spread, note', () => {
    expect(formatNumber(num(12.345, 2, { unit: 't/s' }))).toBe('12.35'); // t/s is named by the header
    expect(formatNumber(num(12.345, 1, { unit: 't/s', sd: 0.44 }))).toBe('12.3 ± 0.4');
    expect(formatNumber(num(3 * 2 ** 20, 1, { unit: 'bytes', note: '(process)' }))).toBe('3.0 MiB (process)');
    expect(formatNumber(num(12.5, 0, { unit: '%' }))).toBe('13%');
    expect(formatNumber(num(1.0144, 3, { unit: '×' }))).toBe('1.014×');
    expect(formatNumber(num(124_439_808, 1, { notation: 'millions' }))).toBe('124.4 M');
    expect(formatNumber(num(0.000123, 1, { notation: 'exp' }))).toBe('1.2e-4');
    expect(cellText('as is')).toBe('as is');
  });

  const table: TableBlock = {
    kind: 'table',
    header: ['name', 'size', 'TTFT ms', 't/s', 'share'],
    rows: [
      [
        'a',
        num(2 ** 20, 1, { unit: 'bytes' }),
        num(1.25, 2, { unit: 'ms' }),
        num(10.5, 1, { unit: 't/s', sd: 0.25 }),
        '',
      ],
      [
        'b',
        num(2 ** 21, 1, { unit: 'bytes' }),
        num(12.5, 1, { unit: 'ms' }),
        num(9, 1, { unit: 't/s', sd: 1 }),
        num(50, 0, { unit: '%' }),
      ],
    ],
  };

  it('CSV: raw values, the unit in the header unless the header names it, a spread in an sd column', () => {
    expect(renderCsvTable(table)).toBe(
      [
        'name,size (bytes),TTFT ms,t/s,sd (t/s),share (%)',
        'a,1048576,1.25,10.5,0.25,',
        'b,2097152,12.5,9,1,50',
        '',
      ].join('\n'),
    );
  });

  it('terminal, Markdown and HTML print the same formatted numbers, right-aligned', () => {
    const doc: ReportDocument = { title: 't', blocks: [table] };
    expect(renderText(doc)).toContain('\nb     2.0 MiB     12.5   9.0 ± 1.0    50%\n');
    const md = renderMarkdown(doc);
    expect(md).toContain('| a | 1.0 MiB | 1.25 | 10.5 ± 0.3 |  |');
    expect(md).toContain('|---|---:|---:|---:|---:|');
    expect(renderHtml(doc)).toContain('<td class="num">2.0 MiB</td>');
  });

  it('CSV writes the first table of a document and refuses one without a table', () => {
    const second: TableBlock = { kind: 'table', header: ['x'], rows: [['later']] };
    const doc: ReportDocument = {
      title: 't',
      blocks: [{ kind: 'lines', lines: ['x'] }, table, second],
    };
    expect(renderCsv(doc).split('\n')[0]).toBe('name,size (bytes),TTFT ms,t/s,sd (t/s),share (%)');
    expect(() => renderCsv({ title: 'empty', blocks: [] })).toThrow(/empty: no table/);
  });
});

describe('escaping: |, <, &, line breaks, quotes in every format', () => {
  const nasty = 'a|b <i>&amp; "q", \\x\nnext';
  const doc: ReportDocument = {
    title: 'title',
    blocks: [
      { kind: 'heading', text: nasty },
      { kind: 'lines', lines: [nasty] },
      { kind: 'table', header: ['h|1', 'n'], rows: [[nasty, num(1, 0)]] },
    ],
  };

  it('Markdown: pipes, backslashes, tags, entities and breaks stay literal; the table keeps its columns', () => {
    const md = renderMarkdown(doc);
    const escaped = 'a\\|b &lt;i>&amp;amp; "q", \\\\x next';
    expect(md).toContain(`## ${escaped}\n`);
    expect(md).toContain(`- ${escaped}\n`);
    expect(md).toContain(`| h\\|1 | n |\n|---|---:|\n| ${escaped} | 1 |\n`);
    expect(md).not.toContain('<i>');
  });

  it('HTML: tags and entities escaped, the line break kept inside its cell', () => {
    const html = renderHtml(doc);
    const escaped = 'a|b &lt;i&gt;&amp;amp; &quot;q&quot;, \\x\nnext';
    expect(html).toContain(`<h2>${escaped}</h2>`);
    expect(html).toContain(`<td>${escaped}</td><td class="num">1</td>`);
    expect(html).not.toContain('<i>');
  });

  it('terminal: a line break in a cell becomes a space, so a row stays one line', () => {
    expect(renderText(doc)).toMatch(/^a\|b <i>&amp; "q", \\x next {2}1$/m);
  });

  it('CSV: fields with commas, quotes or line breaks quoted, quotes doubled', () => {
    const csv = renderCsv(doc);
    expect(csv).toBe('h|1,n\n"a|b <i>&amp; ""q"", \\x\nnext",1\n');
  });
});
