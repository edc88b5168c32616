import type { LogitsSource } from '../../core/backend/contract.ts';
import { decode } from '../decode/decode.ts';
import type { DecodeResult, SequenceResult } from '../decode/decode-result.ts';
import type { GenerationConfig } from '../decode/generation-config.ts';
import type { FileIdentity } from '../model/model-identity.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import { beamMargins, greedyMargins, rankMargin } from './decision-margins.ts';
import { GOLDEN_SCHEMA, type Golden, type GoldenSequence } from './golden-schema.ts';
import { goldenTolerances } from './golden-tolerances.ts';

/** [id, logprob] candidates a golden keeps per step: enough to compare a distribution's head. */
export const GOLDEN_TOP_K = 5;

export interface CaseToRecord {
  readonly id: string;
  readonly promptText: string;
  readonly promptIds: readonly number[];
  readonly config: GenerationConfig;
}

/**
 * Run one case on the reference backend and write down everything a check compares: tokens, raw
 * logprobs and top-k per step, coins and CDF intervals, beam scores, and how far each decision was
 * from flipping (so a later float-noise flip can be labelled a near-tie rather than a bug).
 */
export async function recordCase(
  reference: LogitsSource,
  tokenizer: Tokenizer,
  model: FileIdentity,
  toRecord: CaseToRecord,
  provenance: Golden['provenance'],
): Promise<Golden> {
  const { promptIds, config } = toRecord;
  const textOf = (ids: readonly number[]) => tokenizer.decode(ids);
  const result = await decode(reference, promptIds, config, { recordTopK: GOLDEN_TOP_K, textOf });
  const sequences = result.sequences.map((s) => goldenSequence(s, textOf));
  if (result.strategy === 'greedy') {
    const sequence = result.sequences[0]!;
    const margins = await greedyMargins(reference, promptIds, sequence.tokenIds, config);
    sequences[0] = {
      ...sequences[0]!,
      steps: sequences[0]!.steps.map((step, n) => ({ ...step, margin: margins[n]! })),
    };
  }
  return {
    schema: GOLDEN_SCHEMA,
    id: toRecord.id,
    model: { name: model.name, sha256: model.sha256, files: { ...model.files } },
    prompt: { text: toRecord.promptText, ids: [...promptIds] },
    config: { ...config, eos_token_id: [...config.eos_token_id], stop_strings: [...config.stop_strings] },
    expected: {
      strategy: result.strategy,
      sequences,
      ...(result.strategy === 'beam'
        ? await beamDecisions(reference, promptIds, config, result, textOf)
        : {}),
    },
    tolerances: goldenTolerances(config),
    provenance,
  };
}

function goldenSequence(s: SequenceResult, textOf: (ids: readonly number[]) => string): GoldenSequence {
  return {
    tokenIds: [...s.tokenIds],
    text: textOf(s.tokenIds),
    finishReason: s.finishReason,
    totalLogprob: s.totalLogprob,
    ...(s.score === undefined ? {} : { score: s.score }),
    steps: s.steps.map((step) => ({
      id: step.id,
      logprob: step.logprob,
      top: step.top.map(([id, logprob]) => [id, logprob] as [number, number]),
      ...(step.coin === undefined ? {} : { coin: step.coin }),
      ...(step.cdf === undefined ? {} : { cdf: [step.cdf[0], step.cdf[1]] as [number, number] }),
    })),
  };
}

/**
 * The beam search's decision margins. The final ranking margin needs the hypotheses just past the
 * return cut, so the same search is run once more returning all num_beams of them (num_return_sequences
 * only slices the finished list; the search itself is unchanged).
 */
async function beamDecisions(
  reference: LogitsSource,
  promptIds: readonly number[],
  config: GenerationConfig,
  result: DecodeResult,
  textOf: (ids: readonly number[]) => string,
): Promise<Pick<Golden['expected'], 'beamMargins' | 'rankMargin'>> {
  const all = await decode(
    reference,
    promptIds,
    { ...config, num_return_sequences: config.num_beams },
    { textOf },
  );
  const scores = all.sequences.map((s) => s.score!);
  return {
    beamMargins: beamMargins(result.beamSteps ?? []),
    rankMargin: rankMargin(scores, config.num_return_sequences),
  };
}
