import { type Logits, type LogitsSource, toleranceDtypeOf } from '../../core/backend/contract.ts';
import { UsageError } from '../../core/errors.ts';
import { machineRecord } from '../../core/machine.ts';
import type { SequenceResult } from '../decode/decode-result.ts';
import { type GreedyConfig, greedy } from '../decode/greedy.ts';
import { agreementSummary, stepSeries } from './agreement-summary.ts';
import {
  type BackendAgreement,
  COMPARE_SCHEMA,
  type ComparedPrompt,
  type CompareRecord,
  type Divergence,
  type GreedyAgreement,
  type PositionMetrics,
} from './compare-record.ts';
import { firstFlagged } from './first-flagged.ts';
import { firstDivergence, noiseLogit } from './free-running.ts';
import { evaluateGates, type GateOverrides, gateLimits } from './gates.ts';
import { comparePosition, type ReferenceRow, referenceRow } from './position-metrics.ts';
import { teacherForced } from './teacher-forced-logits.ts';
import type { TextScoring } from './text-chunks.ts';

/** Candidates shown side by side where greedy continuations part. */
const DIVERGENCE_TOP_K = 5;

export interface CompareInput {
  readonly model: CompareRecord['model'];
  readonly reference: LogitsSource;
  /** Why this reference, in one sentence. */
  readonly referenceChoice: string;
  /** The backends measured against the reference; distinct ids, the reference not among them. */
  readonly backends: readonly LogitsSource[];
  readonly prompts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  readonly maxNewTokens: number;
  readonly eosTokenIds: readonly number[];
  /** Display text of a token, for the candidate tables. */
  readonly tokenText: (id: number) => string;
  /** Gate limits given on the command line; the rest default by dtype (gates.ts). */
  readonly gates: GateOverrides;
  readonly onProgress?: (line: string) => void;
}

/** What is gathered per backend while the prompts run. */
interface Gathered {
  readonly positions: PositionMetrics[];
  readonly greedy: SequenceResult[];
  centredSqDiff: number;
  centredSqRef: number;
}

/**
 * Compare every backend with the reference over a prompt set, prompt by prompt: the reference's
 * greedy continuation, every backend teacher-forced along it (per-position metrics), then every
 * backend's own greedy run (where it parts from the reference). Gates are evaluated per backend.
 */
export async function compareBackends(input: CompareInput): Promise<CompareRecord<GreedyAgreement>> {
  const { reference, backends } = input;
  checkDistinctIds(reference, backends);
  const progress = input.onProgress ?? (() => {});
  const config: GreedyConfig = {
    maxNewTokens: input.maxNewTokens,
    eosTokenIds: input.eosTokenIds,
    recordTopK: DIVERGENCE_TOP_K,
  };
  const gathered = emptyGathered(backends.length);
  const prompts: ComparedPrompt[] = [];
  const referenceGreedy: SequenceResult[] = [];

  for (const [p, prompt] of input.prompts.entries()) {
    progress(`prompt ${p + 1}/${input.prompts.length}: ${reference.info.id} (reference)`);
    const refSequence = (await greedy(reference, prompt.ids, config)).sequences[0]!;
    referenceGreedy.push(refSequence);
    const continuation = refSequence.tokenIds;
    const refRows = await referenceRows(reference, p, prompt.ids, continuation);
    for (const [b, source] of backends.entries()) {
      progress(`prompt ${p + 1}/${input.prompts.length}: ${source.info.id}`);
      const into = gathered[b]!;
      await teacherForced(source, prompt.ids, continuation, (step, row) => {
        const at = { prompt: p, step, position: prompt.ids.length - 1 + step };
        gatherPosition(into, refRows[step]!, row, at, refRows[step]!.topId, source.info.id);
      });
      into.greedy.push((await greedy(source, prompt.ids, config)).sequences[0]!);
    }
    prompts.push({ text: prompt.text, promptIds: [...prompt.ids], referenceIds: [...continuation] });
  }

  const agreements = backends.map((source, b) => {
    const limits = gateLimits(input.gates, [toleranceDtypeOf(reference.info), toleranceDtypeOf(source.info)]);
    const summary = agreementSummary(gathered[b]!.positions, gathered[b]!);
    const noise = noiseLogit(summary, limits);
    const divergences = gathered[b]!.greedy.map((seq, p) =>
      firstDivergence(p, referenceGreedy[p]!, seq, noise, input.tokenText),
    ).filter((d): d is Divergence => d !== null);
    return agreementOf(source, gathered[b]!, limits, {
      prompts: gathered[b]!.greedy.length,
      identical: gathered[b]!.greedy.length - divergences.length,
      noiseLogit: noise,
      divergences,
    });
  });

  return compareRecord(input, agreements, { maxNewTokens: input.maxNewTokens, prompts });
}

