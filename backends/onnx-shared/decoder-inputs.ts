import type { DecoderLayout } from './decoder-io.ts';

/** One non-cache input of a decoder run, as plain data each runtime wraps in its own Tensor. */
export type DecoderInput =
  | {
      readonly name: string;
      readonly type: 'int64';
      readonly dims: readonly number[];
      readonly data: BigInt64Array;
    }
  | {
      readonly name: string;
      readonly type: 'bool';
      readonly dims: readonly number[];
      readonly data: readonly boolean[];
    };

/** One run's token-side values, laid out by PaddedBatch. */
export interface DecoderRun {
  readonly batch: number;
  /** New columns in this run. */
  readonly seq: number;
  /** Cache columns after this run (past + seq). */
  readonly total: number;
  readonly inputIds: BigInt64Array; // [batch, seq]
  readonly positionIds: BigInt64Array; // [batch, seq]
  readonly attentionMask: BigInt64Array; // [batch, total]
  /** The run starts from an empty cache (prefill). */
  readonly freshCache: boolean;
  /** Every position's logits are wanted, not only the last. */
  readonly allPositions: boolean;
}

const KEEP_ALL = BigInt64Array.of(0n);
const KEEP_LAST = BigInt64Array.of(1n);

/**
 * Exactly the non-cache inputs `layout` declares, as transformers.js feeds them: position_ids only
 * where the graph takes them; num_logits_to_keep 1 unless every position is wanted (0, as Hugging
 * Face's logits_to_keep); use_cache_branch false for the run without a past.
 */
export function decoderInputs(layout: DecoderLayout, run: DecoderRun): DecoderInput[] {
  const inputs: DecoderInput[] = [
    { name: 'input_ids', type: 'int64', dims: [run.batch, run.seq], data: run.inputIds },
    { name: 'attention_mask', type: 'int64', dims: [run.batch, run.total], data: run.attentionMask },
  ];
  if (layout.positionIds) {
    inputs.push({ name: 'position_ids', type: 'int64', dims: [run.batch, run.seq], data: run.positionIds });
  }
  if (layout.numLogitsToKeep) {
    inputs.push({
      name: 'num_logits_to_keep',
      type: 'int64',
      dims: [],
      data: run.allPositions ? KEEP_ALL : KEEP_LAST,
    });
  }
  if (layout.useCacheBranch) {
    inputs.push({ name: 'use_cache_branch', type: 'bool', dims: [1], data: [!run.freshCache] });
  }
  return inputs;
}
