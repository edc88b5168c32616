import type { LogitsSource } from '../../core/backend/contract.ts';
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
  type PositionMetrics,
} from './compare-record.ts';
import { firstFlagged } from './first-flagged.ts';
import { firstDivergence, noiseLogit } from './free-running.ts';
import { evaluateGates, type GateOverrides, gateLimits } from './gates.ts';
import { comparePosition, type ReferenceRow, referenceRow } from './position-metrics.ts';
import { teacherForced } from './teacher-forced-logits.ts';

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
export async function compareBackends(input: CompareInput): Promise<CompareRecord> {
  const { reference, backends } = input;
  checkDistinctIds(reference, backends);
  const progress = input.onProgress ?? (() => {});
  const config: GreedyConfig = {
    maxNewTokens: input.maxNewTokens,
    eosTokenIds: input.eosTokenIds,
    recordTopK: DIVERGENCE_TOP_K,
  };
  const gathered: Gathered[] = backends.map(() => ({
    positions: [],
    greedy: [],
    centredSqDiff: 0,
    centredSqRef: 0,
  }));
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
        const ref = refRows[step]!;
        const c = comparePosition(ref, row, `${source.info.id} prompt ${p} step ${step}`);
        const { kld, deltaP, sameTop, maxAbsLogitDiff, logprob } = c;
        const position = prompt.ids.length - 1 + step;
        into.positions.push({
          prompt: p,
          step,
          position,
          kld,
          referenceTopId: ref.topId,
          deltaP,
          sameTop,
          logprob,
          referenceLogprob: Math.log(ref.probs[ref.topId]!),
          maxAbsLogitDiff,
        });
        into.centredSqDiff += c.centredSqDiff;
        into.centredSqRef += ref.centredSumSq;
      });
      into.greedy.push((await greedy(source, prompt.ids, config)).sequences[0]!);
    }
    prompts.push({ text: prompt.text, promptIds: [...prompt.ids], referenceIds: [...continuation] });
  }

  const agreements = backends.map((source, b): BackendAgreement => {
    const { positions, greedy: ours, centredSqDiff, centredSqRef } = gathered[b]!;
    const summary = agreementSummary(positions, { centredSqDiff, centredSqRef });
    const limits = gateLimits(input.gates, [reference.info.dtype, source.info.dtype]);
    const noise = noiseLogit(summary, limits);
    const divergences = ours
      .map((seq, p) => firstDivergence(p, referenceGreedy[p]!, seq, noise, input.tokenText))
      .filter((d): d is Divergence => d !== null);
    const gates = evaluateGates(summary, limits);
    return {
      backend: source.info,
      summary,
      steps: stepSeries(positions),
      positions,
      firstFlagged: firstFlagged(positions, limits),
      greedy: {
        prompts: ours.length,
        identical: ours.length - divergences.length,
        noiseLogit: noise,
        divergences,
      },
      gates,
      passed: gates.every((g) => g.passed),
    };
  });

  return {
    schema: COMPARE_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: machineRecord(),
    model: input.model,
    reference: reference.info,
    referenceChoice: input.referenceChoice,
    maxNewTokens: input.maxNewTokens,
    prompts,
    backends: agreements,
    passed: agreements.every((a) => a.passed),
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
