import { Gpt2F64 } from '../../backends/ts-kernels/gpt2-f64.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { gpt2WeightsOf } from './gpt2-weights-of.ts';
import { WrappedSource } from './wrapped-source.ts';

/**
 * Fault (d): a KV cache that drops its oldest entry whenever it holds more than `maxEntries`, as a
 * ring buffer sized too small would. Built on `ts:f64`, whose cache is a list of per-token entries
 * (its test-only `afterCacheAppend` hook). The token at position `maxEntries` is the first whose
 * attention misses something (position 0), so that is where the logits first move.
 */
export function droppingKvCache(model: ModelDir, maxEntries: number): LogitsSource {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new Error(`maxEntries ${maxEntries} must be a whole number ≥ 1`);
  }
  const weights = gpt2WeightsOf(model, Float64Array, 'the dropping KV cache fault');
  const inner = new Gpt2F64(weights, (cache) => {
    if (cache.keys.length <= maxEntries) return;
    cache.keys.shift();
    cache.values.shift();
  });
  return new WrappedSource(inner, `faulty:kv-cache-drops-oldest-beyond-${maxEntries}`);
}
