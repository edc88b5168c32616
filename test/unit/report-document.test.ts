import { describe, expect, it } from 'vitest';
import type { TargetRun } from '../../harness/app/bench-targets/run-targets.ts';
import type { TargetOutcome } from '../../harness/app/bench-targets/targets-table.ts';
import { benchCompareDocument } from '../../harness/app/report/bench-compare-document.ts';
import { benchCsvTable, benchDocument } from '../../harness/app/report/bench-document.ts';
import { type Cell, cellText, formatNumber, num } from '../../harness/app/report/cells.ts';
import type { ReportBlock, ReportDocument, TableBlock } from '../../harness/app/report/document.ts';
import { microDocument } from '../../harness/app/report/micro-document.ts';
import { renderCsv, renderCsvTable } from '../../harness/app/report/render-csv.ts';
import { renderHtml } from '../../harness/app/report/render-html.ts';
import { renderMarkdown } from '../../harness/app/report/render-markdown.ts';
import { renderText, TERMINAL_COLUMNS } from '../../harness/app/report/render-text.ts';
import { targetsDocument } from '../../harness/app/report/targets-document.ts';
import { traceDocument } from '../../harness/app/report/trace-document.ts';
import { compareReports } from '../../harness/engine/bench/compare-reports.ts';
import type { DecodeResult } from '../../harness/engine/decode/decode-result.ts';
import { benchRan, benchReport } from '../helpers/bench-records.ts';

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

/** The table under the heading `title` (or the first table). */
function tableOf(doc: ReportDocument, title?: string): TableBlock {
  const at = title === undefined ? 0 : doc.blocks.findIndex((b) => b.kind === 'heading' && b.text === title);
  const table = doc.blocks.slice(at).find((b): b is TableBlock => b.kind === 'table');
  if (!table) throw new Error(`no table after ${title}`);
  return table;
}
const headings = (doc: ReportDocument) =>
  doc.blocks.flatMap((b: ReportBlock) => (b.kind === 'heading' ? [b.text] : []));
const allLines = (doc: ReportDocument) => doc.blocks.flatMap((b) => (b.kind === 'lines' ? b.lines : []));
const texts = (row: readonly Cell[]) => row.map(cellText);

