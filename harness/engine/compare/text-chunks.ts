import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import { assertRegularFile } from '../../core/regular-file.ts';

/** llama.cpp perplexity's default context when the model allows it. */
export const DEFAULT_TEXT_CTX = 512;

/**
 * How a text is scored, as llama.cpp's `llama-perplexity` scores it: the tokens are cut into
 * consecutive chunks of `ctx` (the tail shorter than a chunk is dropped); each chunk is one forward
 * pass from an empty cache, and only the logits of its second half count, positions
 * first = ⌊ctx/2⌋ … ctx − 2, each scored on the next token of the text, so every scored token sees
 * at least half a context. No BOS is inserted (GPT-2-style tokenizers add none).
 */
export interface TextScoring {
  readonly file: string;
  /** Tokens in the whole file. */
  readonly tokens: number;
  readonly ctx: number;
  /** Chunks scored (all full chunks, or --chunks). */
  readonly chunks: number;
  /** The first scored position of a chunk, ⌊ctx/2⌋. */
  readonly firstScored: number;
  /** ctx − 1 − firstScored. */
  readonly scoredPerChunk: number;
}

/** Read a --text file: a regular, non-empty UTF-8 text file (no NUL bytes), as written. */
export function readTextFile(path: string): string {
  assertRegularFile(path, '--text', 'give a UTF-8 text file, e.g. --text README.md');
  const bytes = readFileSync(path);
  if (bytes.length === 0)
    throw new UsageError(`--text ${JSON.stringify(path)} is empty; give a text to score`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new UsageError(
      `--text ${JSON.stringify(path)} holds a NUL byte at offset ${nul}: a binary file, not text; give a UTF-8 text file`,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(
      `--text ${JSON.stringify(path)} is not valid UTF-8; convert it (iconv -t utf-8) or give another file`,
    );
  }
}

/** Cut `ids` into the chunks `scoring` describes; the caller checked that at least one fits. */
export function textChunks(ids: readonly number[], scoring: TextScoring): number[][] {
  return Array.from({ length: scoring.chunks }, (_, c) => ids.slice(c * scoring.ctx, (c + 1) * scoring.ctx));
}

/**
 * The scoring of a `tokens`-long text at `ctx` (≥ 3, so each chunk scores a token; ≤ the model's
 * context) over at most `maxChunks` chunks; a text shorter than one chunk is refused.
 */
export function planTextScoring(
  file: string,
  tokens: number,
  ctx: number,
  maxChunks: number | undefined,
): TextScoring {
  const available = Math.floor(tokens / ctx);
  if (available === 0) {
    throw new UsageError(
      `--text ${JSON.stringify(file)} is ${tokens} tokens, shorter than one chunk of --ctx ${ctx}; give a longer text or a smaller --ctx`,
    );
  }
  const chunks = Math.min(available, maxChunks ?? available);
  const firstScored = Math.floor(ctx / 2);
  return { file, tokens, ctx, chunks, firstScored, scoredPerChunk: ctx - 1 - firstScored };
}
