import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { type BackendInfo, type Logits, lastPositionLogits } from '../../harness/core/backend/contract.ts';
import { BackendUnavailable, ModelDirError } from '../../harness/core/errors.ts';
import { headDim, numKvHeads, numLayers } from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { type DecoderRun, decoderInputs } from '../onnx-shared/decoder-inputs.ts';
import { checkDecoderIo, type DecoderLayout } from '../onnx-shared/decoder-io.ts';
import { type ForwardPass, TimingLog } from '../onnx-shared/forward-pass.ts';
import { ExternalBytes } from './decode-tensor.ts';
import { ElemTypes, type F64Tensor, sizeOf, tensor } from './f64-tensor.ts';
import { GraphRunner } from './graph-runner.ts';
import { missingOps } from './op-registry.ts';

const { onnx } = onnxProto;
export const ONNX_F64_ID = 'onnx:f64';

/** onnxruntime's type names, so checkDecoderIo reads this graph as it reads a session's and bisect names types alike. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ElemTypes.FLOAT]: 'float32',
  [ElemTypes.FLOAT16]: 'float16',
  [ElemTypes.BFLOAT16]: 'bfloat16',
  [ElemTypes.DOUBLE]: 'float64',
  [ElemTypes.INT64]: 'int64',
  [ElemTypes.INT32]: 'int32',
  [ElemTypes.INT16]: 'int16',
  [ElemTypes.INT8]: 'int8',
  [ElemTypes.UINT64]: 'uint64',
  [ElemTypes.UINT32]: 'uint32',
  [ElemTypes.UINT16]: 'uint16',
  [ElemTypes.UINT8]: 'uint8',
  [ElemTypes.BOOL]: 'bool',
};

export function typeNameOf(elemType: number): string {
  return TYPE_NAMES[elemType] ?? `type ${elemType}`;
}

function metadata(values: readonly OnnxTypes.IValueInfoProto[]): InferenceSession.ValueMetadata[] {
  return values.map((v) => {
    const t = v.type?.tensorType;
    if (!t) return { name: v.name ?? '', isTensor: false };
    const shape = (t.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
    return {
      name: v.name ?? '',
      isTensor: true,
      type: typeNameOf(t.elemType ?? 0),
      shape,
    } as InferenceSession.ValueMetadata;
  });
}

/**
 * `graphPath` (the model's graph, or an exposed copy of it) ready to interpret: every op checked
 * to have a kernel, the decoder I/O checked against `model`'s config.
 */
export function openF64Graph(
  model: ModelDir,
  graphPath: string,
): { runner: GraphRunner; layout: DecoderLayout; info: BackendInfo } {
  let proto: OnnxTypes.ModelProto;
  try {
    proto = onnx.ModelProto.decode(readFileSync(graphPath));
  } catch (error) {
    throw new ModelDirError(
      `could not load ${graphPath}: ${(error as Error).message}; regenerate or re-export the model`,
    );
  }
  const graph = proto.graph!;
  const missing = missingOps(graph);
  if (missing.length > 0) {
    throw new BackendUnavailable(
      ONNX_F64_ID,
      `the float64 interpreter has no kernel for ${missing.join(', ')} in ${model.graph.file}`,
      'run this graph on an onnxruntime backend, or pick a variant without these ops (--dtype)',
    );
  }
  const layout = checkDecoderIo(
    { inputMetadata: metadata(graph.input ?? []), outputMetadata: metadata(graph.output ?? []) },
    model.config,
    { onnxPath: graphPath, configPath: join(model.path, 'config.json') },
  );
  const runner = new GraphRunner(graph, new ExternalBytes(dirname(graphPath)));
  const info: BackendInfo = {
    id: ONNX_F64_ID,
    device: `cpu (${cpus()[0]?.model ?? 'unknown model'})`,
    deviceKind: 'cpu',
    executionProvider: `float64 ONNX interpreter (${model.graph.file})`,
    dtype: 'float64',
    // The graph's constants are stored in its float type; that bounds agreement with the model's math.
    toleranceDtype: layout.float,
    threads: 1,
    versions: { node: process.versions.node },
  };
  return { runner, layout, info };
}

/**
 * The forward pass of `onnx:f64`: the model dir's graph (any variant) interpreted in float64, with
 * every initializer decoded exactly (graph-runner.ts). The KV cache stays in float64 between calls.
 */
export class F64Forward implements ForwardPass {
  readonly timing = new TimingLog();
  private cache: F64Tensor[] = [];

  private constructor(
    private readonly runner: GraphRunner,
    private readonly layout: DecoderLayout,
    private readonly model: ModelDir,
  ) {}

  static open(model: ModelDir): { forward: F64Forward; info: BackendInfo } {
    const { runner, layout, info } = openF64Graph(model, model.onnxPath);
    return { forward: new F64Forward(runner, layout, model), info };
  }

  async run(run: DecoderRun): Promise<Logits> {
    const startMs = performance.now();
    const feeds = new Map<string, F64Tensor>();
    for (const input of decoderInputs(this.layout, run)) {
      const type = input.type === 'int64' ? ElemTypes.INT64 : ElemTypes.BOOL;
      const data =
        input.type === 'int64'
          ? Float64Array.from(input.data, Number)
          : Float64Array.from(input.data, Number);
      feeds.set(input.name, tensor(type, input.dims, data));
    }
    const { config } = this.model;
    const cacheType = this.layout.float === 'float16' ? ElemTypes.FLOAT16 : ElemTypes.FLOAT;
    const empty = tensor(cacheType, [run.batch, numKvHeads(config), 0, headDim(config)], new Float64Array(0));
    for (let i = 0; i < numLayers(config); i++) {
      ['key', 'value'].forEach((kv, j) => {
        feeds.set(`past_key_values.${i}.${kv}`, run.freshCache ? empty : this.cache[2 * i + j]!);
      });
    }
    const outputs = this.runner.run(feeds);
    this.cache = Array.from(
      { length: 2 * numLayers(config) },
      (_, k) => outputs.get(`present.${Math.floor(k / 2)}.${k % 2 === 0 ? 'key' : 'value'}`)!,
    );
    const logits = outputs.get('logits')!;
    const [batch, positions, vocab] = logits.dims as [number, number, number];
    const modelMs = performance.now() - startMs;
    this.timing.record({ call: run.freshCache ? 'prefill' : 'step', modelMs, roundTripMs: modelMs });
    return run.allPositions
      ? { batch, positions, vocab, data: logits.data }
      : lastPositionLogits(logits.data, batch, positions, vocab);
  }

  async gather(sourceRows: readonly number[]): Promise<void> {
    const startMs = performance.now();
    this.cache = this.cache.map((t) => {
      const row = sizeOf(t.dims.slice(1));
      const data = new Float64Array(sourceRows.length * row);
      sourceRows.forEach((r, b) => {
        data.set(t.data.subarray(r * row, (r + 1) * row), b * row);
      });
      return tensor(t.elemType, [sourceRows.length, ...t.dims.slice(1)], data);
    });
    const modelMs = performance.now() - startMs;
    this.timing.record({ call: 'reorder', modelMs, roundTripMs: modelMs });
  }

  async dispose(): Promise<void> {
    this.cache = [];
  }
}
