import { formatTable } from '../cli/table.ts';
import type { CompareRecord } from '../compare/compare-record.ts';
import { compareBlocks, compareHeader } from './compare-blocks.ts';

/** The terminal report: llama.cpp-style "====== … ======" section rules over aligned tables. */
export function renderCompareText(record: CompareRecord): string {
  const out = [compareHeader(record), ''];
  for (const block of compareBlocks(record)) {
    if (block.kind === 'heading') out.push(`====== ${block.text} ======`);
    else if (block.kind === 'lines') out.push(...block.lines, '');
    else out.push(formatTable(block.header, block.rows), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

const mdCell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderCompareMarkdown(record: CompareRecord): string {
  const out = [`# ${compareHeader(record)}`, ''];
  for (const block of compareBlocks(record)) {
    if (block.kind === 'heading') out.push(`## ${block.text}`, '');
    else if (block.kind === 'lines') out.push(...block.lines.map((l) => `- ${mdCell(l)}`), '');
    else {
      out.push(
        `| ${block.header.map(mdCell).join(' | ')} |`,
        `|${block.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
        ...block.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
        '',
      );
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
