import { readFileSync } from 'node:fs';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { float16Bits, float16Value } from '../../harness/core/model/float16.ts';
import { ElemType, OnnxGraph } from '../../harness/core/onnx/onnx-graph.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { dequantizeQ4, quantizeQ4 } from '../../harness/engine/model-gen/quantize/q4-weights.ts';
import { quantizeQ8 } from '../../harness/engine/model-gen/quantize/q8-weights.ts';
import { quantizeGraphQ4 } from '../../harness/engine/model-gen/quantize/quantize-graph-q4.ts';
import { quantizeGraphQ4F16 } from '../../harness/engine/model-gen/quantize/quantize-graph-q4f16.ts';
import { quantizeGraphQ8 } from '../../harness/engine/model-gen/quantize/quantize-graph-q8.ts';
import { roundHalfAway, roundHalfEven } from '../../harness/engine/model-gen/quantize/rounding.ts';

const { onnx } = onnxProto;
const { FLOAT, FLOAT16, INT8, UINT8 } = onnx.TensorProto.DataType;

/** Seeded weights in [-1, 1) with every 11th value a ×4 outlier, so blocks differ in range. */
function seededWeights(k: number, n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: k * n }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s / 2 ** 31 - 1;
    return i % 11 === 3 ? 4 * v : v;
  });
}

/** A float32 graph y = a @ W with W [k, n] an initializer. */
function oneMatMul(k: number, n: number, w: Float32Array): Uint8Array {
  const g = new OnnxGraph();
  const a = g.input('a', ElemType.float, ['m', k]);
  g.output(g.op('MatMul', [a, g.floatInitializer('w', [k, n], w)], 'y'), ElemType.float, ['m', n]);
  return g.encode({ graphName: 'mm', irVersion: 8, opset: 17, producerName: 'test' });
}

async function runY(bytes: Uint8Array, a: Tensor): Promise<Tensor> {
  const session = await InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    return (await session.run({ a })).y!;
  } finally {
    await session.release();
  }
}

/** Rows of the K×K identity, then `extra` rows. */
function identityRows(k: number, extra: readonly number[][] = []): Float32Array {
  const out = new Float32Array((k + extra.length) * k);
  for (let i = 0; i < k; i++) out[i * k + i] = 1;
  for (const [r, row] of extra.entries()) out.set(row, (k + r) * k);
  return out;
}

function initializer(model: OnnxTypes.IModelProto, name: string): OnnxTypes.ITensorProto {
  const t = model.graph!.initializer!.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
}
const bytesOf = (t: OnnxTypes.ITensorProto): number[] => Array.from(t.rawData!);
const floatsOf = (t: OnnxTypes.ITensorProto): number[] => {
  const raw = t.rawData!;
  return Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
};
const attrs = (n: OnnxTypes.INodeProto): Record<string, number> =>
  Object.fromEntries((n.attribute ?? []).map((a) => [a.name, Number(a.i)]));

describe('rounding rules', () => {
  it('ties to even (numpy, ORT python) and ties away from zero (MLAS roundf)', () => {
    expect([2.5, 3.5, -2.5, -0.5, 1.4999].map(roundHalfEven)).toEqual([2, 4, -2, -0, 1]);
    expect([2.5, 3.5, -2.5, -0.5, 1.4999].map(roundHalfAway)).toEqual([3, 4, -3, -1, 1]);
  });
});

describe('quantizeQ8 (int8 symmetric, as quantize_dynamic QInt8)', () => {
  it('per tensor: absmax 127 gives scale 1, codes round half to even, zero point 0', () => {
    // W [2, 3] = [[2.5, -0.5, 1.5], [127, -127, 3.25]]: absmax 127, scale = 2·127 / 254 = 1;
    // codes round(w / 1): 2.5 → 2 (tie to even; C roundf would give 3), -0.5 → -0, 1.5 → 2, 3.25 → 3.
    const q = quantizeQ8(Float32Array.of(2.5, -0.5, 1.5, 127, -127, 3.25), 2, 3);
    expect(Array.from(q.scales)).toEqual([1]);
    expect(Array.from(q.zeroPoints)).toEqual([0]);
    expect(Array.from(q.quantized)).toEqual([2, 0, 2, 127, -127, 3]);
    expect(Array.from(q.dequantized)).toEqual([2, 0, 2, 127, -127, 3]);
  });

  it('per channel: one scale per output column; an all-zero column gets scale 1', () => {
    // Column 0: absmax 2.54 → scale 2·2.54 / 254 = 0.02 (in float32); 1.0 / 0.02 = 50, -2.54 → -127.
    // Column 1: all zero → scale 1 (below float32's smallest normal), codes 0.
    const q = quantizeQ8(Float32Array.of(1, 0, -2.54, 0), 2, 2, { perChannel: true });
    const scale0 = Math.fround(Math.fround(2 * Math.fround(2.54)) / 254);
    expect(Array.from(q.scales)).toEqual([scale0, 1]);
    expect(scale0).toBeCloseTo(0.02, 8);
    expect(Array.from(q.quantized)).toEqual([50, 0, -127, 0]);
    expect(Array.from(q.dequantized)).toEqual([Math.fround(50 * scale0), 0, Math.fround(-127 * scale0), 0]);
  });
});

