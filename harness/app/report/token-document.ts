import { displayWidth, padToWidth } from './display-width.ts';
import { documentText } from './token-text.ts';

export interface DocumentToken {
  readonly id: number;
  /** The token as people read it (token-text.ts tokenLabel). */
  readonly label: string;
}

/**
 * The exact token document with boundaries marked (`[The][␣quick]`) and under it each token's id,
 * starting in the token's first column; a token narrower than its id is padded after its bracket.
 * Widths are display widths (a CJK character takes two columns). Lines are broken between tokens
 * so a pair stays within `columns`; every pair is a document line then its id line.
 */
export function tokenDocumentLines(tokens: readonly DocumentToken[], columns: number, indent = ''): string[] {
  const lines: string[] = [];
  let text = '';
  let ids = '';
  let used = 0; // columns of the current pair
  for (const { id, label } of tokens) {
    const cell = `[${documentText(label)}]`;
    const width = Math.max(displayWidth(cell), String(id).length + 1);
    if (used > 0 && used + width > columns - indent.length) {
      lines.push(`${indent}${text.trimEnd()}`, `${indent}${ids.trimEnd()}`);
      text = '';
      ids = '';
      used = 0;
    }
    text += padToWidth(cell, width);
    ids += String(id).padEnd(width);
    used += width;
  }
  if (tokens.length > 0) lines.push(`${indent}${text.trimEnd()}`, `${indent}${ids.trimEnd()}`);
  return lines;
}
