import type { StepRecord } from './decode-result.ts';

/** A finished beam: its generated ids, step records and HF score. */
export interface Hypothesis {
  readonly tokenIds: readonly number[];
  readonly steps: readonly StepRecord[];
  /** Sum of its processed logprobs, nats. */
  readonly sumLogprobs: number;
  /** sumLogprobs / generatedLength^length_penalty. */
  readonly score: number;
  readonly endedWithEos: boolean;
}

/**
 * The n-best list of finished hypotheses, as HF's BeamHypotheses (generation/beam_search.py):
 * keeps the num_beams best by score and decides when no open beam can beat the worst of them.
 */
export class BeamHypotheses {
  readonly #numBeams: number;
  readonly #lengthPenalty: number;
  readonly #earlyStopping: boolean | 'never';
  readonly #maxNewTokens: number;
  #hyps: Hypothesis[] = [];

  constructor(
    numBeams: number,
    lengthPenalty: number,
    earlyStopping: boolean | 'never',
    maxNewTokens: number,
  ) {
    this.#numBeams = numBeams;
    this.#lengthPenalty = lengthPenalty;
    this.#earlyStopping = earlyStopping;
    this.#maxNewTokens = maxNewTokens;
  }

  get size(): number {
    return this.#hyps.length;
  }

  #worstScore(): number {
    return this.#hyps.reduce((worst, h) => Math.min(worst, h.score), Number.POSITIVE_INFINITY);
  }

  /** HF's add: score = sumLogprobs / generatedLength^length_penalty; the hypothesis if it entered the list. */
  add(
    tokenIds: readonly number[],
    steps: readonly StepRecord[],
    sumLogprobs: number,
    endedWithEos: boolean,
  ): Hypothesis | null {
    const score = sumLogprobs / tokenIds.length ** this.#lengthPenalty;
    if (this.#hyps.length >= this.#numBeams && !(score > this.#worstScore())) return null;
    const hypothesis = { tokenIds, steps, sumLogprobs, score, endedWithEos };
    this.#hyps.push(hypothesis);
    if (this.#hyps.length > this.#numBeams) {
      // Drop the worst; among equal scores the one added first goes, as HF's sorted() + del does.
      let worst = 0;
      for (let i = 1; i < this.#hyps.length; i++)
        if (this.#hyps[i]!.score < this.#hyps[worst]!.score) worst = i;
      this.#hyps.splice(worst, 1);
    }
    return hypothesis;
  }

  /**
   * HF's is_done: with `bestSumLogprobs` the best open beam's running sum at `generatedLength`
   * tokens, can any open beam still beat the worst kept hypothesis?
   */
  isDone(bestSumLogprobs: number, generatedLength: number): boolean {
    if (this.#hyps.length < this.#numBeams) return false;
    if (this.#earlyStopping === true) return true;
    const length =
      this.#earlyStopping === 'never' && this.#lengthPenalty > 0 ? this.#maxNewTokens : generatedLength;
    return this.#worstScore() >= bestSumLogprobs / length ** this.#lengthPenalty;
  }

  /** Best first; among equal scores the later-added first, as HF's ascending sort + pop() gives. */
  best(count: number): Hypothesis[] {
    return [...this.#hyps]
      .sort((a, b) => a.score - b.score)
      .reverse()
      .slice(0, count);
  }
}