describe('the converted reports as documents', () => {
  it('bench: machine lines, llama-bench table, noise table, latency and memory, refusals', () => {
    const refused = {
      status: 'refused' as const,
      backendId: 'bad:one',
      model: benchRan('x', [1]).model,
      failedChecks: [{ name: 'logits-vs-reference', detail: 'off by 1' }],
    };
    const doc = benchDocument(
      benchReport([benchRan('ts:f32', [50, 50]), benchRan('noisy', [40, 60]), refused as never]),
    );
    expect(headings(doc)).toEqual([
      'Throughput',
      'Noise, CPU time and roofline',
      'Latency, host time and memory',
    ]);
    const throughput = tableOf(doc, 'Throughput');
    expect(throughput.header).toEqual(['model', 'size', 'params', 'backend', 'threads', 'test', 't/s']);
    expect(throughput.rows.map(texts)).toEqual([
      ['m', '10.00 MiB', '2.50 M', 'ts:f32', '1', 'pp16', '100.00 ± 0.00'],
      ['m', '10.00 MiB', '2.50 M', 'ts:f32', '1', 'tg64 @ d16', '50.00 ± 0.00'],
      ['m', '10.00 MiB', '2.50 M', 'noisy', '1', 'pp16', '100.00 ± 0.00'],
      ['m', '10.00 MiB', '2.50 M', 'noisy', '1', 'tg64 @ d16', '50.00 ± 14.14 noisy'],
    ]);
    // llama-bench's alignment: the numbers and the test right-aligned, noisy or not
    expect(renderMarkdown(doc)).toContain(
      '| model | size | params | backend | threads | test | t/s |\n|---|---:|---:|---|---:|---:|---:|\n',
    );
    const noise = tableOf(doc, 'Noise, CPU time and roofline');
    expect(noise.header).toEqual([
      'backend',
      'batch',
      'test',
      'median t/s',
      'IQR (q1–q3)',
      'min–max',
      'CV',
      'CPU-time t/s',
      'roofline',
    ]);
    expect(texts(noise.rows[1]!)).toEqual([
      'ts:f32',
      '1',
      'tg64 @ d16',
      '50.00',
      '50.00–50.00',
      '50.00–50.00',
      '0.0%',
      'n/a',
      '25% of 200.0',
    ]);
    expect(texts(noise.rows[3]!).slice(3, 7)).toEqual(['50.00', '45.00–55.00', '40.00–60.00', '28.3% noisy']);
    const latency = tableOf(doc, 'Latency, host time and memory');
    expect(texts(latency.rows[0]!)).toEqual([
      'm',
      'ts:f32',
      '1',
      '16',
      '12.0',
      '5.00',
      '6.00',
      '7.00',
      '0.50',
      '1.00',
      '1.00',
      '2.0 MiB (process)',
      '1.0 MiB',
      '3.0 MiB',
      '',
      'n/a [1]',
    ]);
    expect(latency.footnotes).toEqual(['a CPU backend: its memory is in peak RSS']);
    expect(allLines(doc)).toContain(
      'bad:one on m: REFUSED — failed conformance (logits-vs-reference: off by 1)',
    );
    expect(allLines(doc)).toContain(
      'memory bandwidth: 2 probes around the repetitions, median 7.5 GB/s (7.0–8.0; best of 3 one-thread and 2-thread reads over 256.0 MiB each)',
    );
    // tg and pp against the context, with the IQR band and (tg) the roofline limit in the series' colour
    const plots = doc.blocks.flatMap((b) => (b.kind === 'plot' ? [b.plot] : []));
    expect(plots.map((p) => p.id)).toEqual(['bench-tg-context-0', 'bench-pp-context-0']);
    // one context: a category, the IQR a box, the limit a dash across it
    expect(plots[0]!.xNames).toEqual(['16']);
    expect(plots[0]!.series.map((s) => [s.label, s.style, s.color])).toEqual([
      ['ts:f32', 'points', 0],
      ['ts:f32 roofline limit', 'marks', 0],
      ['noisy', 'points', 1],
      ['noisy roofline limit', 'marks', 1],
    ]);
    expect(plots[0]!.series[2]!.band).toEqual({ label: 'IQR', low: [45], high: [55] });
    expect(renderHtml(doc)).toContain('"band":{"label":"IQR","low":[45],"high":[55]}');
    // two contexts: lines over a numeric axis, the limit dashed
    const deeper = benchRan('ts:f32', [40, 40]);
    const two = benchDocument(
      benchReport([
        benchRan('ts:f32', [50, 50]),
        { ...deeper, point: { ...deeper.point, depth: 64, contextTokens: 80 } },
      ]),
    );
    const tg = two.blocks.flatMap((b) => (b.kind === 'plot' ? [b.plot] : []))[0]!;
    expect([tg.x, tg.xNames]).toEqual([[16, 80], undefined]);
    expect(tg.series.map((s) => [s.style, s.values])).toEqual([
      ['line', [50, 40]],
      ['dashed', [200, 200]],
    ]);
  });

  it('bench: a roofline above 100 % is a measurement error with its two numbers; weights in cache give no bound', () => {
    const over = benchRan('x', [150, 250]);
    const error = {
      ...over,
      decode: {
        ...over.decode,
        roofline: {
          ...over.decode.roofline,
          verdict: {
            kind: 'measurement-error' as const,
            repetition: 2,
            tokensPerSec: 250,
            limitTokensPerSec: 200,
            bandwidthGBps: 1,
          },
        },
      },
    };
    const inCache = {
      ...over,
      decode: {
        ...over.decode,
        roofline: {
          ...over.decode.roofline,
          verdict: { kind: 'in-cache' as const, cacheBytes: 2 ** 25, probeBufferBytes: 2 ** 28 },
        },
      },
    };
    const doc = benchDocument(benchReport([error, inCache]));
    const cells = tableOf(doc, 'Noise, CPU time and roofline').rows.map((r) => cellText(r.at(-1)!));
    expect(cells[1]).toBe(
      'measurement error: repetition 2 decoded 250.0 t/s, above its 200.0 t/s limit from 1.0 GB/s probed around it',
    );
    expect(cells[3]).toBe("no bound (weights 0.0 MiB, under the 32.0 MiB cache and the probe's 256.0 MiB)");
    expect(renderText(doc)).not.toMatch(/\b1\d\d% of/);
  });

  it('bench: warnings first; a batch column only when a row is batched; bench.csv with every raw value', () => {
    const report = {
      ...benchReport([benchRan('x', [50, 50], [100, 100], 'a'.repeat(64), 4)]),
      warnings: ['busy'],
    };
    const doc = benchDocument(report);
    expect(doc.blocks[1]).toEqual({ kind: 'lines', unwrapped: true, lines: ['warning: busy'] });
    expect(tableOf(doc, 'Throughput').header).toEqual([
      'model',
      'size',
      'params',
      'backend',
      'threads',
      'batch',
      'test',
      't/s',
    ]);
    const csv = renderCsvTable(benchCsvTable(report)).split('\n');
    expect(csv[0]).toBe(
      'model,size (bytes),params,backend,threads,batch,depth,prompt tokens,context tokens,test,median (t/s),q1 (t/s),q3 (t/s),min (t/s),max (t/s),mean (t/s),sd (t/s),cv,noisy,cpu-time median,roofline (%),roofline limit median (t/s),samples',
    );
    expect(csv[2]).toBe(
      'm,10485760,2500000,x,1,4,0,16,16,tg64 @ d16,50,50,50,50,50,50,0,0,false,,6.25,800,50 50',
    );
  });

  it('bench compare: the reports, one row per figure and report, the U-test verdict, the gate, a ratio chart', () => {
    const fast = [100, 101, 102, 103, 104];
    const slow = [80, 81, 82, 83, 84];
    const reports = [
      { label: 'A', path: 'a.json', report: benchReport([benchRan('x', fast)]) },
      { label: 'B', path: 'b.json', report: benchReport([benchRan('x', slow)]) },
    ];
    const comparison = compareReports(reports);
    const gate = {
      threshold: 10,
      on: 'wall' as const,
      failing: comparison.figures.filter((f) => f.metric === 'tg64 @ d16 t/s'),
      cannotTell: [],
    };
    const doc = benchCompareDocument(reports, comparison, gate);
    expect(allLines(doc).slice(0, 2)).toEqual([
      'A: a.json, 2026-01-01T00:00:00.000Z, cpu × 2, node 20, commit n/a',
      'B: b.json, 2026-01-01T00:00:00.000Z, cpu × 2, node 20, commit n/a',
    ]);
    const table = tableOf(doc);
    expect(table.header).toEqual([
      'backend',
      'model',
      'batch',
      'metric',
      'A',
      'vs',
      'value',
      'ratio',
      'verdict',
      'p (U test)',
      'noise',
    ]);
    const tg = table.rows.find((r) => r[3] === 'tg64 @ d16 t/s')!;
    expect(texts(tg)).toEqual([
      'x',
      'm',
      '1',
      'tg64 @ d16 t/s',
      '102.0',
      'B',
      '82.00',
      '0.804',
      '19.6% slower',
      '0.008',
      '±2.5%',
    ]);
    expect(texts(table.rows.find((r) => r[3] === 'peak RSS MiB')!)[8]).toBe('same (not tested)');
    expect(allLines(doc)).toContain(
      'FAILED: tg64 @ d16 t/s x on m batch 1 in B 19.6% slower (p 0.008) (threshold 10%)',
    );
    const passed = benchCompareDocument(
      [reports[0]!, { ...reports[0]!, label: 'B' }],
      compareReports([reports[0]!, { ...reports[0]!, label: 'B' }]),
      {
        threshold: 5,
        on: 'wall',
        failing: [],
        cannotTell: [],
      },
    );
    expect(allLines(passed)).toContain('gate: no pp/tg figure is told slower by more than 5%');
    const chart = doc.blocks.find((b) => b.kind === 'plot');
    expect(chart?.kind === 'plot' && chart.plot.title).toMatch(/^x on m: pp and tg ratio to A/);
    expect(chart?.kind === 'plot' && chart.plot.xNames).toEqual(['pp16', 'tg64 @ d16']);
    expect(chart?.kind === 'plot' && chart.plot.limits.map((l) => l.value)).toEqual([1, 0.9]);
  });

  it('targets: the run, one row per target with × or % figures, the detail of each', () => {
    const outcome = (o: Partial<TargetOutcome>): TargetOutcome => ({
      id: '1',
      what: 'ratio',
      ratio: 1.0144,
      range: [0.9, 1.2],
      cpuRatio: 1.02,
      goal: { op: '≥', value: 0.98 },
      percent: false,
      status: 'pass',
      withinNoise: true,
      detail: 'ours 10 t/s',
      ...o,
    });
    const outcomes = [
      outcome({}),
      outcome({
        id: '3',
        what: 'share',
        ratio: 0.038,
        range: [0.031, 0.044],
        cpuRatio: 0.046,
        goal: { op: '≤', value: 0.02 },
        percent: true,
        status: 'miss',
        withinNoise: false,
        detail: 'chain 0.4 ms',
      }),
      outcome({
        id: '5',
        ratio: null,
        range: null,
        cpuRatio: null,
        status: 'not run',
        withinNoise: false,
        detail: 'refused',
      }),
    ];
    const run = {
      settings: {
        model: 'shape',
        rounds: 7,
        promptTokens: 16,
        newTokens: 64,
        threads: 1,
        numBeams: 4,
        recheck: false,
      },
      createdAt: 'now',
      machine: benchReport([]).machine,
    } as unknown as TargetRun;
    const doc = targetsDocument(run, outcomes);
    const table = tableOf(doc);
    expect(table.header).toEqual([
      '#',
      'target',
      'measured',
      'range over rounds',
      'CPU-time ratio',
      'goal',
      'result',
    ]);
    expect(table.rows.map(texts)).toEqual([
      ['1', 'ratio', '1.014×', '0.900× … 1.200×', '1.020×', '≥ 0.980×', 'PASS (within noise)'],
      ['3', 'share', '3.80%', '3.10% … 4.40%', '4.60%', '≤ 2.00%', 'MISS'],
      ['5', 'ratio', '—', '', '', '≥ 0.980×', 'NOT RUN'],
    ]);
    expect(allLines(doc)).toEqual(
      expect.arrayContaining(['1: ours 10 t/s', '3: chain 0.4 ms', '5: refused']),
    );
    expect(allLines(doc).at(-1)).toMatch(/^\(within noise\): /);
    expect(allLines(doc)[0]).toMatch(/^targets on shape: batch 1, 16-token prompt, 64 new tokens/);
  });

  it('bench micro: a heading and a table per group, the naive twin with its speed-up', () => {
    const doc = microDocument(100, {
      kernels: [
        { state: 'completed', name: 'lm head f32', meanMs: 2, rmePercent: 1.25, samples: 50 },
        { state: 'completed', name: 'lm head f64 naive', meanMs: 9, rmePercent: 0.5, samples: 11 },
      ],
      processors: [{ state: 'errored', name: 'top_k', error: 'boom' }],
    });
    expect(headings(doc)).toEqual(['kernels', 'processors']);
    const kernels = tableOf(doc, 'kernels');
    expect(kernels.header).toEqual(['task', 'mean ms', '±', 'samples', 'f32 speed-up']);
    expect(kernels.rows.map(texts)).toEqual([
      ['lm head f32', '2.00', '1.3%', '50', ''],
      ['lm head f64 naive', '9.00', '0.5%', '11', '4.5×'],
    ]);
    expect(texts(tableOf(doc, 'processors').rows[0]!)).toEqual(['top_k', 'error', 'boom', '', '']);
  });

  it('trace: the prompt, one step line and next-token table per step, the continuation and total', () => {
    const result = {
      strategy: 'greedy',
      config: {},
      promptIds: [1, 2],
      processors: [],
      sequences: [
        {
          tokenIds: [7],
          steps: [
            {
              id: 7,
              logprob: Math.log(0.5),
              top: [
                [7, Math.log(0.5)],
                [8, Math.log(0.25)],
              ],
              walk: {
                distribution: 'raw',
                top: [
                  { id: 7, rawLogprob: Math.log(0.5), prob: 0.5, cumulative: 0.5 },
                  { id: 8, rawLogprob: Math.log(0.25), prob: 0.25, cumulative: 0.75 },
                ],
                chosenRank: 1,
                survivors: 4,
              },
            },
          ],
          totalLogprob: Math.log(0.5),
          finishReason: 'max_new_tokens',
        },
      ],
      timing: { prefillMs: 1, stepMs: [], choiceMs: 0 },
    } as unknown as DecodeResult;
    const doc = traceDocument(
      {
        modelName: 'm',
        backendId: 'ts:f64',
        dtype: 'float64',
        tokenLabel: (id) => `t${id}`,
        decode: (ids) => ids.map((id) => `t${id}`).join(''),
      },
      result,
    );
    expect(doc.title).toBe('decode-harness trace: model m on ts:f64 (float64), strategy greedy');
    expect(allLines(doc).slice(0, 4)).toEqual([
      'prompt: 2 tokens, ids under them',
      '  [t1][t2]',
      '  1   2',
      'step 1: input = prompt + 0 generated tokens; chose "t7" (id 7, logprob -0.6931; rank 1)',
    ]);
    const table = tableOf(doc);
    expect(table.header).toEqual(['rank', 'id', 'token', 'prob', 'cum.prob', 'logprob', '']);
    expect(table.rows.map(texts)).toEqual([
      ['1', '7', '"t7"', '0.5000', '0.5000', '-0.6931', '<-'],
      ['2', '8', '"t8"', '0.2500', '0.7500', '-1.3863', ''],
    ]);
    expect(renderCsvTable(table).split('\n')[0]).toBe('rank,id,token,prob,cum.prob,logprob (nats),');
    expect(allLines(doc).slice(-2)).toEqual([
      'continuation: "t7"',
      'total logprob -0.6931 nats over 1 tokens (mean -0.6931, perplexity 2.000); stopped by max_new_tokens',
    ]);
  });
});
