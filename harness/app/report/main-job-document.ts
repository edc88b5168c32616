import type { ConformanceResult } from '../../engine/conformance/run-conformance.ts';
import type { GoldenSummary } from '../../engine/golden/model-goldens.ts';
import {
  type BackendOutcome,
  backendPassed,
  type GreedyAgreement,
  type MainJobRecord,
  type QuickTiming,
} from '../main-job/main-job-record.ts';
import { gateLimitLines } from './compare-blocks.ts';
import { sci } from './compare-fields.ts';
import { describeGraph } from './describe-graph.ts';
import { footnoteRef, type Plot, type ReportBlock, type ReportDocument } from './document.ts';

/** Golden failures listed per backend in the notes; the rest are in `decode-harness check`. */
const GOLDEN_NOTES_PER_BACKEND = 3;

const HEADER = [
  'backend',
  'result',
  'device',
  'dtype',
  '|Δlogit| / tol',
  'conform',
  'greedy',
  'goldens',
  'decode t/s',
];

type Ran = Extract<BackendOutcome, { status: 'ran' }>;

/** The main job's report: the verdict with its counts, one row per backend, notes, plots. */
export function mainJobDocument(record: MainJobRecord): ReportDocument {
  const footnotes: string[] = [];
  const note = (text: string) => {
    const index = footnotes.indexOf(text);
    if (index >= 0) return footnoteRef(index + 1);
    footnotes.push(text);
    return footnoteRef(footnotes.length);
  };
  const rows = record.backends.map((outcome) => backendRow(outcome, note));
  const ran = record.backends.filter((b): b is Ran => b.status === 'ran');
  const blocks: ReportBlock[] = [
    { kind: 'lines', lines: contextLines(record) },
    { kind: 'table', header: HEADER, rows, footnotes },
  ];
  if (ran.length > 0)
    blocks.push({ kind: 'heading', text: 'What ran' }, { kind: 'lines', lines: ran.map(ranLine) });
  const notes = noteLines(record);
  if (notes.length > 0) blocks.push({ kind: 'heading', text: 'Notes' }, { kind: 'lines', lines: notes });
  for (const plot of plots(ran)) blocks.push({ kind: 'plot', plot });
  return { title: mainJobTitle(record), blocks };
}

/** "passed: 6 of 6 backends that ran; 2 unavailable (1 required); 97 s": never a bare "passed". */
export function mainJobTitle(record: MainJobRecord): string {
  const c = record.counts;
  const verdict = record.passed ? 'passed' : 'FAILED';
  const ran =
    c.failed === 0
      ? `${c.passed} of ${c.ran} backends that ran`
      : `${c.failed} of ${c.ran} backends that ran failed`;
  const requiredUnavailable = record.backends.filter((b) => b.status === 'unavailable' && b.required).length;
  const unavailable =
    c.unavailable > 0 ? `; ${c.unavailable} unavailable (${requiredUnavailable} required)` : '';
  return `decode-harness main job on ${record.model.name} — ${verdict}: ${ran}${unavailable}; ${(record.wallMs / 1000).toFixed(0)} s`;
}

function backendRow(outcome: BackendOutcome, note: (text: string) => string): string[] {
  const id = outcome.required ? `${outcome.id} (req)` : outcome.id;
  if (outcome.status === 'unavailable') {
    return [
      id,
      `unavailable ${note(`${outcome.id} unavailable: ${outcome.reason}. Fix: ${outcome.fix}`)}`,
      '',
      '',
      '',
      '',
      '',
      '',
      '',
    ];
  }
  if (outcome.status === 'error')
    return [id, `ERROR ${note(`${outcome.id} error in ${outcome.error}`)}`, '', '', '', '', '', '', ''];
  return [
    id,
    backendPassed(outcome) ? 'pass' : 'FAIL',
    outcome.info.deviceKind === 'software-gpu' ? 'software' : outcome.info.deviceKind,
    outcome.info.dtype,
    logitCell(outcome.conformance),
    `${outcome.conformance.checks.filter((c) => c.passed).length}/${outcome.conformance.checks.length}`,
    greedyCell(outcome.greedy),
    goldensCell(outcome.goldens, note),
    timingCell(outcome.timing, note),
  ];
}

