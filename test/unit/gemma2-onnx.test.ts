import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { missingOps } from '../../backends/onnx-f64/op-registry.ts';
import { Gemma2F64 } from '../../backends/ts-kernels/gemma2-f64.ts';
import { gemma2Weights } from '../../backends/ts-kernels/gemma2-weights.ts';
import { type Logits, logitsRow } from '../../harness/core/backend/contract.ts';
import { attentionMasks } from '../../harness/core/onnx/onnx-decoder-io.ts';
import { ElemType, type FloatType, OnnxGraph } from '../../harness/core/onnx/onnx-graph.ts';
import { maxAbsDiff } from '../../harness/engine/conformance/tolerances.ts';
import { buildGemma2Onnx } from '../../harness/engine/model-gen/gemma2-onnx.ts';
import { generateGemma2Weights } from '../../harness/engine/model-gen/generate-gemma2-weights.ts';
import { rmsNormOps } from '../../harness/engine/model-gen/rotary-onnx.ts';
import { decoderFeeds, int64 } from './helpers/ort-decoder-feeds.ts';
import { GEMMA2_VARIANTS, smallGemma2Config } from './helpers/random-gemma2.ts';

const { onnx } = onnxProto;
const cpu = { executionProviders: ['cpu'] };
const encode = (g: OnnxGraph) =>
  g.encode({ graphName: 't', irVersion: 8, opset: 17, producerName: 'gemma2-onnx.test' });

describe('buildGemma2Onnx', () => {
  it('writes the same bytes for the same weights, in ops the float64 interpreter implements', () => {
    const config = smallGemma2Config();
    const weights = generateGemma2Weights(config, 3);
    const bytes = buildGemma2Onnx(config, weights);
    expect(Buffer.from(bytes).equals(Buffer.from(buildGemma2Onnx(config, weights)))).toBe(true);
    expect(missingOps(onnx.ModelProto.decode(bytes).graph!)).toEqual([]);
  });

  it.each(GEMMA2_VARIANTS)(
    'computes %s: prefill with a padded row and a cached step match the float64 reference',
    async (_name, config) => {
      const weights = generateGemma2Weights(config, 3);
      const session = await InferenceSession.create(buildGemma2Onnx(config, weights), cpu);
      const reference = new Gemma2F64(gemma2Weights(weights, config, Float64Array, 'weights'));
      const [long, short] = [
        [5, 17, 3, 88, 42, 9],
        [61, 7, 30, 2],
      ];
      const V = config.vocab_size;
      // Row 1 is left-padded by 2 columns, so its columns and positions differ; a third row is
      // fully masked and must stay finite. Both prompts outrun the window of 3.
      const prompt = await session.run(decoderFeeds(config, [long, [0, 0, ...short], long], [0, 2, 6], null));
      const want = await reference.prefill([long, short], { allPositions: true });
      const got: Logits = { batch: 3, positions: 6, vocab: V, data: prompt.logits!.data as Float32Array };
      for (let p = 0; p < 6; p++)
        expect(maxAbsDiff(logitsRow(got, 0, p), logitsRow(want, 0, p))).toBeLessThan(1e-4);
      for (let p = 2; p < 6; p++)
        expect(maxAbsDiff(logitsRow(got, 1, p), logitsRow(want, 1, p))).toBeLessThan(1e-4);
      for (const name of session.outputNames) {
        expect((prompt[name]!.data as Float32Array).every(Number.isFinite), name).toBe(true);
      }
      const step = await session.run(decoderFeeds(config, [[11], [12], [13]], [0, 2, 6], prompt, 6));
      const wantStep = await reference.step([11, 12]);
      const gotStep: Logits = { batch: 3, positions: 1, vocab: V, data: step.logits!.data as Float32Array };
      for (const b of [0, 1])
        expect(maxAbsDiff(logitsRow(gotStep, b), logitsRow(wantStep, b))).toBeLessThan(1e-4);
      await session.release();
    },
  );

  it('stores √hidden_size and query_pre_attn_scalar^-0.5 in the graph’s float type', () => {
    const config = smallGemma2Config();
    const weights = generateGemma2Weights(config, 3);
    const constant = (float: FloatType, node: string): number => {
      const graph = onnx.ModelProto.decode(buildGemma2Onnx(config, weights, { float })).graph!;
      const name = graph.node!.find((n) => n.name === node)!.input![1]!;
      const raw = graph.initializer!.find((t) => t.name === name)!.rawData!;
      const bytes = new Uint8Array(raw).slice().buffer;
      return float === 'float64' ? new Float64Array(bytes)[0]! : new Float32Array(bytes)[0]!;
    };
    expect(constant('float32', 'inputs_embeds_normalized')).toBe(Math.fround(Math.sqrt(18)));
    expect(constant('float64', 'inputs_embeds_normalized')).toBe(Math.sqrt(18));
    const scores = 'model.layers.0.self_attn.scaled_scores';
    expect(constant('float32', scores)).toBe(Math.fround(5 ** -0.5));
    expect(constant('float64', scores)).toBe(5 ** -0.5);
  });
});

