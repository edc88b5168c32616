import type {
  BackendInfo,
  DecoderProbe,
  ProbePass,
  ProbeTensor,
} from '../../harness/core/backend/contract.ts';
import { float16Value } from '../../harness/core/model/float16.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import type { DecoderLayout } from '../onnx-shared/decoder-io.ts';
import { probeFeeds } from '../onnx-shared/probe-feeds.ts';
import { openF64Graph, typeNameOf } from './f64-forward.ts';
import { ElemTypes, type F64Tensor, tensor } from './f64-tensor.ts';
import type { GraphRunner } from './graph-runner.ts';

const FEED_TYPES = {
  int64: ElemTypes.INT64,
  bool: ElemTypes.BOOL,
  float32: ElemTypes.FLOAT,
  float16: ElemTypes.FLOAT16,
} as const;

/** An exposed graph on the float64 interpreter: the values every node computes, unrounded. */
class F64Probe implements DecoderProbe {
  constructor(
    readonly info: BackendInfo,
    private readonly runner: GraphRunner,
    private readonly layout: DecoderLayout,
    private readonly model: ModelDir,
  ) {}

  async run(pass: ProbePass): Promise<Map<string, ProbeTensor>> {
    const feeds = new Map<string, F64Tensor>();
    for (const feed of probeFeeds(this.layout, this.model.config, pass)) {
      // The cache as the onnxruntime backends read it: float16 bits widened back, float32 exactly.
      const data =
        feed.type === 'float16'
          ? Float64Array.from(feed.data, float16Value)
          : Float64Array.from(feed.data as ArrayLike<number | bigint | boolean>, Number);
      feeds.set(feed.name, tensor(FEED_TYPES[feed.type], feed.dims, data));
    }
    const outputs = this.runner.run(feeds);
    return new Map(
      [...outputs].map(([name, t]) => [name, { type: typeNameOf(t.elemType), dims: t.dims, data: t.data }]),
    );
  }

  async dispose(): Promise<void> {}
}

export function openF64Probe(model: ModelDir, graphPath: string): DecoderProbe {
  const { runner, layout, info } = openF64Graph(model, graphPath);
  return new F64Probe(info, runner, layout, model);
}