/** The measured max |Δlogit| against the reference beside the tolerance it is held to. */
function logitCell(conformance: ConformanceResult): string {
  const check = conformance.checks.find((c) => c.name === 'logits-vs-reference');
  if (!check) return 'n/a';
  const relation = check.maxAbsLogitDiff <= check.tolerance ? '≤' : '>';
  return `${check.maxAbsLogitDiff.toExponential(1)} ${relation} ${check.tolerance.toExponential(1)}`;
}

/** Identical continuations of all prompts; a near-tie flip (explained by float noise) counted apart. */
function greedyCell(greedy: GreedyAgreement | null): string {
  if (greedy === null) return 'reference';
  const { prompts, identical, divergences } = greedy.comparison.greedy;
  const ties = divergences.filter((d) => d.label === 'near-tie').length;
  return ties > 0 ? `${identical}/${prompts} +${ties} tie` : `${identical}/${prompts}`;
}

function goldensCell(goldens: GoldenSummary, note: (text: string) => string): string {
  if (goldens.status === 'none') return 'none';
  if (goldens.status === 'unusable') return `UNUSABLE ${note(goldens.reason)}`;
  const cell = `${goldens.passed}/${goldens.cases}`;
  if (goldens.skippedReason === null) return cell;
  const skipped = `${goldens.skippedReason}. Skipped: ${goldens.skipped.join(', ')}`;
  return `${cell} of ${goldens.cases + goldens.skipped.length} ${note(skipped)}`;
}

function timingCell(timing: QuickTiming, note: (text: string) => string): string {
  if (timing.status === 'measured') return timing.decodeTokensPerSec.toFixed(1);
  return `n/a ${note(`not meaningful: ${timing.reason}`)}`;
}

function contextLines(record: MainJobRecord): string[] {
  const m = record.machine;
  const { options } = record;
  return [
    `model ${record.model.name} (${record.model.path}); graph ${describeGraph(record.model.graph)}; reference ${record.referenceChoice}; ${record.createdAt}`,
    `machine: ${m.cpuModel}, ${m.logicalCores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, commit ${m.gitCommit ?? 'n/a'}`,
    `backends: ${options.backends.join(', ')}; required: ${options.required.join(', ') || 'none'}; ` +
      `goldens on software adapters: ${options.full ? 'all (--full)' : 'representative subset (--full runs all)'}`,
    `wall time ${(record.wallMs / 1000).toFixed(1)} s`,
  ];
}

/** Each backend as it ran: the full device, provider, threads, and its time in the job. */
function ranLine(outcome: Ran): string {
  const { info } = outcome;
  const kind = info.deviceKind === 'software-gpu' ? 'SOFTWARE GPU: ' : '';
  const timing =
    outcome.timing.status === 'measured'
      ? `; timing: prefill ${outcome.timing.prefillMs.toFixed(1)} ms for ${outcome.timing.promptTokens} tokens, ` +
        `${outcome.timing.decodeTokensPerSec.toFixed(1)} tokens/s over ${outcome.timing.newTokens} (one run after a warm-up; \`decode-harness bench\` measures properly)`
      : '';
  return (
    `${info.id}: ${kind}${info.device}; ${info.executionProvider}; ${info.dtype}; ${info.threads} thread(s); ` +
    `checks took ${(outcome.ms / 1000).toFixed(1)} s${timing}`
  );
}