describe('the Gemma-2 graph pieces against hand-computed values', () => {
  it('the sliding-window mask: key column j within the window of query column i, after padding and causality', async () => {
    const g = new OnnxGraph();
    const ids = g.input('input_ids', ElemType.int64, ['batch', 'seq']);
    const mask = g.input('attention_mask', ElemType.int64, ['batch', 'total']);
    const { full, sliding } = attentionMasks(g, ids, mask, 2);
    g.output(full, ElemType.bool, ['batch', 1, 'seq', 'total']);
    g.output(sliding!, ElemType.bool, ['batch', 1, 'seq', 'total']);
    const session = await InferenceSession.create(encode(g), cpu);
    // Two cached columns and three new queries (columns 2, 3, 4); row 1 is left-padded by 2.
    const out = await session.run({
      input_ids: int64([1, 2, 3, 4, 5, 6], [2, 3]),
      attention_mask: int64([1, 1, 1, 1, 1, 0, 0, 1, 1, 1], [2, 5]),
    });
    const rows = (t: Tensor) =>
      Array.from({ length: 6 }, (_, r) => Array.from((t.data as Uint8Array).slice(r * 5, r * 5 + 5)));
    expect(rows(out[full] as Tensor)).toEqual([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1],
      [0, 0, 1, 0, 0],
      [0, 0, 1, 1, 0],
      [0, 0, 1, 1, 1],
    ]);
    // Window 2: query i sees j with i − j < 2, i.e. itself and the position before it.
    expect(rows(out[sliding!] as Tensor)).toEqual([
      [0, 1, 1, 0, 0],
      [0, 0, 1, 1, 0],
      [0, 0, 0, 1, 1],
      [0, 0, 1, 0, 0],
      [0, 0, 1, 1, 0],
      [0, 0, 0, 1, 1],
    ]);
    await session.release();
  });

  it('RMSNorm by (1 + weight), the Add in the graph', async () => {
    const g = new OnnxGraph();
    const x = g.input('x', ElemType.float, [1, 4]);
    const w = Float32Array.of(0, 0.5, -0.5, 1);
    const dims = { hidden_size: 4, rms_norm_eps: 1e-6 } as Parameters<typeof rmsNormOps>[2];
    const out = rmsNormOps(g, (name, shape) => g.floatInitializer(name, shape, w), dims, true)('norm', x);
    g.output(out, ElemType.float, [1, 4]);
    const session = await InferenceSession.create(encode(g), cpu);
    const y = (await session.run({ x: new Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]) }))[out]!;
    // x / √(mean(x²) + 1e-6) · (1 + w) for x = 1, 2, 3, 4: mean(x²) = 7.5.
    const expected = [0.3651483473268884, 1.0954450419806652, 0.5477225209903326, 2.921186778615107];
    for (const [i, v] of expected.entries()) expect((y.data as Float32Array)[i]).toBeCloseTo(v, 6);
    await session.release();
  });
});
