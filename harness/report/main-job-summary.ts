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
  'prefill ms',
  'decode tok/s',
] as const;

export function summaryRow(outcome: BackendOutcome): string[] {
  if (outcome.status === 'unavailable') {
    return [outcome.id, 'unavailable', '', '', outcome.reason, '', '', ''];
  }
  if (outcome.status === 'error') return [outcome.id, 'ERROR', '', '', outcome.error, '', '', ''];
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
    outcome.timing.prefillMs.toFixed(1),
    outcome.timing.decodeTokensPerSec.toFixed(1),
  ];
}

/** Lines under the table: machine, model, and the detail of every failed check. */
export function summaryNotes(record: MainJobRecord): string[] {
  const m = record.machine;
  const notes = [
    `model ${record.model.name} (${record.model.path}); reference ${record.referenceId}`,
    `machine: ${m.cpuModel}, ${m.logicalCores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, commit ${m.gitCommit ?? 'n/a'}`,
    'decode tok/s: one 32-token greedy run after a warm-up (a smoke figure; `decode-harness bench` measures properly)',
  ];
  for (const outcome of record.backends) {
    if (outcome.status !== 'ran') continue;
    for (const check of outcome.conformance.checks) {
      if (!check.passed) notes.push(`${outcome.id} ${check.name}: ${check.detail}`);
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