describe('quantizeQ4 (MatMulNBits layout)', () => {
  // One column, K = 4, block_size 16: a single block holding 4 values [-1, 0.5, 2, 0.25] and 12
  // padding slots.
  const w = Float32Array.of(-1, 0.5, 2, 0.25);

  it('asymmetric: scale (max − min) / 15, zero point roundf(−min / scale), low nibble first', () => {
    // min = -1, max = 2 → scale = 3 / 15 = 0.2; zero point = 1 / 0.2 = 5.
    // codes = roundf(v / 0.2 + 5): -1 → 0, 0.5 → 7.5 → 8, 2 → 15, 0.25 → 6.25 → 6; padding → 5.
    // dequantized = (code − 5) · 0.2 = [-1, 0.6, 2, 0.2].
    const q = quantizeQ4(w, 4, 1, 16);
    expect([q.nBlocks, q.blobSize]).toEqual([1, 8]);
    expect(Array.from(q.scales)).toEqual([Math.fround(0.2)]);
    // Bytes: (0 | 8 << 4), (15 | 6 << 4), then padding (5 | 5 << 4) six times.
    expect(Array.from(q.packed)).toEqual([0x80, 0x6f, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55]);
    expect(Array.from(q.zeroPoints!)).toEqual([0x05]);
    expect(Array.from(q.dequantized)).toEqual([-1, Math.fround(0.6), 2, Math.fround(0.2)]);
    expect(Array.from(dequantizeQ4(q))).toEqual(Array.from(q.dequantized));
  });

  it('symmetric: scale = (extreme of larger magnitude) / −8, default zero point 8, no zero_points', () => {
    // Larger magnitude: 2 → scale = 2 / −8 = −0.25; codes = roundf(v / −0.25 + 8):
    // -1 → 12, 0.5 → 6, 2 → 0, 0.25 → 7; padding → 8. dequantized = (code − 8) · −0.25, exact here.
    const q = quantizeQ4(w, 4, 1, 16, { symmetric: true });
    expect(Array.from(q.scales)).toEqual([-0.25]);
    expect(q.zeroPoints).toBeNull();
    expect(Array.from(q.packed)).toEqual([0x6c, 0x70, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88]);
    expect(Array.from(q.dequantized)).toEqual([-1, 0.5, 2, 0.25]);
  });

  it('packs zero points two blocks a byte, per column, an odd block count padded with 0', () => {
    // K = 40, block 16 → 3 blocks per column; column 0 all 1 (zero point 0), column 1 all -1
    // (zero point 15): column bytes [zp0 | zp1 << 4, zp2].
    const k = 40;
    const ww = Float32Array.from({ length: k * 2 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const q = quantizeQ4(ww, k, 2, 16);
    expect(Array.from(q.zeroPoints!)).toEqual([0x00, 0x00, 0xff, 0x0f]);
    expect(Array.from(q.dequantized)).toEqual(Array.from(ww));
  });

  it('refuses a block size the spec does not allow', () => {
    expect(() => quantizeQ4(w, 4, 1, 8)).toThrow(/power of two and at least 16/);
    expect(() => quantizeQ4(w, 4, 1, 48)).toThrow(/power of two/);
  });
});

describe('packing proof on ONNX Runtime CPU (A = identity, so output row k is the effective row k)', () => {
  it.each([
    { k: 70, n: 5, blockSize: 32, symmetric: false },
    { k: 70, n: 5, blockSize: 32, symmetric: true },
    { k: 64, n: 3, blockSize: 16, symmetric: false },
    { k: 45, n: 7, blockSize: 64, symmetric: false },
  ])(
    'q4 MatMulNBits K=$k N=$n block $blockSize symmetric $symmetric equals the quantizer’s weights',
    async ({ k, n, blockSize, symmetric }) => {
      const w = seededWeights(k, n, k * 31 + n);
      const q = quantizeQ4(w, k, n, blockSize, { symmetric });
      const bytes = quantizeGraphQ4(oneMatMul(k, n, w), { blockSize, symmetric });

      const model = onnx.ModelProto.decode(bytes);
      const nodes = model.graph!.node!;
      expect(nodes.map((x) => [x.opType, x.domain])).toEqual([['MatMulNBits', 'com.microsoft']]);
      expect(attrs(nodes[0]!)).toEqual({ K: k, N: n, bits: 4, block_size: blockSize });
      expect(nodes[0]!.input).toEqual(
        symmetric ? ['a', 'w_Q4', 'w_scales'] : ['a', 'w_Q4', 'w_scales', 'w_zero_points'],
      );
      expect(model.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([
        ['', 17],
        ['com.microsoft', 1],
      ]);
      const b = initializer(model, 'w_Q4');
      expect([b.dataType, b.dims!.map(Number)]).toEqual([
        UINT8,
        [n, Math.ceil(k / blockSize), blockSize / 2],
      ]);
      expect(bytesOf(b)).toEqual(Array.from(q.packed));
      expect(floatsOf(initializer(model, 'w_scales'))).toEqual(Array.from(q.scales));
      if (!symmetric) expect(bytesOf(initializer(model, 'w_zero_points'))).toEqual(Array.from(q.zeroPoints!));
      expect(model.graph!.initializer!.some((t) => t.name === 'w')).toBe(false);

      const y = await runY(bytes, new Tensor('float32', identityRows(k), [k, k]));
      expect(y.dims).toEqual([k, n]);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(q.dequantized));
      expect(q.dequantized).not.toEqual(w);
    },
  );

  it('q4f16: float16 A and scales; the output is the quantizer’s weights rounded to float16', async () => {
    const [k, n, blockSize] = [45, 7, 32];
    const w = seededWeights(k, n, 5);
    const q = quantizeQ4(w, k, n, blockSize, { scaleType: 'float16' });
    for (const s of q.scales) expect(float16Value(float16Bits(s))).toBe(s);
    const bytes = quantizeGraphQ4F16(oneMatMul(k, n, w), { blockSize });

    const model = onnx.ModelProto.decode(bytes);
    expect(model.graph!.node!.map((x) => x.opType)).toEqual(['MatMulNBits']);
    const scales = initializer(model, 'w_scales');
    expect(scales.dataType).toBe(FLOAT16);
    const raw = scales.rawData!;
    const halves = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(halves, float16Value)).toEqual(Array.from(q.scales));
    expect(bytesOf(initializer(model, 'w_Q4'))).toEqual(Array.from(q.packed));

    const a = Uint16Array.from(identityRows(k), float16Bits);
    const y = await runY(bytes, new Tensor('float16', a, [k, k]));
    expect(y.type).toBe('float16');
    const got = Array.from(y.data as Uint16Array, float16Value);
    expect(got).toEqual(Array.from(q.dequantized, (v) => float16Value(float16Bits(v))));
  });

  // DynamicQuantizeLinear quantizes A per tensor with scale (max(A, 0) − min(A, 0)) / 255 and zero
  // point round(−min / scale). A = identity plus one row holding 255 has min 0 and max 255, so scale
  // is exactly 1, the zero point 0 and every entry quantizes to itself: the int32 product row k is
  // W_quantized row k exactly, Cast is exact, A_scale · W_scale is W_scale, and the last Mul rounds
  // once, as quantizeQ8's code · scale does. The comparison is therefore exact.
  it.each([{ perChannel: false }, { perChannel: true }])(
    'q8 node group (perChannel $perChannel) equals the quantizer’s weights',
    async ({ perChannel }) => {
      const [k, n] = [37, 5];
      const w = seededWeights(k, n, 17);
      const q = quantizeQ8(w, k, n, { perChannel });
      const bytes = quantizeGraphQ8(oneMatMul(k, n, w), { perChannel });

      const model = onnx.ModelProto.decode(bytes);
      expect(model.graph!.node!.map((x) => x.opType)).toEqual([
        'DynamicQuantizeLinear',
        'MatMulInteger',
        'Cast',
        'Mul',
        'Mul',
      ]);
      const wq = initializer(model, 'w_quantized');
      expect([wq.dataType, wq.dims!.map(Number)]).toEqual([INT8, [k, n]]);
      expect(Array.from(new Int8Array(Uint8Array.from(bytesOf(wq)).buffer))).toEqual(Array.from(q.quantized));
      expect(floatsOf(initializer(model, 'w_scale'))).toEqual(Array.from(q.scales));
      expect(initializer(model, 'w_zero_point').dataType).toBe(INT8);

      const extra = Array.from({ length: k }, (_, j) => (j === 1 ? 255 : 0));
      const y = await runY(bytes, new Tensor('float32', identityRows(k, [extra]), [k + 1, k]));
      expect(y.dims).toEqual([k + 1, n]);
      expect(Array.from((y.data as Float32Array).subarray(0, k * n))).toEqual(Array.from(q.dequantized));
      expect(q.dequantized).not.toEqual(w);
    },
  );
});

describe('rewrite of tiny-gpt2', () => {
  const PROMPT = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]; // "The quick brown fox jumps over the lazy dog."

  async function prefillLogits(bytes: Uint8Array): Promise<Float32Array> {
    const session = await InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    try {
      const ids = (values: readonly number[]) =>
        new Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
      const feeds: Record<string, Tensor> = {
        input_ids: ids(PROMPT),
        attention_mask: ids(PROMPT.map(() => 1)),
        position_ids: ids(PROMPT.map((_, i) => i)),
      };
      const half = session.inputMetadata.some((m) => m.isTensor && m.type === 'float16');
      for (const name of session.inputNames.filter((x) => x.startsWith('past_key_values.'))) {
        feeds[name] = half
          ? new Tensor('float16', new Uint16Array(0), [1, 4, 0, 16])
          : new Tensor('float32', new Float32Array(0), [1, 4, 0, 16]);
      }
      const logits = (await session.run(feeds, ['logits'])).logits!;
      return half
        ? Float32Array.from(logits.data as Uint16Array, float16Value)
        : (logits.data as Float32Array);
    } finally {
      await session.release();
    }
  }

  function compare(base: Float32Array, other: Float32Array, vocab: number) {
    const argmax = (x: Float32Array, row: number) => {
      let best = 0;
      for (let j = 1; j < vocab; j++) if (x[row * vocab + j]! > x[row * vocab + best]!) best = j;
      return best;
    };
    let maxDelta = 0;
    for (let i = 0; i < base.length; i++) maxDelta = Math.max(maxDelta, Math.abs(base[i]! - other[i]!));
    let agree = 0;
    const rows = base.length / vocab;
    for (let r = 0; r < rows; r++) if (argmax(base, r) === argmax(other, r)) agree++;
    return { maxDelta, agree, rows };
  }

  /** MatMuls whose second input is a float initializer (float32 or float16). */
  function floatWeightMatMuls(model: OnnxTypes.IModelProto): string[] {
    const floats = new Set(
      model
        .graph!.initializer!.filter((t) => t.dataType === FLOAT || t.dataType === FLOAT16)
        .map((t) => t.name),
    );
    return model
      .graph!.node!.filter((x) => x.opType === 'MatMul' && floats.has(x.input![1]!))
      .map((x) => x.name!);
  }

  /** The MatMul that computes the logits from Transpose(wte) (GPT-2's tied LM head). */
  function lmHeadTranspose(model: OnnxTypes.IModelProto): { matmul: OnnxTypes.INodeProto; source: string } {
    const matmul = model.graph!.node!.find((x) => x.output?.[0] === 'logits' && x.opType === 'MatMul')!;
    const transpose = model.graph!.node!.find((x) => x.output?.[0] === matmul.input![1])!;
    expect(transpose.opType).toBe('Transpose');
    return { matmul, source: transpose.input![0]! };
  }

  /**
   * The float32 graph with every weight MatMul's W replaced by `replace(W)`; the tied LM head gets
   * its own initializer replace(wteᵀ), so the embedding Gather keeps reading wte unchanged.
   */
  function withWeights(bytes: Uint8Array, replace: (w: Float32Array, k: number, n: number) => Float32Array) {
    const model = onnx.ModelProto.decode(bytes);
    const weightNames = new Set(
      floatWeightMatMuls(model).map((name) => model.graph!.node!.find((x) => x.name === name)!.input![1]),
    );
    for (const t of model.graph!.initializer!) {
      if (!weightNames.has(t.name!)) continue;
      const [k, n] = t.dims!.map(Number) as [number, number];
      t.rawData = new Uint8Array(replace(new Float32Array(floatsOf(t)), k, n).buffer);
    }
    const { matmul, source } = lmHeadTranspose(model);
    const wte = initializer(model, source);
    const [vocab, width] = wte.dims!.map(Number) as [number, number];
    const values = floatsOf(wte);
    const transposed = new Float32Array(vocab * width);
    for (let v = 0; v < vocab; v++)
      for (let c = 0; c < width; c++) transposed[c * vocab + v] = values[v * width + c]!;
    model.graph!.initializer!.push({
      name: 'lm_head_twin',
      dataType: FLOAT,
      dims: [width, vocab],
      rawData: new Uint8Array(replace(transposed, width, vocab).buffer),
    });
    matmul.input![1] = 'lm_head_twin';
    return onnx.ModelProto.encode(model).finish();
  }

  it('q8, q4 and q4f16 logits are close to fp32 but not identical, and no float weight MatMul is left', async () => {
    const dir = await loadModelDir('tiny-gpt2');
    const fp32 = new Uint8Array(readFileSync(dir.onnxPath));
    const vocab = dir.config.vocab_size;
    const original = onnx.ModelProto.decode(fp32);
    expect(floatWeightMatMuls(original)).toHaveLength(8); // c_attn, attn c_proj, c_fc, mlp c_proj × 2 layers
    const weightMatMuls = new Set(floatWeightMatMuls(original));
    const lmHead = lmHeadTranspose(original);
    const lmHeadNodes = new Set([
      lmHead.matmul.name,
      original.graph!.node!.find((x) => x.output?.[0] === lmHead.matmul.input![1])!.name,
    ]);
    const kept = original
      .graph!.node!.filter((x) => !weightMatMuls.has(x.name!) && !lmHeadNodes.has(x.name))
      .map((x) => x.name);

    const base = await prefillLogits(fp32);
    const measured: Record<string, unknown> = { fp32: { bytes: fp32.byteLength } };
    const variants = [
      { name: 'q8', bytes: quantizeGraphQ8(fp32), maxDelta: 3, minAgree: 9 },
      { name: 'q4', bytes: quantizeGraphQ4(fp32), maxDelta: 16, minAgree: 3 },
      { name: 'q4f16', bytes: quantizeGraphQ4F16(fp32), maxDelta: 16, minAgree: 3 },
    ];
    const logitsOf: Record<string, Float32Array> = {};
    for (const { name, bytes, maxDelta: bound, minAgree } of variants) {
      const model = onnx.ModelProto.decode(bytes);
      expect(floatWeightMatMuls(model)).toEqual([]);
      // Every other node is still there, in its order.
      expect(model.graph!.node!.map((x) => x.name).filter((x) => kept.includes(x))).toEqual(kept);
      // The tied LM head multiplies by Transpose(wte): it is quantized from wteᵀ, its Transpose is
      // gone, and wte stays float (float16 in q4f16) for the embedding Gather.
      expect(model.graph!.node!.some((x) => x.output?.[0] === 'logits' && x.opType === 'MatMul')).toBe(false);
      expect(model.graph!.node!.some((x) => x.opType === 'Transpose' && x.input?.[0] === lmHead.source)).toBe(
        false,
      );
      expect(initializer(model, lmHead.source).dataType).toBe(name === 'q4f16' ? FLOAT16 : FLOAT);

      const logits = await prefillLogits(bytes);
      logitsOf[name] = logits;
      const { maxDelta, agree, rows } = compare(base, logits, vocab);
      measured[name] = { bytes: bytes.byteLength, maxDelta, argmaxAgree: `${agree}/${rows}` };
      expect(maxDelta).toBeGreaterThan(0);
      expect(maxDelta).toBeLessThan(bound);
      expect(agree).toBeGreaterThanOrEqual(minAgree);
    }

    // What the graphs compute with is the quantizer's dequantized weights: q4 (A unquantized, float32)
    // matches the float32 graph holding those weights; q8 differs from its own only by the run-time
    // 8-bit quantization of the activations.
    const q4Float = await prefillLogits(withWeights(fp32, (w, k, n) => quantizeQ4(w, k, n).dequantized));
    const q8Float = await prefillLogits(withWeights(fp32, (w, k, n) => quantizeQ8(w, k, n).dequantized));
    const q4Exact = compare(q4Float, logitsOf.q4!, vocab);
    const q8Activations = compare(q8Float, logitsOf.q8!, vocab);
    const q4f16Half = compare(logitsOf.q4!, logitsOf.q4f16!, vocab);
    measured.q4VsDequantizedFloat = q4Exact.maxDelta;
    measured.q8VsDequantizedFloat = q8Activations.maxDelta;
    measured.q4f16VsQ4 = q4f16Half.maxDelta;
    expect(q4Exact.maxDelta).toBeLessThan(1e-4);
    expect(q8Activations.maxDelta).toBeLessThan(3);
    expect(q4f16Half.maxDelta).toBeLessThan(2);
    console.log('tiny-gpt2 prefill logits vs fp32:', JSON.stringify(measured));
  });
});
