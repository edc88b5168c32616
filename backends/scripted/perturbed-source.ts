import type {
  BackendInfo,
  Logits,
  LogitsSource,
  PrefillOptions,
} from '../../harness/core/backend/contract.ts';
import { RowContexts } from './row-contexts.ts';

/**
 * Where to nudge one logit: the next-token logits after exactly `context` (prompt + the tokens
 * generated so far), so a test can aim at one step of one golden case (prompt + its first 5 tokens
 * is step 5).
 */
export interface Perturbation {
  readonly context: readonly number[];
  readonly tokenId: number;
  /** Added to that logit, logit units. */
  readonly delta: number;
}

/**
 * Wraps a real backend and adds `delta` to one logit in one place, as a subtle kernel bug would:
 * free-running steps and teacher-forced all-positions prefills see the same nudge, so the golden
 * check must name that case and that step. Reports itself as `<inner id>+perturbed` with the inner
 * dtype (so the inner backend's tolerances apply). Never registered: tests construct it directly.
 */
export class PerturbedSource implements LogitsSource {
  readonly info: BackendInfo;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly #inner: LogitsSource;
  readonly #perturbation: Perturbation;
  readonly #rows = new RowContexts();

  constructor(inner: LogitsSource, perturbation: Perturbation) {
    if (!(perturbation.tokenId >= 0 && perturbation.tokenId < inner.vocabSize)) {
      throw new Error(`perturbation token ${perturbation.tokenId} is outside the vocabulary`);
    }
    this.#inner = inner;
    this.#perturbation = perturbation;
    this.info = { ...inner.info, id: `${inner.info.id}+perturbed` };
    this.vocabSize = inner.vocabSize;
    this.maxPositions = inner.maxPositions;
  }

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    this.#rows.prefill(rows);
    const logits = await this.#inner.prefill(rows, options);
    const first = this.#rows.maxLength - logits.positions;
    return this.#perturb(logits, (b, p) => this.#rows.contextAt(b, first + p));
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    this.#rows.step(tokens);
    return this.#perturb(await this.#inner.step(tokens), (b) => this.#rows.rows[b]!);
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    this.#rows.reorder(sourceRows);
    await this.#inner.reorder(sourceRows);
  }

  reset(): void {
    this.#rows.reset();
    this.#inner.reset();
  }

  dispose(): Promise<void> {
    return this.#inner.dispose();
  }

  #perturb(logits: Logits, contextOf: (b: number, p: number) => readonly number[] | null): Logits {
    const { context: target, tokenId, delta } = this.#perturbation;
    let data: Float32Array | Float64Array | null = null;
    for (let b = 0; b < logits.batch; b++) {
      for (let p = 0; p < logits.positions; p++) {
        const context = contextOf(b, p);
        if (context?.length !== target.length || target.some((id, i) => context[i] !== id)) continue;
        data ??= Float64Array.from(logits.data); // never write into the inner backend's buffer
        data[(b * logits.positions + p) * logits.vocab + tokenId]! += delta;
      }
    }
    return data ? { ...logits, data } : logits;
  }
}
