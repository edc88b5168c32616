import type { BackendAgreement, CompareRecord, Divergence } from '../../engine/compare/compare-record.ts';
import { gateFailureLine } from '../../engine/compare/gates.ts';
import { earliestDivergence, METRIC_SECTIONS, sci } from './compare-fields.ts';
import { describeGraph } from './describe-graph.ts';
import type { Plot, PlotLimit, ReportBlock, ReportDocument } from './document.ts';

/** What the numbers mean, printed under the tables (README "Comparing backends" says more). */
const DEFINITIONS: readonly string[] = [
  'teacher-forced: every backend is fed the prompt plus the reference greedy continuation; step 0 is the prefill, step s the s-th cached step',
  'KLD = KL(reference ‖ backend) per position, nats, float64; Δp = p_backend − p_reference of the reference top token',
  'NMSE = Σ(Δlogit)² / Σ(reference logit)², each row centred on its mean first',
  'near-tie: the reference top-2 margin ≤ 2 × noise, noise = the backend max |Δlogit| capped at the --max-abs-logit-diff limit',
  'first flagged step: the earliest step where one position alone exceeds the --max-mean-kld or --max-abs-logit-diff limit',
];

/** Under --text the first two definitions say what was scored instead. */
const TEXT_DEFINITIONS: readonly string[] = [
  "text scoring as llama.cpp's perplexity: each chunk of --ctx tokens is one forward pass from an empty cache; the logits of its second half (positions ⌊ctx/2⌋ … ctx − 2) are scored on the text's next token",
  'KLD = KL(reference ‖ backend) per position, nats, float64; Δp = p_backend − p_reference of the text token; PPL = exp(mean −log p of the text tokens)',
  ...DEFINITIONS.slice(2),
];

/** The compare report as one document: context, per-step plots with their gate limits, tables, notes. */
export function compareDocument(record: CompareRecord): ReportDocument {
  return { title: compareHeader(record), blocks: compareBlocks(record) };
}

export function compareHeader(record: CompareRecord): string {
  if (record.backends.every((a) => a.gates.length === 0))
    return 'decode-harness compare — no gates given (a quality report)';
  return `decode-harness compare — ${record.passed ? 'all gates passed' : 'FAILED'}`;
}

/** The whole report, top to bottom. */
function compareBlocks(record: CompareRecord): ReportBlock[] {
  const ids = record.backends.map((a) => a.backend.id);
  const blocks: ReportBlock[] = [
    { kind: 'lines', lines: contextLines(record) },
    ...stepPlots(record).map((plot): ReportBlock => ({ kind: 'plot', plot })),
  ];
  for (const section of METRIC_SECTIONS) {
    blocks.push(
      { kind: 'heading', text: (record.text && section.textTitle) || section.title },
      {
        kind: 'table',
        header: [`vs ${record.reference.id}`, ...ids],
        rows: section.fields.map((f) => [f.label, ...record.backends.map((a) => f.value(a))]),
      },
    );
  }
  if (record.split) blocks.push(...splitBlocks(record.split));
  const divergent = record.backends.filter((a) => (a.greedy?.divergences.length ?? 0) > 0);
  if (divergent.length > 0) blocks.push({ kind: 'heading', text: 'Where greedy continuations part' });
  for (const agreement of divergent) blocks.push(...divergenceBlocks(agreement));
  blocks.push(
    { kind: 'heading', text: 'Notes' },
    {
      kind: 'lines',
      lines: [
        ...(record.text ? TEXT_DEFINITIONS : DEFINITIONS),
        ...limitLines(record),
        ...verdictLines(record),
      ],
    },
  );
  return blocks;
}

