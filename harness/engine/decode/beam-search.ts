import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import { BeamHypotheses } from './beam-hypotheses.ts';
import type { BeamCandidate, BeamStepRecord, DecodeResult, StepRecord } from './decode-result.ts';
import type { GenerationConfig } from './generation-config.ts';
import { logSoftmax } from './log-softmax.ts';
import { processorsFor } from './processors-for.ts';
import { candidateBefore, topK } from './top-candidates.ts';

/** HF gives every beam but the first this start score, so step one expands a single beam. */
const INACTIVE_BEAM_SCORE = -1e9;

interface OpenBeam {
  readonly generated: readonly number[];
  readonly steps: readonly StepRecord[];
  /** Running sum of processed logprobs (HF's beam_scores). */
  readonly score: number;
}

interface Candidate {
  readonly beam: number;
  readonly id: number;
  /** The token's processed logprob. */
  readonly logprob: number;
  readonly score: number;
  /** beam * vocab + id: HF's flat index, the tie-break after the score. */
  readonly flat: number;
  readonly rawLogprobs: Float64Array;
  /** The beam's raw top-k, shared by all its candidates (computed once per beam and step). */
  readonly rawTop: StepRecord['top'];
}

/**
 * Beam search as Hugging Face's `_beam_search` + BeamSearchScorer: all beams go through the
 * backend as one batch per step; per beam, log-softmax then the processors; each candidate's score is
 * the beam's running sum plus its processed logprob; the best max(2, 1 + #eos) × num_beams
 * candidates (ties to the lower flat index) are walked in order: an eos candidate ranked within the
 * first num_beams becomes a finished hypothesis scored sum / length^length_penalty, any other fills
 * the next beam slot until num_beams are kept. The backend then reorders its KV cache by source beam.
 */
export async function beamSearch(
  source: LogitsSource,
  promptIds: readonly number[],
  config: GenerationConfig,
  recordTopK: number,
): Promise<DecodeResult> {
  const numBeams = config.num_beams;
  const chain = processorsFor(config, false);
  const hyps = new BeamHypotheses(
    numBeams,
    config.length_penalty,
    config.early_stopping,
    config.max_new_tokens,
  );
  const keepCount = Math.max(2, 1 + config.eos_token_id.length) * numBeams;
  let beams: OpenBeam[] = Array.from({ length: numBeams }, (_, b) => ({
    generated: [],
    steps: [],
    score: b === 0 ? 0 : INACTIVE_BEAM_SCORE,
  }));
  const beamSteps: BeamStepRecord[] = [];
  const stepMs: number[] = [];
  let choiceMs = 0;
  let done = false;

  let t0 = performance.now();
  let logits = await source.prefill([promptIds]);
  await source.reorder(beams.map(() => 0));
  const prefillMs = performance.now() - t0;

  for (let n = 0; n < config.max_new_tokens && !done; n++) {
    t0 = performance.now();
    const candidates: Candidate[] = [];
    for (const [b, beam] of beams.entries()) {
      const rawLogprobs = logSoftmax(
        logitsRow(logits, logits.batch === 1 ? 0 : b),
        `${source.info.id} step ${n} beam ${b}`,
      );
      const rawTop = topK(rawLogprobs, recordTopK);
      const processed = Float64Array.from(rawLogprobs);
      chain.apply(processed, { ids: [...promptIds, ...beam.generated], promptLength: promptIds.length });
      for (const [id, logprob] of topK(processed, keepCount)) {
        if (logprob === Number.NEGATIVE_INFINITY) break;
        candidates.push({
          beam: b,
          id,
          logprob,
          score: beam.score + logprob,
          flat: b * source.vocabSize + id,
          rawLogprobs,
          rawTop,
        });
      }
    }
    candidates.sort((x, y) => (candidateBefore(x.flat, x.score, y.flat, y.score) ? -1 : 1));
    candidates.length = Math.min(candidates.length, keepCount);

    const next: OpenBeam[] = [];
    const sourceBeams: number[] = [];
    const fates: BeamCandidate[] = [];
    for (const [rank, c] of candidates.entries()) {
      const seen = { beam: c.beam, id: c.id, logprob: c.logprob, score: c.score };
      if (next.length === numBeams) {
        fates.push({ ...seen, fate: 'dropped', why: 'cut' });
        continue;
      }
      const parent = beams[c.beam]!;
      const steps = [...parent.steps, { id: c.id, logprob: c.rawLogprobs[c.id]!, top: c.rawTop }];
      const generated = [...parent.generated, c.id];
      if (!config.eos_token_id.includes(c.id)) {
        fates.push({ ...seen, fate: 'kept', nextBeam: next.length });
        next.push({ generated, steps, score: c.score });
        sourceBeams.push(c.beam);
      } else if (rank >= numBeams) {
        fates.push({ ...seen, fate: 'dropped', why: 'eos-rank' });
      } else {
        const finished = hyps.add(generated, steps, c.score, true);
        fates.push(
          finished
            ? { ...seen, fate: 'finished', hypothesisScore: finished.score }
            : { ...seen, fate: 'dropped', why: 'eos-worse' },
        );
      }
    }
    beamSteps.push({
      beams: beams.map((b) => ({ tokenIds: b.generated, score: b.score })),
      candidates: fates,
    });
    done = hyps.isDone(candidates[0]?.score ?? Number.NEGATIVE_INFINITY, n + 1) || next.length === 0;
    beams = next;
    choiceMs += performance.now() - t0;
    if (done || n + 1 === config.max_new_tokens) break;

    t0 = performance.now();
    await source.reorder(sourceBeams);
    logits = await source.step(beams.map((beam) => beam.generated[beam.generated.length - 1]!));
    stepMs.push(performance.now() - t0);
  }

  // HF's finalize: unless the search ended as done, the open beams compete with the finished ones.
  if (!done) for (const beam of beams) hyps.add(beam.generated, beam.steps, beam.score, false);

  const nBest = hyps.best(numBeams);
  const sequences = nBest.slice(0, config.num_return_sequences).map((h) => ({
    tokenIds: h.tokenIds,
    steps: h.steps,
    totalLogprob: h.steps.reduce((sum, s) => sum + s.logprob, 0),
    finishReason: h.endedWithEos ? ('eos' as const) : ('max_new_tokens' as const),
    score: h.score,
  }));
  return {
    strategy: 'beam',
    config,
    promptIds: [...promptIds],
    processors: chain.processors.map((p) => p.name),
    sequences,
    beamSteps,
    hypotheses: nBest.map((h) => ({
      tokenIds: h.tokenIds,
      sumLogprobs: h.sumLogprobs,
      score: h.score,
      endedWithEos: h.endedWithEos,
    })),
    timing: { prefillMs, stepMs, choiceMs },
  };
}
