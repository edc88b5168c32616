import type {
  BackendInfo,
  Logits,
  LogitsSource,
  PrefillOptions,
} from '../../harness/core/backend/contract.ts';

/**
 * A LogitsSource that forwards every call to a real one and reports itself under its own id, so a
 * report can tell the faulty variant from the clean backend it was built from. Faults override the
 * calls they corrupt. These sources are never registered: tests construct them directly.
 */
export class WrappedSource implements LogitsSource {
  readonly info: BackendInfo;
  readonly vocabSize: number;
  readonly maxPositions: number;

  constructor(
    protected readonly inner: LogitsSource,
    id: string,
  ) {
    this.info = { ...inner.info, id };
    this.vocabSize = inner.vocabSize;
    this.maxPositions = inner.maxPositions;
  }

  prefill(rows: readonly (readonly number[])[], options?: PrefillOptions): Promise<Logits> {
    return this.inner.prefill(rows, options);
  }

  step(tokens: readonly number[]): Promise<Logits> {
    return this.inner.step(tokens);
  }

  reorder(sourceRows: readonly number[]): Promise<void> {
    return this.inner.reorder(sourceRows);
  }

  reset(): void {
    this.inner.reset();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}
