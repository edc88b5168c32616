import type { Logits, LogitsSource, PrefillOptions } from '../../harness/core/backend/contract.ts';
import { WrappedSource } from './wrapped-source.ts';

/**
 * Fault (a): Gaussian noise of standard deviation `sigma` (logit units) on every logit the inner
 * source returns, as a numerically sloppy kernel would add. For small noise the KL divergence
 * from the clean distribution is about σ²/2, so agreement metrics should grow with σ².
 * `uniform` is a seeded stream of doubles in [0, 1) (the caller owns the randomness).
 */
export class NoisyLogits extends WrappedSource {
  readonly #sigma: number;
  readonly #uniform: () => number;

  constructor(inner: LogitsSource, sigma: number, uniform: () => number) {
    if (!(sigma >= 0)) throw new Error(`noise sigma ${sigma} must be a number ≥ 0`);
    super(inner, `faulty:noise-${sigma}`);
    this.#sigma = sigma;
    this.#uniform = uniform;
  }

  override async prefill(rows: readonly (readonly number[])[], options?: PrefillOptions): Promise<Logits> {
    return this.#noisy(await this.inner.prefill(rows, options));
  }

  override async step(tokens: readonly number[]): Promise<Logits> {
    return this.#noisy(await this.inner.step(tokens));
  }

  #noisy(logits: Logits): Logits {
    const data = Float64Array.from(logits.data);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! + this.#sigma * this.#gaussian();
    return { ...logits, data };
  }

  /** One standard normal draw by Box–Muller (1 − u keeps the logarithm's argument in (0, 1]). */
  #gaussian(): number {
    const u = 1 - this.#uniform();
    const v = this.#uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
