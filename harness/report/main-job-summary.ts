import type { GoldenSummary } from '../golden/model-goldens.ts';
import type { BackendOutcome, MainJobRecord } from '../main-job/main-job-record.ts';
import { backendPassed } from '../main-job/main-job-record.ts';

/** The summary table's columns: every renderer (terminal, Markdown, HTML) draws from this one list. */
export const SUMMARY_HEADER = [
  'backend',
  'result',
  'dtype',
  'max |Δlogit| vs ref',
  'conformance',
  'greedy = ref',
  'goldens',
  'prefill ms',
  'decode tok/s',
] as const;

export function summaryRow(outcome: BackendOutcome): string[] {
  if (outcome.status === 'unavailable') {
    return [outcome.id, 'unavailable', '', '', outcome.reason, '', '', '', ''];
  }
  if (outcome.status === 'error') return [outcome.id, 'ERROR', '', '', outcome.error, '', '', '', ''];
  const vsRef = outcome.conformance.checks.find((c) => c.name === 'logits-vs-reference');
  const passedChecks = outcome.conformance.checks.filter((c) => c.passed).length;
  const failed = outcome.conformance.checks.filter((c) => !c.passed).map((c) => c.name);
  return [
    outcome.id,
    backendPassed(outcome) ? 'pass' : 'FAIL',
    outcome.info.dtype,
    vsRef ? vsRef.maxAbsLogitDiff.toExponential(2) : 'n/a',
    `${passedChecks}/${outcome.conformance.checks.length}${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`,
    `${outcome.greedy.identical}/${outcome.greedy.prompts}`,
    goldensCell(outcome.goldens),
    outcome.timing.prefillMs.toFixed(1),
    outcome.timing.decodeTokensPerSec.toFixed(1),
  ];
}

function goldensCell(goldens: GoldenSummary): string {
  if (goldens.status === 'none') return 'none recorded';
  if (goldens.status === 'unusable') return 'UNUSABLE';
  const flips =
    goldens.labelled > 0 ? ` (${goldens.labelled} labelled flip${goldens.labelled === 1 ? '' : 's'})` : '';
  return `${goldens.passed}/${goldens.cases}${flips}`;
}

/** Golden failures listed per backend under the table; the rest are in `decode-harness check`. */
const GOLDEN_NOTES_PER_BACKEND = 3;

/** Lines under the table: machine, model, and the detail of every failed check. */
export function summaryNotes(record: MainJobRecord): string[] {
  const m = record.machine;
  const notes = [
    `model ${record.model.name} (${record.model.path}); reference ${record.referenceId}`,
    `machine: ${m.cpuModel}, ${m.logicalCores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, commit ${m.gitCommit ?? 'n/a'}`,
    'decode tok/s: one 32-token greedy run after a warm-up (a smoke figure; `decode-harness bench` measures properly)',
  ];
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
    const { goldens } = outcome;
    if (goldens.status === 'checked') {
      notes.push(
        `${outcome.id} goldens: ${goldens.passed}/${goldens.cases} in ${(goldens.ms / 1000).toFixed(1)} s, ` +
          `max teacher-forced |Δlogprob| ${goldens.maxLogprobDeviation.toExponential(2)}`,
      );
      for (const failure of goldens.failures.slice(0, GOLDEN_NOTES_PER_BACKEND))
        notes.push(`${outcome.id} golden ${failure}`);
      const more = goldens.failures.length - GOLDEN_NOTES_PER_BACKEND;
      if (more > 0)
        notes.push(
          `${outcome.id}: ${more} more golden failures (\`decode-harness check --backends ${outcome.id}\`)`,
        );
    }
    const mismatch = outcome.greedy.firstMismatch;
    if (mismatch) {
      notes.push(
        `${outcome.id} greedy: prompt ${mismatch.prompt} differs at new token ${mismatch.position} ` +
          `(ours ${mismatch.ours}, reference ${mismatch.reference}, reference top-2 margin ${mismatch.referenceMargin.toExponential(2)} nats)`,
      );
    }
  }
  return notes;
}
