import type { CaseOutcome, CheckReport } from '../../engine/golden/check-result.ts';

/** What XML 1.0 cannot carry at all: C0 controls but tab, LF and CR; U+FFFE, U+FFFF; lone surrogates. */
const NOT_IN_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the characters XML forbids is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** XML text and attribute escaping; characters XML cannot carry become U+FFFD rather than breaking the file. */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_IN_XML, '\ufffd')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(model: string, outcome: CaseOutcome): string {
  const open = `    <testcase classname="golden.${escapeXml(model)}.${escapeXml(outcome.backend)}" name="${escapeXml(outcome.case)}" file="${escapeXml(outcome.file)}" time="${seconds(outcome.ms)}"`;
  const notes: string[] = [];
  if (outcome.mismatch?.label) {
    const m = outcome.mismatch;
    notes.push(
      `${m.label} at sequence ${m.at.sequence} step ${m.at.step}: margin ${m.margin} ≤ tolerance ${m.tolerance} (${m.marginAt})`,
    );
  }
  notes.push(
    `max teacher-forced |Δlogprob| ${outcome.maxLogprobDeviation} (tolerance ${outcome.logprobTolerance})`,
  );
  const out = `      <system-out>${escapeXml(notes.join('\n'))}</system-out>\n`;
  if (outcome.passed) return `${open}>\n${out}    </testcase>`;
  const message = outcome.failures[0] ?? 'failed';
  return `${open}>\n      <failure message="${escapeXml(message)}" type="golden-mismatch">${escapeXml(outcome.failures.join('\n'))}</failure>\n${out}    </testcase>`;
}

/** JUnit XML for CI: one testsuite per backend, one testcase per golden case, failures with the message. */
export function renderJunit(report: CheckReport): string {
  const all = report.backends.flatMap((b) => b.cases);
  const failed = (cases: readonly CaseOutcome[]) => cases.filter((c) => !c.passed).length;
  const totalMs = report.backends.reduce((sum, b) => sum + b.ms, 0);
  const suites = report.backends.map(
    (b) =>
      `  <testsuite name="${escapeXml(`golden ${report.model.name} ${b.backend.id}`)}" tests="${b.cases.length}" failures="${failed(b.cases)}" errors="0" skipped="0" time="${seconds(b.ms)}">\n` +
      b.cases.map((c) => testcase(report.model.name, c)).join('\n') +
      '\n  </testsuite>',
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="decode-harness check" tests="${all.length}" failures="${failed(all)}" errors="0" time="${seconds(totalMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
