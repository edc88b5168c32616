import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../harness/app/registry.ts';
import { compareDocument } from '../../harness/app/report/compare-blocks.ts';
import { METRIC_SECTIONS } from '../../harness/app/report/compare-fields.ts';
import type { Plot } from '../../harness/app/report/document.ts';
import { renderHtml } from '../../harness/app/report/render-html.ts';
import { renderMarkdown } from '../../harness/app/report/render-markdown.ts';
import { renderText } from '../../harness/app/report/render-text.ts';
import { compareBackends } from '../../harness/engine/compare/compare-backends.ts';
import { COMPARE_SCHEMA, type CompareRecord } from '../../harness/engine/compare/compare-record.ts';
import { modelIdentity } from '../../harness/engine/model/model-identity.ts';
import { loadTokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { OffByOnePositions } from '../faulty-backends/off-by-one-positions.ts';

const renderCompareText = (r: CompareRecord) => renderText(compareDocument(r));
const renderCompareMarkdown = (r: CompareRecord) => renderMarkdown(compareDocument(r));
const renderCompareHtml = (r: CompareRecord) => renderHtml(compareDocument(r));

/** A small real record: one clean backend and one that parts from the reference at step 2. */
let record: CompareRecord;

beforeAll(async () => {
  const model = await loadModelDir('tiny-gpt2');
  const tokenizer = await loadTokenizer(model);
  const reference = await createBackend('ts:f64', model);
  const backends = [await createBackend('ts:f32', model), OffByOnePositions.create(model, 2)];
  try {
    record = await compareBackends({
      model: { name: model.name, path: model.path, graph: (await modelIdentity(model)).graph },
      reference,
      referenceChoice: 'ts:f64, as the test opens it',
      backends,
      prompts: ['The quick brown fox', 'Hello'].map((text) => ({ text, ids: tokenizer.encode(text) })),
      maxNewTokens: 6,
      eosTokenIds: [],
      tokenText: (id) => tokenizer.tokenText(id),
      gates: {},
    });
  } finally {
    for (const source of [reference, ...backends]) await source.dispose();
  }
});

const allLabels = () => METRIC_SECTIONS.flatMap((s) => s.fields.map((f) => f.label));

describe('compare record', () => {
  it('is schema-tagged data with the per-position samples behind the summary', () => {
    expect(record.schema).toBe(COMPARE_SCHEMA);
    expect(record.reference.id).toBe('ts:f64');
    expect(record.prompts.map((p) => p.referenceIds.length)).toEqual([6, 6]);
    const [clean, faulty] = record.backends;
    expect(clean!.positions).toHaveLength(12);
    expect(clean!.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(record.passed).toBe(false);
    expect(faulty!.firstFlagged?.step).toBe(2);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record); // plain JSON, no NaN or typed arrays
  });
});

describe('renderers draw from one list of fields', () => {
  it('terminal: llama.cpp section rules, every field label, the failed gate and the divergence', () => {
    const text = renderCompareText(record);
    expect(text).toContain('====== KL divergence statistics ======');
    expect(text).toContain('====== Token probability statistics ======');
    for (const label of allLabels()) expect(text).toContain(label);
    expect(text).toMatch(/Mean {4}KLD +\S+ ± \S+/);
    expect(text).toMatch(/Same top p +100\.000 ± 0\.000 %/);
    expect(text).toContain(
      'faulty:position-off-by-one-from-step-2 first shows it at step 2 (prompt 0, position 5)',
    );
    expect(text).toMatch(/gate --max-mean-kld failed for faulty:position-off-by-one-from-step-2: Mean KLD/);
    expect(text).toMatch(/faulty:position-off-by-one-from-step-2: prompt \d step 2: reference chose \d+ /);
    expect(text).toMatch(/rank +ref id +ref token +ref logprob +faulty:position-off-by-one-from-step-2 id/);
  });

  it('Markdown: the same tables, pipes in labels escaped', () => {
    const md = renderCompareMarkdown(record);
    expect(md).toMatch(/^# decode-harness compare — FAILED/);
    expect(md).toContain('## KL divergence statistics');
    expect(md).toContain('| max \\|Δlogit\\| |');
    for (const label of allLabels()) expect(md).toContain(label.replaceAll('|', '\\|'));
  });

  it('HTML: self-contained (uPlot inlined, nothing fetched) with per-step plot data', () => {
    const html = renderCompareHtml(record);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/);
    expect(html).not.toMatch(/<link\b/);
    expect(html).toContain('leeoniya/uPlot (v1.6.32)'); // the inlined library's banner
    expect(html).toContain('.uplot'); // its stylesheet
    for (const label of allLabels()) expect(html).toContain(label.replaceAll('<', '&lt;'));
    const json = /<script type="application\/json" id="plot-data">(.*?)<\/script>/s.exec(html)![1]!;
    const [kld, logit] = JSON.parse(json) as Plot[];
    for (const plot of [kld!, logit!]) {
      expect(plot.series.map((s) => s.label)).toEqual(['ts:f32', 'faulty:position-off-by-one-from-step-2']);
      expect(plot.x).toEqual([0, 1, 2, 3, 4, 5]);
      expect(plot.yLabel).toMatch(/\(.+\)$/); // a unit in brackets
      expect(html).toContain(`id="${plot.id}"`);
    }
    expect(logit!.series[1]!.values[2]).toBeGreaterThan(1e-4);
    // Each gate limit is drawn at the value the gate used (both backends are float32: one line).
    const gate = (id: string) => record.backends[0]!.gates.find((g) => g.gate === id)!.limit;
    expect(kld!.limits).toEqual([
      { label: expect.stringContaining('--max-mean-kld'), value: gate('max-mean-kld') },
    ]);
    expect(logit!.limits).toEqual([
      { label: expect.stringContaining('--max-abs-logit-diff'), value: gate('max-abs-logit-diff') },
    ]);
  });
});