/** The detail of everything that failed or flipped, and why goldens were skipped. */
function noteLines(record: MainJobRecord): string[] {
  const notes: string[] = [];
  // Every backend shares the model's goldens, so their absence (or staleness) is said once.
  const why = record.backends.flatMap((o) =>
    o.status === 'ran' && o.goldens.status !== 'checked' ? [o.goldens.reason] : [],
  );
  if (why[0] !== undefined) notes.push(`goldens: ${why[0]}`);
  for (const outcome of record.backends) {
    if (outcome.status !== 'ran') continue;
    for (const check of outcome.conformance.checks) {
      if (!check.passed) notes.push(`${outcome.id} ${check.name}: ${check.detail}`);
    }
    const { goldens, greedy } = outcome;
    if (goldens.status === 'checked') {
      for (const failure of goldens.failures.slice(0, GOLDEN_NOTES_PER_BACKEND))
        notes.push(`${outcome.id} golden ${failure}`);
      const more = goldens.failures.length - GOLDEN_NOTES_PER_BACKEND;
      if (more > 0)
        notes.push(
          `${outcome.id}: ${more} more golden failures (\`decode-harness check --backends ${outcome.id}\`)`,
        );
    }
    if (greedy === null) continue;
    for (const d of greedy.comparison.greedy.divergences) {
      notes.push(
        `${outcome.id} greedy: prompt ${d.prompt} parts at new token ${d.step} (reference ${d.referenceToken.id}, ` +
          `ours ${d.backendToken.id}; reference top-2 margin ${sci(d.referenceMargin)} nats vs near-tie threshold ` +
          `${sci(d.nearTieThreshold)}): ${d.label}`,
      );
    }
    for (const gate of greedy.comparison.gates.filter((g) => !g.passed)) {
      notes.push(
        `${outcome.id} greedy agreement gate ${gate.gate}: ${gate.metric} ${sci(gate.measured)} vs limit ${sci(gate.limit)}`,
      );
    }
  }
  return notes;
}

/**
 * Per backend the max |Δlogit| against its tolerance, and the teacher-forced mean KLD per step as
 * compare draws it, with its gate limit.
 */
function plots(ran: readonly Ran[]): Plot[] {
  if (ran.length === 0) return [];
  const positive = (x: number) => (x > 0 ? x : null);
  const checks = ran.map((o) => o.conformance.checks.find((c) => c.name === 'logits-vs-reference'));
  const logit: Plot = {
    id: 'plot-logit-vs-tolerance',
    title: 'Conformance: max |Δlogit| against the reference, beside its tolerance (log scale)',
    xLabel: 'backend',
    yLabel: 'max |Δlogit| (logit units)',
    yScale: 'log',
    x: ran.map((_, i) => i),
    xNames: ran.map((o) => o.id),
    series: [
      {
        label: 'measured',
        style: 'points',
        values: checks.map((c) => (c ? positive(c.maxAbsLogitDiff) : null)),
      },
      { label: 'tolerance', style: 'marks', values: checks.map((c) => c?.tolerance ?? null) },
    ],
    limits: [],
  };
  const compared = ran.filter((o): o is Ran & { greedy: GreedyAgreement } => o.greedy !== null);
  if (compared.length === 0) return [logit];
  const steps = [...new Set(compared.flatMap((o) => o.greedy.comparison.steps.map((s) => s.step)))].sort(
    (a, b) => a - b,
  );
  const kld: Plot = {
    id: 'plot-kld-per-step',
    title: 'Greedy agreement: teacher-forced mean KLD over prompts, per step (log scale)',
    xLabel: 'teacher-forced step (0 = prefill)',
    yLabel: 'mean KLD (nats)',
    yScale: 'log',
    x: steps,
    series: compared.map((o) => ({
      label: o.id,
      style: 'line',
      values: steps.map((step) =>
        positive(o.greedy.comparison.steps.find((s) => s.step === step)?.meanKld ?? 0),
      ),
    })),
    limits: gateLimitLines(
      compared.map((o) => o.greedy.comparison),
      'max-mean-kld',
    ),
  };
  return [logit, kld];
}
