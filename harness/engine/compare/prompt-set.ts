import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';

/**
 * The built-in prompt set: prose, a single token, code with newlines and indentation, digits,
 * a question-answer frame, non-ASCII text and an end-of-text marker, so short and long contexts,
 * byte-level tokens and special tokens are all scored.
 */
export const DEFAULT_COMPARE_PROMPTS: readonly string[] = [
  'The quick brown fox jumps over the lazy dog.',
  'Hello',
  'Once upon a time, in a small village by the sea,',
  'def fibonacci(n):\n    if n < 2:\n        return n\n',
  'In 1905, Albert Einstein published four papers that',
  'Q: What is the capital of France?\nA:',
  'Café résumé naïve — 東京 🚀',
  'The end.<|endoftext|>A new document begins',
];

/**
 * Read a --prompts file. A `.json` file holds a JSON array of strings (use it for prompts with
 * newlines); any other file holds one prompt per line, exactly as written (only a trailing \r is
 * dropped), blank lines skipped.
 */
export function readPromptFile(path: string): string[] {
  assertRegularFile(path, '--prompts', 'give a text file (one prompt per line) or a .json array of strings');
  const text = readFileSync(path, 'utf8');
  const prompts = path.toLowerCase().endsWith('.json')
    ? parseJsonPrompts(text, path)
    : parseLinePrompts(text);
  if (prompts.length === 0) {
    throw new UsageError(
      `--prompts ${JSON.stringify(path)} holds no prompts; write at least one non-empty prompt`,
    );
  }
  return prompts;
}

function parseLinePrompts(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim().length > 0);
}

function parseJsonPrompts(text: string, path: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--prompts ${JSON.stringify(path)} is not valid JSON (${(error as Error).message}); write a JSON array of strings`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new UsageError(
      `--prompts ${JSON.stringify(path)}: expected a JSON array of strings, got ${typeof parsed}`,
    );
  }
  parsed.forEach((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      throw new UsageError(
        `--prompts ${JSON.stringify(path)}: item ${i} is ${JSON.stringify(item)}; every item must be a non-empty string`,
      );
    }
  });
  return parsed as string[];
}
