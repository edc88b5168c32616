import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { ElemTypes, type F64Tensor, tensor } from '../../backends/onnx-f64/f64-tensor.ts';
import { GraphRunner } from '../../backends/onnx-f64/graph-runner.ts';
import { valueInfo } from '../../harness/core/onnx/onnx-graph.ts';
import { quantizeQ4 } from '../../harness/engine/model-gen/quantize/q4-weights.ts';
import { nmse } from '../helpers/nmse.ts';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const MS = 'com.microsoft';

/** A graph of one com.microsoft node with the given inputs (feeds and initializers) and outputs. */
function oneNode(
  op: string,
  inputs: readonly OnnxTypes.IValueInfoProto[],
  initializers: readonly OnnxTypes.ITensorProto[],
  outputs: readonly string[],
  attribute: OnnxTypes.IAttributeProto[],
): { bytes: Uint8Array; graph: OnnxTypes.IGraphProto } {
  const graph: OnnxTypes.IGraphProto = {
    name: op,
    input: [...inputs],
    initializer: [...initializers],
    output: outputs.map((name) => ({ name })),
    node: [
      {
        opType: op,
        domain: MS,
        input: [...inputs.map((i) => i.name!), ...initializers.map((t) => t.name!)],
        output: [...outputs],
        attribute,
      },
    ],
  };
  const opsetImport = [
    { domain: '', version: 17 },
    { domain: MS, version: 1 },
  ];
  return { bytes: onnx.ModelProto.encode({ irVersion: 8, opsetImport, graph }).finish(), graph };
}

const floats = (random: () => number, n: number) => Float32Array.from({ length: n }, () => 2 * random() - 1);