/** The quantization split table: what the variant graph costs, and what the backend adds to it. */
function splitBlocks(split: NonNullable<CompareRecord['split']>): ReportBlock[] {
  return [
    { kind: 'heading', text: 'Quantization split (onnx:f64 on each variant)' },
    {
      kind: 'table',
      header: [
        'backend',
        'variant',
        'Mean KLD: quantization',
        'Mean KLD: arithmetic',
        'max |Δlogit| vs variant in f64',
      ],
      rows: split.map((s) => [
        s.backend,
        s.variant,
        sci(s.quantizationKld),
        sci(s.arithmeticKld),
        sci(s.arithmeticMaxAbsLogitDiff),
      ]),
    },
    {
      kind: 'lines',
      lines: [
        'quantization = KL(reference ‖ the variant graph in float64): what the graph itself computes differently',
        'arithmetic = KL(variant graph in float64 ‖ backend on it), same positions: what the provider adds',
      ],
    },
  ];
}

function contextLines(record: CompareRecord): string[] {
  const m = record.machine;
  const positions = record.backends[0]?.summary.positions ?? 0;
  return [
    `model ${record.model.name} (${record.model.path}); graph ${describeGraph(record.model.graph)}`,
    ...(record.model.variants ?? []).map((g) => `variant ${g.dtype ?? 'custom'}: ${describeGraph(g)}`),
    `reference ${describe(record.reference)}${record.model.variants ? ` on ${record.model.graph.file}` : ''}`,
    `  why this reference: ${record.referenceChoice}`,
    ...record.backends.map((a) => `backend ${describe(a.backend)}`),
    ...(record.notRun ?? []).map((n) => `not run: ${n.id}: ${n.reason}`),
    record.text
      ? `text ${record.text.file}: ${record.text.tokens} tokens; ${record.text.chunks} chunk(s) of ${record.text.ctx}, positions ${record.text.firstScored}…${record.text.ctx - 2} of each scored: ${positions} positions per backend`
      : `${record.prompts.length} prompts, up to ${record.maxNewTokens} greedy tokens each: ${positions} teacher-forced positions per backend`,
    `machine: ${m.cpuModel}, ${m.logicalCores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, commit ${m.gitCommit ?? 'n/a'}; ${record.createdAt}`,
  ];
}

function describe(info: CompareRecord['reference']): string {
  return `${info.id}: ${info.dtype}, ${info.executionProvider}, ${info.device}, ${info.threads} thread(s)`;
}

function divergenceBlocks(agreement: BackendAgreement): ReportBlock[] {
  const id = agreement.backend.id;
  const first = earliestDivergence(agreement)!;
  const others = (agreement.greedy?.divergences ?? []).filter((d) => d !== first);
  const lines = [`${id}: ${divergenceLine(first)}`];
  if (others.length > 0) {
    lines.push(
      `${id} also parts at: ${others.map((d) => `prompt ${d.prompt} step ${d.step} (${d.label}, margin ${sci(d.referenceMargin)})`).join('; ')}`,
    );
  }
  const rows = first.referenceTop.map((r, i) => {
    const b = first.backendTop[i];
    return [
      String(i + 1),
      String(r.id),
      JSON.stringify(r.token),
      r.logprob.toFixed(6),
      b === undefined ? '' : String(b.id),
      b === undefined ? '' : JSON.stringify(b.token),
      b === undefined ? '' : b.logprob.toFixed(6),
    ];
  });
  return [
    { kind: 'lines', lines },
    {
      kind: 'table',
      header: ['rank', 'ref id', 'ref token', 'ref logprob', `${id} id`, 'token', 'logprob'],
      rows,
    },
  ];
}

function divergenceLine(d: Divergence): string {
  const relation = d.label === 'near-tie' ? '≤' : '>';
  return (
    `prompt ${d.prompt} step ${d.step}: reference chose ${d.referenceToken.id} ${JSON.stringify(d.referenceToken.token)}, ` +
    `backend chose ${d.backendToken.id} ${JSON.stringify(d.backendToken.token)}; reference top-2 margin ` +
    `${sci(d.referenceMargin)} nats ${relation} near-tie threshold ${sci(d.nearTieThreshold)} → ${d.label}`
  );
}

