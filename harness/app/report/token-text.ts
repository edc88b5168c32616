import type { Tokenizer } from '../../engine/model/tokenizer.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Bytes as text: each whole UTF-8 character as itself, every other byte as `<0xE2>`. */
export function bytesText(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes[i]!);
    if (n > 0 && i + n <= bytes.length) {
      try {
        text += strictUtf8.decode(bytes.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        // not a character after all (overlong, surrogate, bad continuation): spell the lead byte
      }
    }
    text += `<0x${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}>`;
    i++;
  }
  return text;
}

/** A token as people read it: its exact text, or its bytes where it holds part of a character. */
export function tokenLabel(tokenizer: Pick<Tokenizer, 'tokenText' | 'partialBytes'>, id: number): string {
  const bytes = tokenizer.partialBytes(id);
  return bytes === null ? tokenizer.tokenText(id) : bytesText(bytes);
}

/** A visible space, so a token's leading or trailing spaces can be counted inside its brackets. */
export const VISIBLE_SPACE = '␣';

/** A token's text inside the bracketed document: `\n`, `\t`, `\r` and other controls escaped, spaces visible. */
export function documentText(label: string): string {
  return label.replace(/[\p{Cc} ]/gu, (c) => {
    if (c === ' ') return VISIBLE_SPACE;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A token's text in a table cell: quoted, with JSON's escapes (spaces show against the quotes). */
export const quotedToken = (label: string): string => JSON.stringify(label);
