import type {
  BackendInfo,
  ComputeDtype,
  Logits,
  LogitsSource,
  PrefillOptions,
} from '../../harness/core/backend/contract.ts';
import { RowContexts } from './row-contexts.ts';

/** Next-token logits (length vocabSize) for a whole context: prompt + tokens generated so far. */
export type Script = (context: readonly number[]) => ArrayLike<number>;

export interface ScriptedSourceOptions {
  readonly vocabSize: number;
  /** n_positions of the pretend model. Default 1024. */
  readonly maxPositions?: number;
  /**
   * The dtype to report (default float64). Golden checks pick their tolerances by it, so a script
   * can play a float32 backend whose logits differ from the reference by float noise.
   */
  readonly dtype?: ComputeDtype;
}

/**
 * A LogitsSource that replays logits a test wrote down: each row's next-token logits are
 * `script(context)`. No weights, no cache to get wrong, so strategy tests can be checked by hand
 * (a beam walk over three tokens, a coin against a three-token CDF). Padding columns of an
 * all-positions prefill hold zeros. Never registered: tests construct it directly.
 */
export class ScriptedSource implements LogitsSource {
  readonly info: BackendInfo;
  readonly vocabSize: number;
  readonly maxPositions: number;
  /** Every context the script was asked about, in call order. */
  readonly calls: number[][] = [];
  readonly #script: Script;
  readonly #rows = new RowContexts();

  constructor(script: Script, options: ScriptedSourceOptions) {
    this.#script = script;
    this.info = {
      id: 'scripted',
      device: 'host',
      deviceKind: 'cpu',
      executionProvider: 'scripted',
      dtype: options.dtype ?? 'float64',
      threads: 1,
      versions: {},
    };
    this.vocabSize = options.vocabSize;
    this.maxPositions = options.maxPositions ?? 1024;
  }

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    this.#rows.prefill(rows);
    const positions = options.allPositions ? this.#rows.maxLength : 1;
    const first = this.#rows.maxLength - positions;
    return this.#logits(positions, (b, p) => this.#rows.contextAt(b, first + p));
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    this.#rows.step(tokens);
    return this.#logits(1, (b) => this.#rows.rows[b]!);
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    this.#rows.reorder(sourceRows);
  }

  reset(): void {
    this.#rows.reset();
  }

  async dispose(): Promise<void> {}

  #logits(positions: number, contextOf: (b: number, p: number) => readonly number[] | null): Logits {
    const batch = this.#rows.rows.length;
    const vocab = this.vocabSize;
    const data = new Float64Array(batch * positions * vocab); // [batch, positions, vocab]
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < positions; p++) {
        const context = contextOf(b, p);
        if (context === null) continue;
        this.calls.push([...context]);
        const row = this.#script(context);
        if (row.length !== vocab) {
          throw new Error(`script returned ${row.length} logits for context [${context}]; expected ${vocab}`);
        }
        data.set(Array.from(row), (b * positions + p) * vocab);
      }
    }
    return { batch, positions, vocab, data };
  }
}
