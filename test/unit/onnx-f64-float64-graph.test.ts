import { readFileSync } from 'node:fs';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { ElemTypes, type F64Tensor, sizeOf, tensor } from '../../backends/onnx-f64/f64-tensor.ts';
import { GraphRunner } from '../../backends/onnx-f64/graph-runner.ts';
import type { DecoderRun } from '../../backends/onnx-shared/decoder-inputs.ts';
import { KvDecoderSource } from '../../backends/onnx-shared/decoder-source.ts';
import { type ForwardPass, TimingLog } from '../../backends/onnx-shared/forward-pass.ts';
import { createBackend } from '../../harness/app/registry.ts';
import {
  type BackendInfo,
  type Logits,
  type LogitsSource,
  lastPositionLogits,
} from '../../harness/core/backend/contract.ts';
import {
  familyNameOf,
  headDim,
  type ModelConfig,
  numKvHeads,
  numLayers,
} from '../../harness/core/model/model-config.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { readSafetensors } from '../../harness/core/model/safetensors.ts';
import type { OnnxWeight } from '../../harness/core/onnx/onnx-decoder-io.ts';
import type { FloatType } from '../../harness/core/onnx/onnx-graph.ts';
import { maxAbsDiff } from '../../harness/engine/conformance/tolerances.ts';
import { FAMILY_WRITERS, type FamilyWriter } from '../../harness/engine/model-gen/family-writers.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';

const { onnx } = onnxProto;

/** The rows and calls of onnx-f64-backend.test.ts: a padded prefill, two cached steps, a reorder, one more step. */
const ROWS = [
  [464, 2068, 7586, 21831, 18045, 625],
  [15496, 11],
];

async function calls(source: LogitsSource): Promise<Logits[]> {
  const out = [await source.prefill(ROWS)];
  for (const t of [262, 290]) out.push(await source.step(ROWS.map(() => t)));
  await source.reorder(ROWS.map(() => 0));
  out.push(await source.step(ROWS.map(() => 13)));
  source.reset();
  return out;
}

/** model.safetensors' float32 weights (names without `transformer.`), as the graph writers take them. */
function safetensorsWeights(path: string): Map<string, OnnxWeight> {
  return new Map(
    [...readSafetensors(path)].map(([name, t]) => {
      if (t.dtype !== 'F32' || !(t.data instanceof Float32Array)) throw new Error(`${name} is ${t.dtype}`);
      return [name, { dtype: 'F32', shape: t.shape, data: t.data }];
    }),
  );
}

/** The model's graph as the project's writer builds it, in `float`. */
function buildGraph(config: ModelConfig, weights: Map<string, OnnxWeight>, float: FloatType): Uint8Array {
  // The family's writer takes the config of that family, which model_type chose.
  const writer = FAMILY_WRITERS[familyNameOf(config)] as FamilyWriter<ModelConfig, unknown>;
  return writer.onnxGraph(config, weights, float);
}

/**
 * A graph on the float64 interpreter behind KvDecoderSource, which pads, masks, numbers positions
 * and reorders exactly as for onnx:f64; the cache stays float64 between runs. Feeds position_ids,
 * which the eager graphs take.
 */
class GraphForward implements ForwardPass {
  readonly timing = new TimingLog();
  private cache: F64Tensor[] = [];

  constructor(
    private readonly runner: GraphRunner,
    private readonly config: ModelConfig,
    private readonly cacheType: number,
  ) {}

  async run(run: DecoderRun): Promise<Logits> {
    const ids = (name: string, data: BigInt64Array, width: number): [string, F64Tensor] => [
      name,
      tensor(ElemTypes.INT64, [run.batch, width], Float64Array.from(data, Number)),
    ];
    const feeds = new Map([
      ids('input_ids', run.inputIds, run.seq),
      ids('attention_mask', run.attentionMask, run.total),
      ids('position_ids', run.positionIds, run.seq),
    ]);
    const { config } = this;
    const empty = tensor(
      this.cacheType,
      [run.batch, numKvHeads(config), 0, headDim(config)],
      new Float64Array(0),
    );
    for (let i = 0; i < 2 * numLayers(config); i++) {
      const name = `past_key_values.${Math.floor(i / 2)}.${i % 2 === 0 ? 'key' : 'value'}`;
      feeds.set(name, run.freshCache ? empty : this.cache[i]!);
    }
    const outputs = this.runner.run(feeds);
    this.cache = Array.from(
      { length: 2 * numLayers(config) },
      (_, i) => outputs.get(`present.${Math.floor(i / 2)}.${i % 2 === 0 ? 'key' : 'value'}`)!,
    );
    const logits = outputs.get('logits')!;
    const [batch, positions, vocab] = logits.dims as [number, number, number];
    return lastPositionLogits(logits.data, batch, positions, vocab);
  }

  async gather(sourceRows: readonly number[]): Promise<void> {
    this.cache = this.cache.map((t) => {
      const row = sizeOf(t.dims.slice(1));
      const data = new Float64Array(sourceRows.length * row);
      sourceRows.forEach((r, b) => {
        data.set(t.data.subarray(r * row, (r + 1) * row), b * row);
      });
      return tensor(t.elemType, [sourceRows.length, ...t.dims.slice(1)], data);
    });
  }

  async dispose(): Promise<void> {
    this.cache = [];
  }
}

const INFO: BackendInfo = {
  id: 'onnx:f64 (in-memory graph)',
  device: 'cpu',
  deviceKind: 'cpu',
  executionProvider: 'float64 ONNX interpreter',
  dtype: 'float64',
  threads: 1,
  versions: {},
};

