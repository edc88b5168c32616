import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import { createRng } from '../../core/rng/seeded-rng.ts';
import type { DecodeResult, FinishReason, SequenceResult, StepRecord } from './decode-result.ts';
import type { GenerationConfig } from './generation-config.ts';
import { inverseCdfChoiceOf } from './inverse-cdf.ts';
import { logSoftmax } from './log-softmax.ts';
import { transformersJsChoice } from './processors/transformers-js-sampler.ts';
import { processorsFor, transformersJsProcessorsFor } from './processors-for.ts';
import { rawRow } from './raw-row.ts';
import { type StepViewRequest, stepRecord, withStepView } from './step-record.ts';
import { stopAfter, type TextOf } from './stopping.ts';
import { argmax } from './top-candidates.ts';

export interface SamplingSearchOptions {
  readonly recordTopK: number;
  readonly textOf?: TextOf;
  readonly view?: StepViewRequest;
}

/** One live row of the batch. */
interface Row {
  readonly generated: number[];
  readonly steps: StepRecord[];
  finishReason: FinishReason | null;
}

/**
 * HF's `_sample` loop, for greedy and multinomial sampling: per step, raw logits → processors →
 * argmax (greedy, ties to the lowest id) or one coin per row by inverse CDF (sampling). With
 * num_return_sequences N the prompt runs as N rows; rows that finish leave the batch (reorder), so
 * the backend never computes tokens nobody reads. One RNG stream per call; coins are drawn per step
 * in row order. With rng 'mt19937' the whole choice is transformers.js's own (its processors in
 * float32, its top-k multinomial sampler), so sampled tokens equal its generate({ do_sample: true }).
 */
export async function samplingSearch(
  source: LogitsSource,
  promptIds: readonly number[],
  config: GenerationConfig,
  sampling: boolean,
  options: SamplingSearchOptions,
): Promise<DecodeResult> {
  const { recordTopK, textOf, view } = options;
  const transformersJsMode = sampling && config.rng === 'mt19937';
  const chain = transformersJsMode ? transformersJsProcessorsFor(config) : processorsFor(config, sampling);
  const rng = sampling ? createRng({ algorithm: config.rng, seed: config.seed }) : null;
  const rowCount = sampling ? config.num_return_sequences : 1;
  const rows: Row[] = Array.from({ length: rowCount }, () => ({
    generated: [],
    steps: [],
    finishReason: null,
  }));
  let live = rows.map((_, r) => r); // batch row b holds rows[live[b]]
  const stepMs: number[] = [];
  let choiceMs = 0;

  let t0 = performance.now();
  let logits = await source.prefill([promptIds]);
  if (rowCount > 1) await source.reorder(live.map(() => 0));
  const prefillMs = performance.now() - t0;

  for (let n = 0; n < config.max_new_tokens; n++) {
    t0 = performance.now();
    const next: number[] = [];
    for (const [b, r] of live.entries()) {
      const row = rows[r]!;
      const raw = logitsRow(logits, logits.batch === 1 ? 0 : b); // right after prefill every row shares row 0
      const where = `${source.info.id} step ${n}${rowCount > 1 ? ` row ${r}` : ''}`;
      const summary = rawRow(raw, recordTopK, where);
      // transformers.js processes its float32 logits in place: every write rounds to float32.
      // Greedy with no processors reads the raw row: no copy, no history (the hot path of bench).
      const unprocessed = !rng && chain.processors.length === 0;
      const scores = unprocessed ? raw : transformersJsMode ? Float32Array.from(raw) : Float64Array.from(raw);
      const sequence = { ids: [...promptIds, ...row.generated], promptLength: promptIds.length };
      // After top-k the choice reads the k candidates the chain left, not the row (candidate-list.ts).
      const list = unprocessed ? null : chain.applyAndList(scores, sequence);
      let record: StepRecord;
      if (rng) {
        const choice = transformersJsMode
          ? transformersJsChoice(scores as Float32Array, config.top_k, rng)
          : inverseCdfChoiceOf(list?.scores ?? scores, list?.ids ?? null, rng.next());
        record = stepRecord(summary, choice.id, choice);
      } else {
        const best = unprocessed ? summary.top[0]?.[0] : undefined; // the raw argmax, already found
        record = stepRecord(summary, best ?? argmax(scores)); // greedy runs no warpers, so never a list
      }
      // The walk is of what the choice read; transformers.js's sampler keeps a top-k of its own.
      const walked = unprocessed || transformersJsMode ? null : scores;
      row.steps.push(view ? withStepView(record, view, raw, logSoftmax(raw, where), walked) : record);
      row.generated.push(record.id);
      row.finishReason = stopAfter(config, row.generated, textOf);
      next.push(row.generated[row.generated.length - 1]!);
    }
    choiceMs += performance.now() - t0;
    if (n + 1 === config.max_new_tokens) break;

    const keep = live.map((r, b) => (rows[r]!.finishReason === null ? b : -1)).filter((b) => b >= 0);
    if (keep.length === 0) break;
    t0 = performance.now();
    if (keep.length < live.length) {
      await source.reorder(keep);
      live = keep.map((b) => live[b]!);
    }
    logits = await source.step(keep.map((b) => next[b]!));
    stepMs.push(performance.now() - t0);
  }

  const sequences: SequenceResult[] = rows.map((row) => ({
    tokenIds: row.generated,
    steps: row.steps,
    totalLogprob: row.steps.reduce((sum, s) => sum + s.logprob, 0),
    finishReason: row.finishReason ?? 'max_new_tokens',
  }));
  return {
    strategy: sampling ? 'sample' : 'greedy',
    config,
    promptIds: [...promptIds],
    processors: chain.processors.map((p) => p.name),
    sequences,
    timing: { prefillMs, stepMs, choiceMs },
  };
}
