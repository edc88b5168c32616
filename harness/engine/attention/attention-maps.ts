import type { ObservesAttention } from '../../core/backend/attention-observer.ts';
import type { LogitsSource } from '../../core/backend/contract.ts';

/**
 * A prompt's attention probabilities in every layer and head, as Hugging Face's
 * `output_attentions=True` returns them for eager attention (one tensor [batch, heads, q, k] per
 * layer), without the batch axis.
 */
export interface AttentionMaps {
  readonly layers: number;
  readonly heads: number;
  /** Prompt tokens: the number of queries and of keys. */
  readonly tokens: number;
  /** [layer][head] → [q, k] row-major: row q sums to 1, and k > q is 0 (masked). */
  readonly probs: readonly (readonly Float64Array[])[];
}

/**
 * Run the prompt through `source` once, collecting the attention probabilities it reports for each
 * layer and query token. Null when the source reported none (a forward that lacks the hook).
 */
export async function collectAttention(
  source: LogitsSource & ObservesAttention,
  promptIds: readonly number[],
  layers: number,
): Promise<AttentionMaps | null> {
  const n = promptIds.length;
  const rows: Float64Array[][] = Array.from({ length: layers }, () => []); // [layer][q] → [heads, q + 1]
  source.observeAttention((layer, position, probs) => {
    rows[layer]![position] = probs.slice();
  });
  try {
    await source.prefill([promptIds]);
  } finally {
    source.observeAttention(undefined);
    source.reset();
  }
  if (rows.every((r) => r.length === 0)) return null;
  const heads = rows[0]![0]?.length ?? 0; // the first query attends one key
  const probs = rows.map((byQuery, l) => {
    const maps = Array.from({ length: heads }, () => new Float64Array(n * n)); // [heads] of [q, k]
    for (let q = 0; q < n; q++) {
      const row = byQuery[q];
      if (row?.length !== heads * (q + 1)) {
        throw new Error(
          `${source.info.id} reported layer ${l}'s attention for query ${q} as ${row?.length ?? 'no'} values, not ${heads} heads × ${q + 1} keys`,
        );
      }
      maps.forEach((map, h) => {
        map.set(row.subarray(h * (q + 1), (h + 1) * (q + 1)), q * n);
      });
    }
    return maps;
  });
  return { layers, heads, tokens: n, probs };
}

/** One head's probabilities as rows [q][k] (plain numbers, as JSON writes them). */
export function attentionRows(map: Float64Array, n: number): number[][] {
  return Array.from({ length: n }, (_, q) => Array.from(map.subarray(q * n, (q + 1) * n)));
}
