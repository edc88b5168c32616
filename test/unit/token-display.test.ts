import { beforeAll, describe, expect, it } from 'vitest';
import { colorWanted } from '../../harness/app/cli/color.ts';
import { displayWidth } from '../../harness/app/report/display-width.ts';
import { renderText } from '../../harness/app/report/render-text.ts';
import { tokenDocumentLines } from '../../harness/app/report/token-document.ts';
import { bytesText, documentText, tokenLabel } from '../../harness/app/report/token-text.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

describe('display width: the terminal columns a text takes', () => {
  it.each([
    ['abc', 3],
    ['', 0],
    ['日本', 4],
    ['ｶﾀ', 2], // halfwidth katakana: narrow
    ['ＡＢ', 4], // fullwidth Latin: wide
    ['e\u0301', 1], // e + combining acute
    ['🙂', 2],
    ['🇫🇷', 2], // a flag: two regional indicators, one picture
    ['👍🏽', 2], // with a skin-tone modifier
    ['한국어', 6],
  ])('%j is %i columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('token text', () => {
  it('spells bytes that are no whole UTF-8 character as <0xXX>, keeps whole characters', () => {
    expect(bytesText(Uint8Array.of(0xe2, 0x80))).toBe('<0xE2><0x80>');
    expect(bytesText(Uint8Array.of(0x20, 0xe6))).toBe(' <0xE6>');
    expect(bytesText(new TextEncoder().encode('a—b'))).toBe('a—b');
    expect(bytesText(Uint8Array.of(0x94, 0x41))).toBe('<0x94>A'); // a lone continuation byte
    expect(bytesText(Uint8Array.of(0xc0, 0x80))).toBe('<0xC0><0x80>'); // overlong NUL
    expect(bytesText(Uint8Array.of(0xed, 0xa0, 0x80))).toBe('<0xED><0xA0><0x80>'); // a surrogate
  });

  it('makes whitespace and controls visible inside the bracketed document', () => {
    expect(documentText(' a b\n\t\r')).toBe('␣a␣b\\n\\t\\r');
    expect(documentText('\u0007')).toBe('\\u0007');
  });

  const pairs = (text: string) => text.split(' ').map((pair) => pair.split('='));
  it.each([
    ['464=The 2068=␠quick 198=\n', '', ['[The][␣quick][\\n]', '464  2068    198']],
    ['10545=a 7=日本 8=b', '  ', ['  [a]   [日本][b]', '  10545 7     8']],
  ])(
    '%j: each id under its token, a token narrower than its id padded, by display width',
    (text, indent, lines) => {
      const tokens = pairs(text).map(([id, label]) => ({ id: Number(id), label: label!.replace('␠', ' ') }));
      expect(tokenDocumentLines(tokens, 80, indent)).toEqual(lines);
    },
  );

  it('breaks long documents between tokens, each document line followed by its ids', () => {
    const tokens = [1, 2, 3, 4].map((id) => ({ id, label: 'word' }));
    expect(tokenDocumentLines(tokens, 14)).toEqual(['[word][word]', '1     2', '[word][word]', '3     4']);
  });
});

describe('tokens that hold part of a character (the GPT-2 tokenizer)', () => {
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(await loadModelDir('tiny-gpt2'));
  });

  it.each(['日本語', 'emoji 🙂👍🏽', 'a—b', 'plain text'])(
    '%j: the tokens’ bytes are the text’s UTF-8',
    (text) => {
      const ids = tokenizer.encode(text);
      const bytes = ids.flatMap((id) => [
        ...(tokenizer.partialBytes(id) ?? new TextEncoder().encode(tokenizer.tokenText(id))),
      ]);
      expect(bytes).toEqual([...new TextEncoder().encode(text)]);
      for (const id of ids) expect(tokenLabel(tokenizer, id)).not.toContain('\uFFFD');
    },
  );

  it('labels a partial token by its bytes and a whole one by its text', () => {
    const [first] = tokenizer.encode('日本語');
    expect(tokenizer.tokenText(first!)).toContain('\uFFFD');
    expect(tokenLabel(tokenizer, first!)).toMatch(/^(<0x[0-9A-F]{2}>)+$/);
    const [whole] = tokenizer.encode(' quick');
    expect(tokenizer.partialBytes(whole!)).toBeNull();
    expect(tokenLabel(tokenizer, whole!)).toBe(' quick');
  });
});

describe('colour', () => {
  it('only on a TTY, and never with NO_COLOR set to a non-empty value', () => {
    expect(colorWanted({ isTTY: true }, {})).toBe(true);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ isTTY: false }, {})).toBe(false);
    expect(colorWanted({}, {})).toBe(false);
  });

  it('colours highlighted rows only when asked to', () => {
    const doc = {
      title: 't',
      blocks: [{ kind: 'table', header: ['a'], rows: [['x'], ['y']], highlight: [1] } as const],
    };
    expect(renderText(doc)).toBe('t\n\na\nx\ny\n');
    expect(renderText(doc, { color: true })).toBe('\x1b[1mt\x1b[22m\n\na\nx\n\x1b[1;36my\x1b[0m\n');
  });
});
