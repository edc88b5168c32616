import { cellText, isNumericColumn } from './cells.ts';
import type { ReportDocument } from './document.ts';
import { escapeMarkdown } from './escape.ts';
import { heatmapMarkdown } from './render-heatmap.ts';

/** The Markdown rendering: `#` title, `##` sections, pipe tables with their footnotes as a list. */
export function renderMarkdown(doc: ReportDocument): string {
  const out = [`# ${escapeMarkdown(doc.title)}`, ''];
  for (const block of doc.blocks) {
    if (block.kind === 'heading') out.push(`## ${escapeMarkdown(block.text)}`, '');
    else if (block.kind === 'lines') out.push(...block.lines.map((l) => `- ${escapeMarkdown(l)}`), '');
    else if (block.kind === 'plot')
      out.push(`_Plot in the HTML report: ${escapeMarkdown(block.plot.title)}._`, '');
    else if (block.kind === 'heatmap') out.push(...heatmapMarkdown(block));
    else {
      const numeric = block.header.map((_, c) =>
        block.align ? block.align[c] === 'right' : c > 0 && isNumericColumn(block.rows, c),
      );
      out.push(
        `| ${block.header.map(escapeMarkdown).join(' | ')} |`,
        `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
        ...block.rows.map((r) => `| ${r.map((c) => escapeMarkdown(cellText(c))).join(' | ')} |`),
        '',
      );
      const notes = block.footnotes ?? [];
      if (notes.length > 0) out.push(...notes.map((n, i) => `${i + 1}. ${escapeMarkdown(n)}`), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
