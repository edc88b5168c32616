import { UsageError } from '../../../core/errors.ts';
import { type CandidateList, gatherCandidates, scatterCandidates } from './candidate-list.ts';
import { createEpsilonCutoff, epsilonCutoffNoOp } from './epsilon-cutoff.ts';
import { createEtaCutoff, etaCutoffNoOp } from './eta-cutoff.ts';
import type { LogitsProcessor, ScoresRow, SequenceSoFar } from './logits-processor.ts';
import { createMinNewTokens, minNewTokensNoOp } from './min-new-tokens.ts';
import { createMinP, minPNoOp } from './min-p.ts';
import { createNoRepeatNgram, noRepeatNgramSizeNoOp } from './no-repeat-ngram.ts';
import { createRepetitionPenalty, repetitionPenaltyNoOp } from './repetition-penalty.ts';
import { createTemperature, temperatureNoOp } from './temperature.ts';
import { createTopK, topKNoOp } from './top-k.ts';
import { createTopP, topPNoOp } from './top-p.ts';
import { createTypicalP, typicalPNoOp } from './typical-p.ts';

/** HF generation_config options (camelCase); an absent option is its no-op. */
export interface ProcessorOptions {
  readonly repetitionPenalty?: number;
  readonly noRepeatNgramSize?: number;
  readonly minNewTokens?: number;
  /** Needed by min_new_tokens; with none it has nothing to suppress. */
  readonly eosTokenIds?: readonly number[];
  /** The warpers below run only when sampling, as in HF. */
  readonly doSample: boolean;
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly typicalP?: number;
  readonly epsilonCutoff?: number;
  readonly etaCutoff?: number;
  /** HF uses 1, or (number of eos ids + 1) for beam sampling so a beam can always go on. */
  readonly minTokensToKeep?: number;
}

/** A chain is itself a processor (llama.cpp's sampler chain); `processors` shows what will run. */
export interface ProcessorChain extends LogitsProcessor {
  readonly processors: readonly LogitsProcessor[];
  /**
   * `apply`, and the candidate list the row was narrowed to (null if no filter narrowed it), so a
   * sampler can read k entries instead of the vocabulary. The row is complete either way.
   */
  applyAndList(scores: ScoresRow, sequence: SequenceSoFar): CandidateList | null;
}

/**
 * The processors in Hugging Face's order, skipping no-ops exactly where HF does not add them; every
 * given value is validated, even one that will not run (a warper without do_sample).
 * Source: huggingface/transformers src/transformers/generation/utils.py,
 * GenerationMixin._get_logits_processor (read at commit 1097d4b3, a v4.4x tree): ...,
 * repetition_penalty (≠ 1), no_repeat_ngram_size (> 0), bad_words_ids, min_length, min_new_tokens
 * (> 0, with eos), ..., then only when do_sample the former warpers: temperature (≠ 1), top_k (≠ 0),
 * top_p (< 1), min_p ("Applied after temperature scaling", llama.cpp PR #3841), typical_p,
 * epsilon_cutoff, eta_cutoff. Options this harness does not offer are left out.
 */
export function createProcessorChain(options: ProcessorOptions): ProcessorChain {
  const minTokensToKeep = options.minTokensToKeep ?? 1;
  if (!Number.isInteger(minTokensToKeep) || minTokensToKeep < 1) {
    throw new UsageError(`min_tokens_to_keep ${minTokensToKeep} must be a whole number ≥ 1`);
  }
  const processors: LogitsProcessor[] = [];
  const add = (
    value: number | undefined,
    noOp: number,
    create: (v: number) => LogitsProcessor,
    runs = true,
  ) => {
    if (value === undefined) return;
    const processor = create(value); // validates a given value even where it will not run
    if (value !== noOp && runs) processors.push(processor);
  };
  const eosTokenIds = options.eosTokenIds ?? [];
  const sample = options.doSample;
  add(options.repetitionPenalty, repetitionPenaltyNoOp, createRepetitionPenalty);
  add(options.noRepeatNgramSize, noRepeatNgramSizeNoOp, createNoRepeatNgram);
  add(
    options.minNewTokens,
    minNewTokensNoOp,
    (n) => createMinNewTokens(n, eosTokenIds),
    eosTokenIds.length > 0,
  );
  add(options.temperature, temperatureNoOp, createTemperature, sample);
  add(options.topK, topKNoOp, (k) => createTopK(k, minTokensToKeep), sample);
  add(options.topP, topPNoOp, (p) => createTopP(p, minTokensToKeep), sample);
  add(options.minP, minPNoOp, (p) => createMinP(p, minTokensToKeep), sample);
  add(options.typicalP, typicalPNoOp, (p) => createTypicalP(p, minTokensToKeep), sample);
  add(options.epsilonCutoff, epsilonCutoffNoOp, (e) => createEpsilonCutoff(e, minTokensToKeep), sample);
  add(options.etaCutoff, etaCutoffNoOp, (e) => createEtaCutoff(e, minTokensToKeep), sample);
  return chainOf(processors);
}

/** The chain of these processors, in this order (createProcessorChain's; the bench times prefixes). */
export function chainOf(processors: readonly LogitsProcessor[]): ProcessorChain {
  return {
    name: 'chain',
    processors,
    apply(scores: ScoresRow, sequence: SequenceSoFar) {
      applyAndList(processors, scores, sequence);
    },
    applyAndList: (scores: ScoresRow, sequence: SequenceSoFar) => applyAndList(processors, scores, sequence),
  };
}

/**
 * Run the processors in order. Once a filter lists its survivors (top_k), the processors after it
 * that ignore filtered tokens run on that candidate list rather than the whole row (llama.cpp's
 * design: after top-k, k entries, not V); one that does not is given the row back first.
 */
function applyAndList(
  processors: readonly LogitsProcessor[],
  scores: ScoresRow,
  sequence: SequenceSoFar,
): CandidateList | null {
  let list: CandidateList | null = null;
  for (const processor of processors) {
    if (list !== null && processor.ignoresFiltered) {
      processor.apply(list.scores, sequence);
      continue;
    }
    if (list !== null) {
      scatterCandidates(list, scores);
      list = null;
    }
    if (processor.applyListing) {
      const ids = processor.applyListing(scores, sequence);
      if (ids !== null) list = gatherCandidates(scores, ids);
    } else {
      processor.apply(scores, sequence);
    }
  }
  if (list !== null) scatterCandidates(list, scores);
  return list;
}
