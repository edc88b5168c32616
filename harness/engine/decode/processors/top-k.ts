import { UsageError } from '../../../core/errors.ts';
import type { LogitsProcessor, ScoresRow } from './logits-processor.ts';

/**
 * Top-k filtering (Fan, Lewis & Dauphin 2018, "Hierarchical Neural Story Generation"; HF
 * TopKLogitsWarper): keep the k highest scores, filter the rest. No-op value: 0.
 *
 * Decisions, both HF's: k is raised to min_tokens_to_keep and clamped to the vocabulary size
 * (`min(max(top_k, min_tokens_to_keep), vocab)`), and the cut is `score < kth best score`, so every
 * token tied with the k-th survives (more than k may remain). transformers.js instead keeps exactly k
 * (see transformers-js-sampler.ts).
 */
export const topKNoOp = 0;

/**
 * The k-th largest value by a size-k min-heap: one pass, O(n) compares plus O(log k) per heap update;
 * on a real vocabulary only ~k·ln(n/k) updates happen, and nothing is sorted.
 */
export function kthLargest(values: ScoresRow, k: number): number {
  const heap = new Float64Array(k); // heap[0] is the smallest of the k best so far
  for (let i = 0; i < k; i++) heap[i] = values[i]!;
  for (let i = (k >>> 1) - 1; i >= 0; i--) siftDown(heap, i);
  let floor = heap[0]!;
  for (let i = k; i < values.length; i++) {
    const v = values[i]!;
    if (v > floor) {
      heap[0] = v;
      siftDown(heap, 0);
      floor = heap[0]!;
    }
  }
  return floor;
}

function siftDown(heap: Float64Array, start: number): void {
  const n = heap.length;
  const v = heap[start]!;
  let i = start;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap[child + 1]! < heap[child]!) child++;
    if (heap[child]! >= v) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = v;
}

export function createTopK(topK: number, minTokensToKeep = 1): LogitsProcessor {
  if (!Number.isInteger(topK) || topK < 0) {
    throw new UsageError(`--top-k ${topK} must be a whole number ≥ 0 (0 disables it; 50 is HF's default)`);
  }
  const applyListing = (scores: ScoresRow): Int32Array | null => {
    const k = Math.min(Math.max(topK, minTokensToKeep), scores.length);
    if (topK === topKNoOp || k === scores.length) return null;
    const threshold = kthLargest(scores, k);
    const kept: number[] = [];
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! < threshold) scores[i] = Number.NEGATIVE_INFINITY;
      else kept.push(i);
    }
    return Int32Array.from(kept);
  };
  return {
    name: 'top_k',
    apply(scores) {
      applyListing(scores);
    },
    applyListing,
  };
}
