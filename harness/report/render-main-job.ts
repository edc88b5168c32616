import { formatTable } from '../cli/table.ts';
import type { MainJobRecord } from '../main-job/main-job-record.ts';
import { SUMMARY_HEADER, summaryNotes, summaryRow } from './main-job-summary.ts';

export function renderMainJobText(record: MainJobRecord): string {
  const rows = record.backends.map(summaryRow);
  return [
    formatTable(SUMMARY_HEADER, rows),
    '',
    ...summaryNotes(record),
    '',
    record.passed ? 'all backends that ran passed' : 'FAILED: see the notes above',
  ].join('\n');
}

const mdCell = (s: string) => s.replaceAll('|', '\\|');

export function renderMainJobMarkdown(record: MainJobRecord): string {
  const rows = record.backends.map(summaryRow);
  return [
    `# decode-harness main job — ${record.passed ? 'passed' : 'FAILED'}`,
    '',
    `_${record.createdAt}_`,
    '',
    `| ${SUMMARY_HEADER.map(mdCell).join(' | ')} |`,
    `|${SUMMARY_HEADER.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
    '',
    ...summaryNotes(record).map((n) => `- ${n}`),
    '',
  ].join('\n');
}

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Self-contained page: no scripts, no network. */
export function renderMainJobHtml(record: MainJobRecord): string {
  const rows = record.backends.map(summaryRow);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>decode-harness main job</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.FAIL,.ERROR{color:#b00;font-weight:bold}.pass{color:#070}</style>
</head><body>
<h1>decode-harness main job — ${record.passed ? 'passed' : 'FAILED'}</h1>
<p>${esc(record.createdAt)}</p>
<table><tr>${SUMMARY_HEADER.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${rows.map((r) => `<tr>${r.map((c, i) => `<td${i === 1 ? ` class="${esc(c)}"` : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</table>
<ul>${summaryNotes(record)
    .map((n) => `<li>${esc(n)}</li>`)
    .join('')}</ul>
</body></html>
`;
}
