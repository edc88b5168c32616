import type { LogitsSource } from './contract.ts';

/**
 * One query token's attention probabilities in one layer, as the forward pass computes them:
 * `probs` is [heads, keys] row-major, after the causal mask and the softmax (what Hugging Face's
 * `output_attentions=True` returns for eager attention, one query row at a time). The keys are
 * positions 0..position, so a row holds position + 1 values per head and sums to 1.
 */
export type AttentionObserver = (layer: number, position: number, probs: Float64Array) => void;

/** A backend that can report its attention probabilities while it runs (ts:f64). */
export interface ObservesAttention {
  /** Called during every later forward pass until replaced; `undefined` stops reporting. */
  observeAttention(observer: AttentionObserver | undefined): void;
}

export function observesAttention(source: LogitsSource): source is LogitsSource & ObservesAttention {
  return typeof (source as Partial<ObservesAttention>).observeAttention === 'function';
}
