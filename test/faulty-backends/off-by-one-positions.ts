import { Gpt2F32 } from '../../backends/ts-kernels/gpt2-f32.ts';
import { MatmulThreads } from '../../backends/ts-kernels/matmul-threads.ts';
import type { Logits, LogitsSource, PrefillOptions } from '../../harness/core/backend/contract.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { gpt2WeightsOf } from './gpt2-weights-of.ts';
import { WrappedSource } from './wrapped-source.ts';

/**
 * Fault (b): from the `fromStep`-th cached step after a prefill on, every new token gets position
 * id p + 1 instead of p — the classic off-by-one once the cache has grown. Built on `ts:f32`: in
 * GPT-2 a position id only selects a row of the learned table wpe, so the fault shifts this
 * instance's own copy of wpe by one row (wpe[p] ← wpe[p + 1]; the last row stays) at that step.
 * Tokens already cached keep the keys and values computed with the right positions.
 */
export class OffByOnePositions extends WrappedSource {
  readonly #fromStep: number;
  /** The table the inner backend reads, [P, C]; edited in place. */
  readonly #wpe: Float32Array;
  readonly #correctWpe: Float32Array;
  readonly #width: number;
  #steps = 0;

  static create(model: ModelDir, fromStep: number): OffByOnePositions {
    const weights = gpt2WeightsOf(model, Float32Array, 'the off-by-one position fault');
    const { wpe } = weights;
    return new OffByOnePositions(
      new Gpt2F32(weights, MatmulThreads.start(1)),
      wpe,
      weights.config.n_embd,
      fromStep,
    );
  }

  private constructor(inner: LogitsSource, wpe: Float32Array, width: number, fromStep: number) {
    if (!Number.isInteger(fromStep) || fromStep < 1) {
      throw new Error(`fromStep ${fromStep} must be a whole number ≥ 1 (the first cached step is 1)`);
    }
    super(inner, `faulty:position-off-by-one-from-step-${fromStep}`);
    this.#wpe = wpe;
    this.#correctWpe = wpe.slice();
    this.#width = width;
    this.#fromStep = fromStep;
  }

  override prefill(rows: readonly (readonly number[])[], options?: PrefillOptions): Promise<Logits> {
    this.#restore();
    return this.inner.prefill(rows, options);
  }

  override step(tokens: readonly number[]): Promise<Logits> {
    this.#steps++;
    if (this.#steps === this.#fromStep) this.#wpe.set(this.#correctWpe.subarray(this.#width));
    return this.inner.step(tokens);
  }

  override reset(): void {
    this.#restore();
    this.inner.reset();
  }

  #restore(): void {
    this.#steps = 0;
    this.#wpe.set(this.#correctWpe);
  }
}