/** Every float type a graph declares: initializers, graph I/O and Cast targets. */
function floatTypesOf(graph: OnnxTypes.IGraphProto): Set<number> {
  const floats: ReadonlySet<number> = new Set([ElemTypes.FLOAT, ElemTypes.FLOAT16, ElemTypes.DOUBLE]);
  const types = [
    ...(graph.initializer ?? []).map((t) => t.dataType ?? 0),
    ...[...(graph.input ?? []), ...(graph.output ?? [])].map((v) => v.type?.tensorType?.elemType ?? 0),
    ...(graph.node ?? [])
      .filter((n) => n.opType === 'Cast')
      .map((n) => Number(n.attribute?.find((a) => a.name === 'to')?.i ?? 0)),
  ];
  return new Set(types.filter((t) => floats.has(t)));
}

/** The calls' logits of `source`, disposed afterwards. */
async function logitsOf(source: LogitsSource): Promise<Logits[]> {
  try {
    return await calls(source);
  } finally {
    await source.dispose();
  }
}

/** Largest |Δlogit| over every call. */
function callsDiff(a: readonly Logits[], b: readonly Logits[]): number {
  return Math.max(...a.map((x, i) => maxAbsDiff(x.data, b[i]!.data)));
}

/** The model's graph written in `float` from its model.safetensors, run by the calls on the float64 interpreter. */
async function interpreted(
  model: ModelDir,
  float: FloatType,
): Promise<{ bytes: Uint8Array; graph: OnnxTypes.IGraphProto; logits: Logits[] }> {
  const bytes = buildGraph(model.config, safetensorsWeights(model.safetensorsPath!), float);
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const cacheType = float === 'float64' ? ElemTypes.DOUBLE : ElemTypes.FLOAT;
  const forward = new GraphForward(new GraphRunner(graph, null), model.config, cacheType);
  return { bytes, graph, logits: await logitsOf(new KvDecoderSource(forward, INFO, model.config)) };
}

const reference = new Map<string, Promise<Logits[]>>();
/** ts:f64's logits for the calls (computed once per model). */
function tsF64(model: ModelDir): Promise<Logits[]> {
  let logits = reference.get(model.name);
  if (logits === undefined) {
    logits = createBackend('ts:f64', model).then(logitsOf);
    reference.set(model.name, logits);
  }
  return logits;
}

const MODELS = ['tiny-gpt2', 'tiny-llama', 'tiny-gemma2'];

describe('the model writers’ float64 graph on the float64 interpreter', () => {
  /**
   * The same model as fixtures/models/<name>/onnx/model.onnx, written by the same builder with
   * every float value in float64: weights widened exactly from model.safetensors' float32 (the
   * numbers ts:f64 reads), gelu's √(2/π) and 0.044715, the attention scale, the norms' epsilons
   * (LayerNormalization spelled out in primitive ops, its epsilon being a float32 attribute) and
   * RoPE's cos/sin tables as the exact float64 numbers. Two float64 implementations of one model,
   * the graph and ts:f64 (written from the model's math), then agree to float64 rounding.
   * Measured max |Δlogit|: 2.8e-14 (tiny-gpt2), 4.6e-14 (tiny-llama), 3.9e-14 (tiny-gemma2, whose
   * √48 and 12^-0.5 are then the float64 numbers, as HF computes them in a float64 model).
   */
  it.each(MODELS)(
    '%s: agrees with ts:f64 within 1e-9',
    async (name) => {
      const model = await loadModelDir(name);
      const { graph, logits } = await interpreted(model, 'float64');
      const diff = callsDiff(logits, await tsF64(model));
      console.log(`float64 graph vs ts:f64 on ${name}: max |Δlogit| ${diff.toExponential(2)}`);
      expect([...floatTypesOf(graph)]).toEqual([ElemTypes.DOUBLE]);
      expect(graph.node?.some((n) => n.opType === 'LayerNormalization')).toBe(false);
      expect(diff).toBeLessThanOrEqual(1e-9);
    },
    120_000,
  );

  /**
   * The float32 graph the model dir ships, run the same way, parts from ts:f64 by 7.5e-8
   * (tiny-gpt2), 2.5e-6 (tiny-llama) and 1.6e-6 (tiny-gemma2): that gap is its constants stored rounded to float32, as
   * the weights are the same float32 numbers in both graphs. Rounding only gelu's √(2/π) and
   * 0.044715 in the float64 graph gives tiny-gpt2's 7.5e-8 (LayerNorm's epsilon alone: 6.4e-12);
   * rounding only the RoPE tables gives tiny-llama's 2.5e-6 (RMSNorm's epsilon alone: 3.7e-12).
   * The in-memory path is the backend's: its float32 graph is the model dir's bytes, and onnx:f64
   * on the model dir gives the same logits exactly.
   */
  it.each(MODELS)(
    '%s: the float32 graph, the same way, is onnx:f64 on the model dir and parts by its constants',
    async (name) => {
      const model = await loadModelDir(name);
      const { bytes, logits } = await interpreted(model, 'float32');
      expect(Buffer.from(bytes).equals(readFileSync(model.onnxPath))).toBe(true);
      expect(callsDiff(logits, await logitsOf(await createBackend('onnx:f64', model)))).toBe(0);
      const diff = callsDiff(logits, await tsF64(model));
      console.log(`float32 graph vs ts:f64 on ${name}: max |Δlogit| ${diff.toExponential(2)}`);
      expect(diff).toBeGreaterThan(1e-9);
    },
    120_000,
  );
});
