import { num } from './cells.ts';
import type { ReportDocument } from './document.ts';
import { TERMINAL_COLUMNS } from './render-text.ts';
import { tokenDocumentLines } from './token-document.ts';
import { documentText } from './token-text.ts';

/** One token of the document: its id, how people read it, and the bytes of text it stands for. */
export interface TokenizedToken {
  readonly id: number;
  /** token-text.ts tokenLabel: its text, or `<0xE2><0x80>` for part of a character. */
  readonly label: string;
  readonly bytes: Uint8Array;
}

/** `E2 80`: bytes in hex. */
const hexBytes = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

export interface TokenizeContext {
  readonly modelName: string;
  /** The document's text (for --chat, as the template wrote it). */
  readonly text: string;
  /** `chat.json (2 messages, add_generation_prompt true)` when the document came from --chat. */
  readonly chat?: string;
}

/**
 * `tokenize`: the document with its token boundaries marked and each id under its token, then a
 * table of index, id, token (whitespace visible: `␣`, `\n`, `\t`) and the token's bytes in hex.
 */
export function tokenizeDocument(
  context: TokenizeContext,
  tokens: readonly TokenizedToken[],
): ReportDocument {
  const bytes = tokens.reduce((sum, t) => sum + t.bytes.length, 0);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return {
    title:
      `decode-harness tokenize: model ${context.modelName}, ${count(tokens.length, 'token')} ` +
      `from ${count([...context.text].length, 'character')} (${count(bytes, 'byte')})`,
    blocks: [
      {
        kind: 'lines',
        unwrapped: true,
        lines: [
          ...(context.chat
            ? [
                `from --chat ${context.chat}, through the model's chat template:`,
                `  ${JSON.stringify(context.text)}`,
              ]
            : []),
          `document: ${count(tokens.length, 'token')}, ids under them`,
          ...tokenDocumentLines(tokens, TERMINAL_COLUMNS, '  '),
        ],
      },
      {
        kind: 'table',
        header: ['index', 'id', 'token', 'bytes'],
        rows: tokens.map((t, i) => [num(i, 0), num(t.id, 0), documentText(t.label), hexBytes(t.bytes)]),
      },
    ],
  };
}