/** The record of a finished comparison: its context, what was scored and every agreement. */
function compareRecord<G extends GreedyAgreement | null>(
  input: Pick<CompareInput, 'model' | 'reference' | 'referenceChoice'>,
  agreements: BackendAgreement<G>[],
  scored: Pick<CompareRecord, 'maxNewTokens' | 'prompts' | 'text'>,
): CompareRecord<G> {
  return {
    schema: COMPARE_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: machineRecord(),
    model: input.model,
    reference: input.reference.info,
    referenceChoice: input.referenceChoice,
    ...scored,
    backends: agreements,
    passed: agreements.every((a) => a.passed),
  };
}

/** What `compareOnText` needs: CompareInput's backends and gates, and the text's chunks. */
export interface TextCompareInput
  extends Pick<
    CompareInput,
    'model' | 'reference' | 'referenceChoice' | 'backends' | 'gates' | 'onProgress'
  > {
  readonly scoring: TextScoring;
  /** The text's chunks of scoring.ctx tokens (textChunks). */
  readonly chunks: readonly (readonly number[])[];
}

/**
 * Compare every backend with the reference on a text, as llama.cpp's perplexity --kl-divergence
 * does (text-chunks.ts): one prefill per chunk with every position's logits, the second half of
 * each chunk scored against the text's next token. No greedy runs.
 */
export async function compareOnText(input: TextCompareInput): Promise<CompareRecord<null>> {
  const { reference, backends, scoring } = input;
  checkDistinctIds(reference, backends);
  const progress = input.onProgress ?? (() => {});
  const gathered = emptyGathered(backends.length);
  for (const [c, chunk] of input.chunks.entries()) {
    progress(`chunk ${c + 1}/${input.chunks.length}: ${reference.info.id} (reference)`);
    // Kept as the reference returned them (float32 or float64); each scored row is made into a
    // ReferenceRow per backend, so memory stays one chunk of logits per side.
    const refLogits = await reference.prefill([chunk], { allPositions: true });
    reference.reset();
    for (const [b, source] of backends.entries()) {
      progress(`chunk ${c + 1}/${input.chunks.length}: ${source.info.id}`);
      const logits = await source.prefill([chunk], { allPositions: true });
      source.reset();
      for (let position = scoring.firstScored; position < scoring.ctx - 1; position++) {
        const where = `${reference.info.id} (reference) chunk ${c} position ${position}`;
        const ref = referenceRow(positionRow(refLogits, position), where);
        const at = { prompt: c, step: position - scoring.firstScored, position };
        gatherPosition(
          gathered[b]!,
          ref,
          positionRow(logits, position),
          at,
          chunk[position + 1]!,
          source.info.id,
        );
      }
    }
  }
  const agreements = withoutGreedy(input, gathered);
  return compareRecord(input, agreements, { maxNewTokens: 0, prompts: [], text: scoring });
}

/** What `compareAlong` needs: the backends and gates, and the continuations to teacher-force along. */
export interface AlongCompareInput
  extends Pick<
    CompareInput,
    'model' | 'reference' | 'referenceChoice' | 'backends' | 'gates' | 'onProgress'
  > {
  readonly prompts: readonly { readonly text: string; readonly ids: readonly number[] }[];
  /** Per prompt, the tokens to feed (another reference's greedy continuation), each one scored. */
  readonly continuations: readonly (readonly number[])[];
}

/**
 * Compare every backend with `reference` along continuations chosen elsewhere (another
 * comparison's reference), so two comparisons score the same positions; no greedy runs.
 */
export async function compareAlong(input: AlongCompareInput): Promise<CompareRecord<null>> {
  const { reference, backends } = input;
  checkDistinctIds(reference, backends);
  const progress = input.onProgress ?? (() => {});
  const gathered = emptyGathered(backends.length);
  for (const [p, prompt] of input.prompts.entries()) {
    const continuation = input.continuations[p]!;
    progress(`prompt ${p + 1}/${input.prompts.length}: ${reference.info.id} (reference)`);
    const refRows: ReferenceRow[] = [];
    await teacherForced(reference, prompt.ids, continuation, (step, logits) => {
      refRows.push(referenceRow(logits, `${reference.info.id} (reference) prompt ${p} step ${step}`));
    });
    for (const [b, source] of backends.entries()) {
      progress(`prompt ${p + 1}/${input.prompts.length}: ${source.info.id}`);
      await teacherForced(source, prompt.ids, continuation, (step, row) => {
        const at = { prompt: p, step, position: prompt.ids.length - 1 + step };
        gatherPosition(gathered[b]!, refRows[step]!, row, at, continuation[step]!, source.info.id);
      });
    }
  }
  const agreements = withoutGreedy(input, gathered);
  const prompts = input.prompts.map((prompt, p) => ({
    text: prompt.text,
    promptIds: [...prompt.ids],
    referenceIds: [...input.continuations[p]!],
  }));
  return compareRecord(input, agreements, { maxNewTokens: 0, prompts });
}

