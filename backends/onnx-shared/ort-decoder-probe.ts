import type {
  BackendInfo,
  DecoderProbe,
  ProbePass,
  ProbeTensor,
} from '../../harness/core/backend/contract.ts';
import type { ModelConfig } from '../../harness/core/model/model-config.ts';
import type { DecoderLayout } from './decoder-io.ts';
import { type ProbeFeed, probeFeeds, probeTensorOf } from './probe-feeds.ts';

/** What a probe needs of an onnxruntime session, node or web: run by name, release. */
export interface ProbeSession<T> {
  run(
    feeds: Record<string, T>,
  ): Promise<Record<string, { type: string; dims: readonly number[]; data: unknown }>>;
  release(): Promise<void>;
}

/**
 * A DecoderProbe over an onnxruntime session of an exposed graph; `tensor` wraps a feed in the
 * runtime's own Tensor class. Every output comes back to the CPU (the default output location),
 * WebGPU's included.
 */
export class OrtDecoderProbe<T> implements DecoderProbe {
  constructor(
    readonly info: BackendInfo,
    private readonly session: ProbeSession<T>,
    private readonly layout: DecoderLayout,
    private readonly config: ModelConfig,
    private readonly tensor: (feed: ProbeFeed) => T,
  ) {}

  async run(pass: ProbePass): Promise<Map<string, ProbeTensor>> {
    const feeds = Object.fromEntries(
      probeFeeds(this.layout, this.config, pass).map((f) => [f.name, this.tensor(f)]),
    );
    const outputs = await this.session.run(feeds);
    return new Map(Object.entries(outputs).map(([name, t]) => [name, probeTensorOf(t)]));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