/**
 * One dashed line per distinct limit of `gate` among the backends, labelled with the flag; with
 * more than one, each names the backends it holds for.
 */
export function gateLimitLines(
  agreements: readonly BackendAgreement[],
  gate: 'max-mean-kld' | 'max-abs-logit-diff',
): PlotLimit[] {
  const byValue = new Map<number, string[]>();
  for (const a of agreements) {
    const g = a.gates.find((r) => r.gate === gate);
    if (g) byValue.set(g.limit, [...(byValue.get(g.limit) ?? []), a.backend.id]);
  }
  return [...byValue].map(([value, ids]) => ({
    label: `--${gate} ${sci(value)}${byValue.size > 1 ? ` (${ids.join(', ')})` : ''}`,
    value,
  }));
}

/** The gate limits in force and where they came from, one line per distinct set of limits. */
function limitLines(record: CompareRecord): string[] {
  const groups = new Map<string, string[]>();
  for (const a of record.backends) {
    const limits = a.gates.map((g) => `--${g.gate} ${g.limit} (${g.limitSource})`).join(', ');
    if (limits === '') continue;
    groups.set(limits, [...(groups.get(limits) ?? []), a.backend.id]);
  }
  return [...groups].map(([limits, ids]) => `gate limits for ${ids.join(', ')}: ${limits}`);
}

function verdictLines(record: CompareRecord): string[] {
  const failures = record.backends.flatMap((a) =>
    a.gates.filter((g) => !g.passed).map((g) => gateFailureLine(a.backend.id, g)),
  );
  const flagged = record.backends
    .filter((a) => a.firstFlagged !== null)
    .map((a) => {
      const f = a.firstFlagged!;
      return `${a.backend.id} first shows it at step ${f.step} (prompt ${f.prompt}, position ${f.position}): ${f.exceeded.join(', ')}`;
    });
  if (record.backends.every((a) => a.gates.length === 0)) {
    return [
      'no gates: with --dtypes only gates given on the command line count (a quantized graph exceeds float-noise limits by design)',
      ...flagged,
    ];
  }
  return failures.length === 0 ? ['all gates passed'] : [...failures, ...flagged];
}

/**
 * Per-step charts over every backend: mean KLD and max |Δlogit| across prompts, each with its gate
 * limit drawn (one line per distinct limit), so the headroom is visible. The gates hold the whole
 * run's summary to the limit; a single step above it is where "first flagged step" points.
 */
function stepPlots(record: CompareRecord): Plot[] {
  const steps = [...new Set(record.backends.flatMap((a) => a.steps.map((s) => s.step)))].sort(
    (a, b) => a - b,
  );
  // A log axis cannot draw 0 (identical logits): those points are left out, not faked.
  const series = (pick: (p: BackendAgreement['steps'][number]) => number) =>
    record.backends.map((a) => ({
      label: a.backend.id,
      style: 'line' as const,
      values: steps.map((step) => {
        const point = a.steps.find((s) => s.step === step);
        const y = point === undefined ? 0 : pick(point);
        return y > 0 ? y : null;
      }),
    }));
  const limits = (gate: 'max-mean-kld' | 'max-abs-logit-diff') => gateLimitLines(record.backends, gate);
  const xLabel = 'teacher-forced step (0 = prefill)';
  return [
    {
      id: 'plot-kld',
      title: 'Mean KLD over prompts, per step (log scale)',
      xLabel,
      yLabel: 'mean KLD (nats)',
      yScale: 'log',
      x: steps,
      series: series((p) => p.meanKld),
      limits: limits('max-mean-kld'),
    },
    {
      id: 'plot-logit',
      title: 'max |Δlogit| over prompts, per step (log scale)',
      xLabel,
      yLabel: 'max |Δlogit| (logit units)',
      yScale: 'log',
      x: steps,
      series: series((p) => p.maxAbsLogitDiff),
      limits: limits('max-abs-logit-diff'),
    },
  ];
}
