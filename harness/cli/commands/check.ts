import { allBackendFactories, resolveBackendIds } from '../../backend/registry.ts';
import type { BackendCheck, CaseOutcome, CheckReport } from '../../golden/check-result.ts';
import { defaultGoldenDir, readGoldenDir } from '../../golden/golden-dir.ts';
import { renderJunit } from '../../golden/junit.ts';
import { runCheck } from '../../golden/run-check.ts';
import { loadModelDir } from '../../model/load-model-dir.ts';
import { writeFileAtomic } from '../../report/atomic-write.ts';
import { checkOutputFile } from '../../report/output-paths.ts';
import { formatTable } from '../../report/render-text.ts';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.ts';

const HELP = `decode-harness check [--model DIR|NAME] [--backends ID,ID|all] [--golden DIR] [--junit FILE] [--json]
Runs every golden of --golden (default fixtures/golden/<model name>/) on each backend (default: all
available). A case passes when its tokens equal the golden's, or part at a decision the golden
recorded as within float noise (labelled near-tie or cdf-boundary), and the teacher-forced logprobs
along the golden path stay within the golden's tolerance for the backend's dtype.
--json prints one schema-tagged object (decode-harness/check@1); --junit FILE writes JUnit XML
(one testsuite per backend, one testcase per case).
Exit 0 all pass, 1 a mismatch, 2 bad usage or input (no goldens, goldens of another model).`;

const exp = (x: number | null) => (x === null ? '-' : x.toExponential(1));

function tableRow(c: CaseOutcome): string[] {
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

export function renderCheckText(report: CheckReport): string {
  const cases = report.backends.flatMap((b) => b.cases);
  const header = [
    'case',
    'backend',
    'result',
    'first mismatch',
    'label',
    'margin',
    'max |Δlogprob|',
    'tolerance',
  ];
  const lines = [formatTable(header, cases.map(tableRow)), ''];
  for (const c of cases)
    for (const failure of c.failures) lines.push(`FAIL ${c.case} on ${c.backend}: ${failure}`);
  lines.push(...report.backends.map(backendLine));
  lines.push(report.passed ? 'all goldens passed' : 'FAILED: see the lines above');
  return `${lines.join('\n')}\n`;
}

export async function runCheckCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('check', argv, {
    ...COMMON_OPTIONS,
    model: { type: 'string', default: 'tiny-gpt2' },
    backends: { type: 'string', default: 'all' },
    golden: { type: 'string' },
    junit: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.junit !== undefined) checkOutputFile('--junit', values.junit);
  const modelArg = values.model ?? 'tiny-gpt2';
  const model = await loadModelDir(modelArg);
  const goldenDir = values.golden ?? defaultGoldenDir(model.name);
  const goldens = readGoldenDir(goldenDir, modelArg);
  const backendList = values.backends ?? 'all';
  const backendIds = await resolveBackendIds(backendList);
  // `all` means every available backend; say which were left out and why, never silently.
  for (const factory of backendList === 'all' ? allBackendFactories() : []) {
    const availability = await factory.availability();
    if (!availability.available) process.stderr.write(`skipped ${factory.id}: ${availability.reason}\n`);
  }
  const report = await runCheck({
    model,
    modelArg,
    goldenDir,
    goldens,
    backendIds,
    onCase: (c) => process.stderr.write(`… ${c.backend} ${c.case}: ${c.passed ? 'pass' : 'FAIL'}\n`),
  });
  if (values.junit !== undefined) writeFileAtomic(values.junit, renderJunit(report));
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : renderCheckText(report));
  return report.passed ? 0 : 1;
}
