/** Marks, format characters and variation selectors take no column of their own. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
/** Emoji drawn as pictures by default take two columns. */
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}$/u;

/**
 * East Asian Wide and Fullwidth blocks (UAX #11): Hangul Jamo, CJK radicals to the end of CJK
 * symbols, kana to CJK compatibility, CJK ideographs and their extensions, Yi, Hangul syllables,
 * compatibility ideographs, vertical and small forms, fullwidth forms, planes 2 and 3.
 */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x20000, 0x3fffd],
];

function codePointWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0;
  if (EMOJI_PRESENTATION.test(char)) return 2;
  const cp = char.codePointAt(0)!;
  return WIDE_RANGES.some(([low, high]) => cp >= low && cp <= high) ? 2 : 1;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Terminal columns `text` takes: per user-perceived character (grapheme cluster), 2 for East Asian
 * wide characters and emoji, 0 for a lone mark, else 1; a cluster (a flag, a skin tone, a letter
 * with accents) is as wide as its widest code point.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    let widest = 0;
    for (const char of segment) widest = Math.max(widest, codePointWidth(char));
    width += widest;
  }
  return width;
}

/** `text` padded with spaces to `width` columns, on the right (or on the left). */
export function padToWidth(text: string, width: number, side: 'end' | 'start' = 'end'): string {
  const pad = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return side === 'end' ? text + pad : pad + text;
}
