import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { DEFAULT_COMPARE_PROMPTS, readPromptFile } from '../../harness/engine/compare/prompt-set.ts';

const dir = mkdtempSync(join(tmpdir(), 'compare-prompts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('prompt sets', () => {
  it('has eight varied built-in prompts', () => {
    expect(DEFAULT_COMPARE_PROMPTS).toHaveLength(8);
    expect(DEFAULT_COMPARE_PROMPTS.some((p) => p.includes('\n'))).toBe(true);
    expect(DEFAULT_COMPARE_PROMPTS.some((p) => p.includes('<|endoftext|>'))).toBe(true);
  });

  it('reads a text file as one prompt per line, exactly, skipping blank lines', () => {
    expect(readPromptFile(file('p.txt', 'Hello there \r\n\n  \nsecond line\n'))).toEqual([
      'Hello there ',
      'second line',
    ]);
  });

  it('reads a .json file as an array of strings, newlines included', () => {
    expect(readPromptFile(file('p.json', '["a\\nb", "c"]'))).toEqual(['a\nb', 'c']);
  });

  const bad: [string, () => string, RegExp][] = [
    ['a missing file', () => join(dir, 'nope.txt'), /--prompts .*nope\.txt: no such file; give a text file/],
    ['a directory', () => dir, /is a directory, not a regular file; give a text file/],
    ['an empty text file', () => file('empty.txt', '\n\n'), /holds no prompts/],
    ['an empty JSON array', () => file('empty.json', '[]'), /holds no prompts/],
    ['malformed JSON', () => file('bad.json', '["a",'), /is not valid JSON .*write a JSON array of strings/],
    ['a JSON object', () => file('obj.json', '{"a": 1}'), /expected a JSON array of strings, got object/],
    [
      'a non-string item',
      () => file('num.json', '["a", 3]'),
      /item 1 is 3; every item must be a non-empty string/,
    ],
    ['an empty string item', () => file('blank.json', '[""]'), /item 0 is ""/],
  ];
  for (const [name, path, message] of bad) {
    it(`rejects ${name} with a usage error`, () => {
      expect(() => readPromptFile(path())).toThrow(UsageError);
      expect(() => readPromptFile(path())).toThrow(message);
    });
  }
});
