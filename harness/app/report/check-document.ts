import type { BackendCheck, CaseOutcome, CheckReport } from '../../engine/golden/check-result.ts';
import type { ReportDocument } from './document.ts';

const exp = (x: number | null) => (x === null ? '-' : x.toExponential(1));

function caseRow(c: CaseOutcome): string[] {
  const m = c.mismatch;
  const at = m ? `${m.at.sequence > 0 ? `s${m.at.sequence} ` : ''}${m.at.step}` : '-';
  return [
    c.case,
    c.backend,
    c.passed ? 'pass' : 'FAIL',
    at,
    m?.label ?? (m ? 'none' : ''),
    m ? exp(m.margin) : '',
    exp(c.maxLogprobDeviation),
    exp(c.logprobTolerance),
  ];
}

function backendLine(b: BackendCheck): string {
  const failed = b.cases.filter((c) => !c.passed).length;
  const labelled = b.cases.filter((c) => c.passed && c.mismatch).length;
  const worst = Math.max(0, ...b.cases.map((c) => c.maxLogprobDeviation));
  return (
    `${b.backend.id} (${b.backend.dtype}): ${b.cases.length - failed}/${b.cases.length} passed` +
    `${labelled ? `, ${labelled} with a labelled flip` : ''}; max teacher-forced |Δlogprob| ${exp(worst)}; ${(b.ms / 1000).toFixed(1)} s`
  );
}

/**
 * The `check` report as one document: the verdict with its counts first (what a CI job summary
 * shows), one line per backend, every failed rule, then one row per case and backend.
 */
export function checkDocument(report: CheckReport): ReportDocument {
  const cases = report.backends.flatMap((b) => b.cases);
  const failed = cases.filter((c) => !c.passed);
  const n = report.backends.length;
  const runs = `${cases.length} case runs on ${n} backend${n === 1 ? '' : 's'}`;
  const verdict = report.passed ? `all goldens passed: ${runs}` : `FAILED: ${failed.length} of ${runs}`;
  return {
    title: `decode-harness check: ${report.model.name} (${report.goldenDir})`,
    blocks: [
      { kind: 'lines', lines: [verdict, ...report.backends.map(backendLine)] },
      ...(failed.length > 0
        ? [
            { kind: 'heading' as const, text: 'Failures' },
            {
              kind: 'lines' as const,
              unwrapped: true,
              lines: failed.flatMap((c) => c.failures.map((f) => `FAIL ${c.case} on ${c.backend}: ${f}`)),
            },
          ]
        : []),
      { kind: 'heading', text: 'Cases' },
      {
        kind: 'table',
        header: [
          'case',
          'backend',
          'result',
          'first mismatch',
          'label',
          'margin',
          'max |Δlogprob|',
          'tolerance',
        ],
        rows: cases.map(caseRow),
      },
    ],
  };
}
