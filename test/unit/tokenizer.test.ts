import { encode as gpt2ReferenceEncode } from 'gpt-3-encoder';
import { getEncoding } from 'js-tiktoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

/** Inputs where byte-level BPE implementations usually part ways. */
const SAMPLES = [
  'Hello world',
  'Once upon a time, there was a tiny model.',
  ' leading space',
  'trailing space ',
  'two  spaces and   three',
  '    indented with four spaces',
  'line one\nline two\n\nafter a blank line\n',
  'tab\tseparated\tvalues\t',
  ' \n \t mixed whitespace \r\n',
  'café naïve résumé Ångström über',
  '日本語のテキストと中文字符',
  'emoji 🙂👍🏽 and flags 🇫🇷',
  "don't can't I'm we've they'll she'd it's DON'T",
  '3.14159 1,000,000 2024-06-01 0x1F 1e-5',
  'def f(x):\n    return x ** 2  # square\n',
  'const a = [1, 2, 3].map((v) => v * 2);',
  '<div class="x">&amp;</div>',
  '!!!??? ... --- ___',
  'HTTP/1.1 200 OK',
];

const tiktoken = getEncoding('gpt2');
let tokenizer: Tokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer(await loadModelDir('tiny-gpt2'));
});

describe('GPT-2 tokenizer from the generated tokenizer.json', () => {
  it.each(SAMPLES)('encodes %j like the GPT-2 reference encoder and tiktoken', (text) => {
    const ids = tokenizer.encode(text);
    expect(ids).toEqual(gpt2ReferenceEncode(text));
    expect(ids).toEqual(tiktoken.encode(text));
  });

  it.each(SAMPLES)('decode(encode(%j)) gives the text back', (text) => {
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('recognises <|endoftext|> as token 50256, as tiktoken does with special tokens allowed', () => {
    const text = 'The end.<|endoftext|>A new start';
    const ids = tokenizer.encode(text);
    expect(ids).toEqual(tiktoken.encode(text, 'all'));
    expect(ids).toContain(50256);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('adds no special tokens', () => {
    expect(tokenizer.encode('Hello')).toEqual([15496]);
  });

  it('gives the text of single tokens', () => {
    expect(tokenizer.tokenText(995)).toBe(' world');
    expect(tokenizer.tokenText(50256)).toBe('<|endoftext|>');
    expect(tokenizer.tokenText(198)).toBe('\n');
  });
});