async function ortRun(
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<InferenceSession.ReturnType> {
  const session = await InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const f64 = (elemType: number, dims: number[], data: ArrayLike<number>): F64Tensor =>
  tensor(elemType, dims, Float64Array.from(data));

describe('onnx:f64 contrib ops against ONNX Runtime CPU', () => {
  it.each([
    [64, 48, 32],
    [80, 24, 32], // K not a multiple of the block size: a padded last block
  ])('MatMulNBits K=%i N=%i block %i (the project quantizer’s packing): NMSE ≤ 1e-7', async (k, n, block) => {
    const random = seedrandom(`nbits-${k}-${n}`);
    const w = floats(random, k * n);
    const q = quantizeQ4(w, k, n, block);
    const a = floats(random, 3 * k);
    const inits: OnnxTypes.ITensorProto[] = [
      { name: 'B', dataType: ElemTypes.UINT8, dims: [n, q.nBlocks, q.blobSize], rawData: q.packed },
      {
        name: 'scales',
        dataType: ElemTypes.FLOAT,
        dims: [n * q.nBlocks],
        rawData: new Uint8Array(q.scales.buffer),
      },
      {
        name: 'zero_points',
        dataType: ElemTypes.UINT8,
        dims: [q.zeroPoints!.length],
        rawData: q.zeroPoints!,
      },
    ];
    const attrs = [
      { name: 'K', type: A.INT, i: k },
      { name: 'N', type: A.INT, i: n },
      { name: 'bits', type: A.INT, i: 4 },
      { name: 'block_size', type: A.INT, i: block },
    ];
    const { bytes, graph } = oneNode(
      'MatMulNBits',
      [valueInfo('A', ElemTypes.FLOAT, [3, k])],
      inits,
      ['Y'],
      attrs,
    );
    const ort = (await ortRun(bytes, { A: new Tensor('float32', a, [3, k]) })).Y!;
    const ours = new GraphRunner(graph, null)
      .run(new Map([['A', f64(ElemTypes.FLOAT, [3, k], a)]]))
      .get('Y')!;
    expect(ours.dims).toEqual([...ort.dims]);
    expect(nmse(ours.data, ort.data as Float32Array)).toBeLessThanOrEqual(1e-7);
  });

  it.each([
    ['a first prompt, two rows, the second right-padded', 2, 5, 0, [4, 2]],
    ['a cached step after a past of 4', 2, 1, 4, [4, 4]],
    ['a second prompt chunk after a past of 3', 1, 3, 3, [5]],
  ])('GroupQueryAttention with rotary: %s, NMSE ≤ 1e-7', async (_, batch, seq, past, seqlens) => {
    const [H, Hkv, D, maxPos] = [4, 2, 16, 32]; // onnxruntime wants head_size a multiple of 16
    const random = seedrandom(`gqa-${batch}-${seq}-${past}`);
    const total = past + seq;
    const inputs = [
      valueInfo('query', ElemTypes.FLOAT, [batch, seq, H * D]),
      valueInfo('key', ElemTypes.FLOAT, [batch, seq, Hkv * D]),
      valueInfo('value', ElemTypes.FLOAT, [batch, seq, Hkv * D]),
      valueInfo('past_key', ElemTypes.FLOAT, [batch, Hkv, past, D]),
      valueInfo('past_value', ElemTypes.FLOAT, [batch, Hkv, past, D]),
      valueInfo('seqlens_k', ElemTypes.INT32, [batch]),
      valueInfo('total_sequence_length', ElemTypes.INT32, []),
      valueInfo('cos_cache', ElemTypes.FLOAT, [maxPos, D / 2]),
      valueInfo('sin_cache', ElemTypes.FLOAT, [maxPos, D / 2]),
    ];
    const angles = Array.from(
      { length: maxPos * (D / 2) },
      (_, i) => Math.floor(i / (D / 2)) * 10000 ** (-(2 * (i % (D / 2))) / D),
    );
    const values: Record<string, { data: ArrayLike<number>; dims: number[]; type: 'float32' | 'int32' }> = {
      query: { data: floats(random, batch * seq * H * D), dims: [batch, seq, H * D], type: 'float32' },
      key: { data: floats(random, batch * seq * Hkv * D), dims: [batch, seq, Hkv * D], type: 'float32' },
      value: { data: floats(random, batch * seq * Hkv * D), dims: [batch, seq, Hkv * D], type: 'float32' },
      past_key: {
        data: floats(random, batch * Hkv * past * D),
        dims: [batch, Hkv, past, D],
        type: 'float32',
      },
      past_value: {
        data: floats(random, batch * Hkv * past * D),
        dims: [batch, Hkv, past, D],
        type: 'float32',
      },
      seqlens_k: { data: Int32Array.from(seqlens.map((s) => s - 1)), dims: [batch], type: 'int32' },
      total_sequence_length: { data: Int32Array.of(total), dims: [], type: 'int32' },
      cos_cache: { data: Float32Array.from(angles, Math.cos), dims: [maxPos, D / 2], type: 'float32' },
      sin_cache: { data: Float32Array.from(angles, Math.sin), dims: [maxPos, D / 2], type: 'float32' },
    };
    const attrs = [
      { name: 'num_heads', type: A.INT, i: H },
      { name: 'kv_num_heads', type: A.INT, i: Hkv },
      { name: 'do_rotary', type: A.INT, i: 1 },
    ];
    const { bytes, graph } = oneNode(
      'GroupQueryAttention',
      inputs,
      [],
      ['output', 'present_key', 'present_value'],
      attrs,
    );
    const feeds = Object.fromEntries(
      Object.entries(values).map(([name, v]) => [name, new Tensor(v.type, v.data as Float32Array, v.dims)]),
    );
    const ort = await ortRun(bytes, feeds);
    const ours = new GraphRunner(graph, null).run(
      new Map(
        Object.entries(values).map(([name, v]) => [
          name,
          f64(v.type === 'int32' ? ElemTypes.INT32 : ElemTypes.FLOAT, v.dims, v.data),
        ]),
      ),
    );
    // Rows: only what the op defines, the valid query positions of each row (a padded query's output is unspecified).
    const out = ort.output!;
    const mine = ours.get('output')!;
    expect(mine.dims).toEqual([...out.dims]);
    const valid: number[] = [];
    const theirs: number[] = [];
    for (let b = 0; b < batch; b++) {
      const rowValid = past === 0 ? seqlens[b]! : seq;
      for (let s = 0; s < rowValid; s++) {
        for (let j = 0; j < H * D; j++) {
          const at = (b * seq + s) * H * D + j;
          valid.push(mine.data[at]!);
          theirs.push((out.data as Float32Array)[at]!);
        }
      }
    }
    expect(nmse(valid, theirs)).toBeLessThanOrEqual(1e-7);
  });
});