/** Row `position` of a one-row [1, positions, vocab] logits block. */
function positionRow(logits: Logits, position: number): Float32Array | Float64Array {
  return logits.data.subarray(position * logits.vocab, (position + 1) * logits.vocab);
}

/** Score one position of a backend against the reference row and add it to `into`. */
function gatherPosition(
  into: Gathered,
  ref: ReferenceRow,
  row: ArrayLike<number>,
  at: { prompt: number; step: number; position: number },
  scoredId: number,
  backendId: string,
): void {
  const c = comparePosition(ref, row, `${backendId} prompt ${at.prompt} step ${at.step}`, scoredId);
  into.positions.push({
    ...at,
    kld: c.kld,
    referenceTopId: ref.topId,
    scoredId,
    deltaP: c.deltaP,
    sameTop: c.sameTop,
    logprob: c.logprob,
    referenceLogprob: Math.log(ref.probs[scoredId]!),
    maxAbsLogitDiff: c.maxAbsLogitDiff,
  });
  into.centredSqDiff += c.centredSqDiff;
  into.centredSqRef += ref.centredSumSq;
}

function emptyGathered(backends: number): Gathered[] {
  return Array.from({ length: backends }, () => ({
    positions: [],
    greedy: [],
    centredSqDiff: 0,
    centredSqRef: 0,
  }));
}

/** Each backend's agreement where no greedy ran (--text, or along another's continuations). */
function withoutGreedy(
  input: Pick<CompareInput, 'reference' | 'backends' | 'gates'>,
  gathered: readonly Gathered[],
): BackendAgreement<null>[] {
  return input.backends.map((source, b) =>
    agreementOf(
      source,
      gathered[b]!,
      gateLimits(input.gates, [toleranceDtypeOf(input.reference.info), toleranceDtypeOf(source.info)]),
      null,
    ),
  );
}

/** One backend's agreement from its gathered positions, under `limits`. */
function agreementOf<G extends GreedyAgreement | null>(
  source: LogitsSource,
  gathered: Gathered,
  limits: ReturnType<typeof gateLimits>,
  greedyAgreement: G,
): BackendAgreement<G> {
  const summary = agreementSummary(gathered.positions, gathered);
  const gates = evaluateGates(summary, limits);
  return {
    backend: source.info,
    summary,
    steps: stepSeries(gathered.positions),
    positions: gathered.positions,
    firstFlagged: firstFlagged(gathered.positions, limits),
    greedy: greedyAgreement,
    gates,
    passed: gates.every((g) => g.passed),
  };
}

/**
 * The reference teacher-forced along its own greedy continuation. Its argmax must reproduce that
 * continuation; if it does not, the reference is not deterministic and no comparison means anything.
 */
async function referenceRows(
  reference: LogitsSource,
  prompt: number,
  promptIds: readonly number[],
  continuation: readonly number[],
): Promise<ReferenceRow[]> {
  const rows: ReferenceRow[] = [];
  await teacherForced(reference, promptIds, continuation, (step, logits) => {
    const row = referenceRow(logits, `${reference.info.id} (reference) prompt ${prompt} step ${step}`);
    if (row.topId !== continuation[step]) {
      throw new Error(
        `reference ${reference.info.id} prompt ${prompt} step ${step}: teacher-forced argmax ${row.topId} ` +
          `differs from its own greedy token ${continuation[step]}; the reference is not deterministic`,
      );
    }
    rows.push(row);
  });
  return rows;
}

function checkDistinctIds(reference: LogitsSource, backends: readonly LogitsSource[]): void {
  if (backends.length === 0) {
    throw new UsageError(
      `nothing to compare: give at least one backend besides the reference ${reference.info.id}`,
    );
  }
  const seen = new Set([reference.info.id]);
  for (const source of backends) {
    if (seen.has(source.info.id)) {
      throw new UsageError(
        `backend ${source.info.id} is listed twice (or is the reference); list each backend once`,
      );
    }
    seen.add(source.info.id);
  }
}
