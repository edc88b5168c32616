import { UsageError } from '../errors.ts';

/**
 * Argument checks shared by backends, so every backend rejects the same calls with
 * the same words. `id` is the backend id that prefixes every message.
 */

/** Check prefill rows; returns the padded length (the longest row). */
export function checkPrefillRows(
  id: string,
  rows: readonly (readonly number[])[],
  vocab: number,
  maxPositions: number,
): number {
  if (rows.length === 0) throw new UsageError(`${id}: prefill needs at least one row; got none`);
  rows.forEach((row, b) => {
    if (row.length === 0) {
      throw new UsageError(
        `${id}: prefill row ${b} is empty; every row needs at least one token (e.g. the BOS token)`,
      );
    }
    row.forEach((token, j) => {
      checkTokenId(id, token, vocab, `row ${b} position ${j}`);
    });
  });
  const length = Math.max(...rows.map((row) => row.length));
  checkLength(id, length, maxPositions);
  return length;
}

/** Check one next token per row; `length` is the sequence length (padding included) after the step. */
export function checkStepTokens(
  id: string,
  tokens: readonly number[],
  batch: number,
  vocab: number,
  length: number,
  maxPositions: number,
): void {
  requirePrefill(id, 'step', batch);
  if (tokens.length !== batch) {
    throw new UsageError(
      `${id}: step got ${tokens.length} tokens for a batch of ${batch} rows; pass one token per row`,
    );
  }
  tokens.forEach((token, b) => {
    checkTokenId(id, token, vocab, `row ${b}`);
  });
  checkLength(id, length, maxPositions);
}

/** Check reorder's source rows against the current batch size. */
export function checkReorder(id: string, sourceRows: readonly number[], batch: number): void {
  requirePrefill(id, 'reorder', batch);
  if (sourceRows.length === 0) {
    throw new UsageError(`${id}: reorder needs at least one source row; got none`);
  }
  for (const source of sourceRows) {
    if (!Number.isInteger(source) || source < 0 || source >= batch) {
      throw new UsageError(
        `${id}: reorder source row ${source} does not exist; the batch has rows 0..${batch - 1}`,
      );
    }
  }
}

function requirePrefill(id: string, call: string, batch: number): void {
  if (batch === 0) throw new UsageError(`${id}: ${call} called with no rows; call prefill first`);
}

function checkTokenId(id: string, token: number, vocab: number, where: string): void {
  if (!Number.isInteger(token) || token < 0 || token >= vocab) {
    throw new UsageError(
      `${id}: token id ${token} at ${where} is outside the vocabulary [0, ${vocab}); ` +
        'check the tokenizer matches the model',
    );
  }
}

function checkLength(id: string, length: number, maxPositions: number): void {
  if (length > maxPositions) {
    throw new UsageError(
      `${id}: sequence length ${length} (prompt, left padding and generated tokens) exceeds the ` +
        `model's maxPositions ${maxPositions} (config.json n_positions or max_position_embeddings); shorten the prompt or ` +
        'generate fewer tokens',
    );
  }
}
