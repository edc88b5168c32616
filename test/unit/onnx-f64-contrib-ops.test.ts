import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { ElemTypes, type F64Tensor, tensor } from '../../backends/onnx-f64/f64-tensor.ts';
import { GraphRunner } from '../../backends/onnx-f64/graph-runner.ts';
import { missingOps } from '../../backends/onnx-f64/op-registry.ts';
import { valueInfo } from '../../harness/core/onnx/onnx-graph.ts';
import { quantizeQ4 } from '../../harness/engine/model-gen/quantize/q4-weights.ts';
import { nmse } from '../helpers/nmse.ts';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const MS = 'com.microsoft';

/**
 * A graph of one com.microsoft node with the given inputs (feeds, null for an omitted optional
 * one, then initializers) and outputs ('' for an omitted optional one).
 */
function oneNode(
  op: string,
  inputs: readonly (OnnxTypes.IValueInfoProto | null)[],
  initializers: readonly OnnxTypes.ITensorProto[],
  outputs: readonly string[],
  attribute: OnnxTypes.IAttributeProto[],
): { bytes: Uint8Array; graph: OnnxTypes.IGraphProto } {
  const graph: OnnxTypes.IGraphProto = {
    name: op,
    input: inputs.filter((i): i is OnnxTypes.IValueInfoProto => i !== null),
    initializer: [...initializers],
    output: outputs.filter((name) => name !== '').map((name) => ({ name })),
    node: [
      {
        opType: op,
        domain: MS,
        input: [...inputs.map((i) => i?.name ?? ''), ...initializers.map((t) => t.name!)],
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

/** One input of a case: float32 (random in [−magnitude, magnitude] unless given) or int64/int32 values. */
type InputSpec =
  | { name: string; dims: number[]; type?: 'float'; values?: number[] }
  | { name: string; dims: number[]; type: 'int64' | 'int32'; values: number[] };

/** One com.microsoft node on random inputs: ONNX Runtime's CPU provider (float32) vs the float64 interpreter. */
interface ContribCase {
  readonly name: string;
  readonly op: string;
  /** In the node's order; null where an optional input is omitted. */
  readonly inputs: readonly (InputSpec | null)[];
  /** '' where an optional output is not asked for. */
  readonly outputs: readonly string[];
  readonly attributes?: OnnxTypes.IAttributeProto[];
  readonly magnitude?: number;
}

const int = (name: string, i: number) => ({ name, type: A.INT, i });
const float = (name: string, f: number) => ({ name, type: A.FLOAT, f });
const ELEM = { float: ElemTypes.FLOAT, int64: ElemTypes.INT64, int32: ElemTypes.INT32 } as const;
const ORT_TYPE = { float: 'float32', int64: 'int64', int32: 'int32' } as const;

/** Both sides' inputs for `c` and the graph: float32-rounded values, so both read the same numbers. */
function prepare(c: ContribCase) {
  const random = seedrandom(c.name);
  const feeds: Record<string, Tensor> = {};
  const ours = new Map<string, F64Tensor>();
  for (const spec of c.inputs) {
    if (spec === null) continue;
    const type = spec.type ?? 'float';
    const n = spec.dims.reduce((a, b) => a * b, 1);
    const vals = spec.values ?? Array.from(floats(random, n), (v) => v * (c.magnitude ?? 1));
    const data =
      type === 'float'
        ? Float32Array.from(vals)
        : type === 'int64'
          ? BigInt64Array.from(vals, BigInt)
          : Int32Array.from(vals);
    feeds[spec.name] = new Tensor(ORT_TYPE[type], data as never, spec.dims);
    ours.set(spec.name, f64(ELEM[type], spec.dims, Array.from(data as ArrayLike<number | bigint>, Number)));
  }
  const infos = c.inputs.map((spec) => spec && valueInfo(spec.name, ELEM[spec.type ?? 'float'], spec.dims));
  return { feeds, ours, ...oneNode(c.op, infos, [], c.outputs, c.attributes ?? []) };
}

const GELU_CASES: ContribCase[] = [
  {
    name: 'Gelu [2,3,8]',
    op: 'Gelu',
    inputs: [{ name: 'X', dims: [2, 3, 8] }],
    outputs: ['Y'],
    magnitude: 4,
  },
  { name: 'Gelu [17]', op: 'Gelu', inputs: [{ name: 'X', dims: [17] }], outputs: ['Y'], magnitude: 4 },
  {
    name: 'FastGelu, no bias [4,16]',
    op: 'FastGelu',
    inputs: [{ name: 'X', dims: [4, 16] }],
    outputs: ['Y'],
    magnitude: 4,
  },
  {
    name: 'FastGelu, bias [8] over [2,3,8]',
    op: 'FastGelu',
    inputs: [
      { name: 'X', dims: [2, 3, 8] },
      { name: 'bias', dims: [8] },
    ],
    outputs: ['Y'],
    magnitude: 4,
  },
  {
    name: 'FastGelu, bias [7] over [5,7]',
    op: 'FastGelu',
    inputs: [
      { name: 'X', dims: [5, 7] },
      { name: 'bias', dims: [7] },
    ],
    outputs: ['Y'],
    magnitude: 4,
  },
  {
    name: 'BiasGelu [2,3,8] + [8]',
    op: 'BiasGelu',
    inputs: [
      { name: 'A', dims: [2, 3, 8] },
      { name: 'B', dims: [8] },
    ],
    outputs: ['C'],
    magnitude: 4,
  },
  {
    name: 'BiasGelu [4,5] + [5]',
    op: 'BiasGelu',
    inputs: [
      { name: 'A', dims: [4, 5] },
      { name: 'B', dims: [5] },
    ],
    outputs: ['C'],
    magnitude: 4,
  },
];

const SKIP_OUTPUTS = ['output', 'mean', 'inv_std_var', 'input_skip_bias_sum'];
const SKIP_NORM_CASES: ContribCase[] = [
  {
    name: 'SkipLayerNormalization, beta and bias, every output [2,3,8]',
    op: 'SkipLayerNormalization',
    inputs: [
      { name: 'input', dims: [2, 3, 8] },
      { name: 'skip', dims: [2, 3, 8] },
      { name: 'gamma', dims: [8] },
      { name: 'beta', dims: [8] },
      { name: 'bias', dims: [8] },
    ],
    outputs: SKIP_OUTPUTS,
    attributes: [float('epsilon', 1e-5)],
  },
  {
    name: 'SkipLayerNormalization, no beta or bias, 2-D [4,16]',
    op: 'SkipLayerNormalization',
    inputs: [
      { name: 'input', dims: [4, 16] },
      { name: 'skip', dims: [4, 16] },
      { name: 'gamma', dims: [16] },
    ],
    outputs: ['output'],
    attributes: [float('epsilon', 1e-5)],
  },
  {
    name: 'SkipLayerNormalization, skip [3,8] broadcast over the batch, bias without beta, the sum only',
    op: 'SkipLayerNormalization',
    inputs: [
      { name: 'input', dims: [2, 3, 8] },
      { name: 'skip', dims: [3, 8] },
      { name: 'gamma', dims: [8] },
      null,
      { name: 'bias', dims: [8] },
    ],
    outputs: ['output', '', '', 'input_skip_bias_sum'],
    attributes: [float('epsilon', 1e-5)],
  },
  {
    name: 'SkipLayerNormalization, skip [1,3,8], beta',
    op: 'SkipLayerNormalization',
    inputs: [
      { name: 'input', dims: [2, 3, 8] },
      { name: 'skip', dims: [1, 3, 8] },
      { name: 'gamma', dims: [8] },
      { name: 'beta', dims: [8] },
    ],
    outputs: ['output', 'mean', 'inv_std_var'],
    attributes: [float('epsilon', 1e-5)],
  },
  {
    name: 'SkipLayerNormalization, default epsilon (1e-12) on inputs of 1e-6',
    op: 'SkipLayerNormalization',
    inputs: [
      { name: 'input', dims: [3, 8] },
      { name: 'skip', dims: [3, 8] },
      { name: 'gamma', dims: [8] },
    ],
    outputs: ['output'],
    magnitude: 1e-6,
  },
  {
    name: 'SkipSimplifiedLayerNormalization, bias, every output [2,3,8]',
    op: 'SkipSimplifiedLayerNormalization',
    inputs: [
      { name: 'input', dims: [2, 3, 8] },
      { name: 'skip', dims: [2, 3, 8] },
      { name: 'gamma', dims: [8] },
      { name: 'bias', dims: [8] },
    ],
    outputs: SKIP_OUTPUTS,
    attributes: [float('epsilon', 1e-6)],
  },
  {
    name: 'SkipSimplifiedLayerNormalization, no bias [3,16]',
    op: 'SkipSimplifiedLayerNormalization',
    inputs: [
      { name: 'input', dims: [3, 16] },
      { name: 'skip', dims: [3, 16] },
      { name: 'gamma', dims: [16] },
    ],
    outputs: ['output', '', 'inv_std_var'],
    attributes: [float('epsilon', 1e-6)],
  },
  {
    name: 'SkipSimplifiedLayerNormalization, skip [3,8] broadcast, default epsilon (1e-12) on inputs of 1e-6',
    op: 'SkipSimplifiedLayerNormalization',
    inputs: [
      { name: 'input', dims: [2, 3, 8] },
      { name: 'skip', dims: [3, 8] },
      { name: 'gamma', dims: [8] },
    ],
    outputs: ['output', '', '', 'input_skip_bias_sum'],
    magnitude: 1e-6,
  },
];

/** cos/sin caches [positions, half] at the usual RoPE frequencies, θ = pos · 10000^(−i / half). */
function ropeCaches(positions: number, half: number): [InputSpec, InputSpec] {
  const angles = Array.from(
    { length: positions * half },
    (_, i) => Math.floor(i / half) * 10000 ** (-(i % half) / half),
  );
  return [
    { name: 'cos_cache', dims: [positions, half], values: angles.map(Math.cos) },
    { name: 'sin_cache', dims: [positions, half], values: angles.map(Math.sin) },
  ];
}

function ropeCase(
  name: string,
  o: {
    B: number;
    S: number;
    N: number;
    H: number;
    bnsh?: boolean;
    interleaved?: boolean;
    rotaryDim?: number;
    offset?: number;
    packed?: boolean;
  },
): ContribCase {
  const maxPos = 24;
  const positions: InputSpec =
    o.offset === undefined
      ? {
          name: 'position_ids',
          dims: [o.B, o.S],
          type: 'int64',
          values: Array.from({ length: o.B * o.S }, (_, i) => (7 * i + 3) % maxPos),
        }
      : { name: 'position_ids', dims: [1], type: 'int64', values: [o.offset] };
  return {
    name,
    op: 'RotaryEmbedding',
    inputs: [
      { name: 'input', dims: o.bnsh ? [o.B, o.N, o.S, o.H] : [o.B, o.S, o.N * o.H] },
      positions,
      ...ropeCaches(maxPos, (o.rotaryDim ?? o.H) / 2),
    ],
    outputs: ['output'],
    attributes: [
      int('interleaved', o.interleaved ? 1 : 0),
      ...(o.rotaryDim ? [int('rotary_embedding_dim', o.rotaryDim), int('num_heads', o.N)] : []),
      ...(o.packed ? [int('is_packed_batching', 1)] : []),
    ],
  };
}

const ROPE_CASES: ContribCase[] = [
  ropeCase('RotaryEmbedding [B,S,N·H], halves, position_ids [B,S]', { B: 2, S: 3, N: 2, H: 8 }),
  ropeCase('RotaryEmbedding [B,S,N·H], interleaved, position offset 5', {
    B: 2,
    S: 4,
    N: 3,
    H: 16,
    interleaved: true,
    offset: 5,
  }),
  ropeCase('RotaryEmbedding [B,N,S,H], halves', { B: 2, S: 5, N: 2, H: 8, bnsh: true }),
  ropeCase('RotaryEmbedding [B,N,S,H], interleaved, offset 0', {
    B: 1,
    S: 3,
    N: 4,
    H: 4,
    bnsh: true,
    interleaved: true,
    offset: 0,
  }),
  ropeCase('RotaryEmbedding partial: rotary_embedding_dim 4 of 8, halves', {
    B: 2,
    S: 3,
    N: 2,
    H: 8,
    rotaryDim: 4,
  }),
  ropeCase('RotaryEmbedding partial: rotary_embedding_dim 8 of 16, interleaved, [B,N,S,H]', {
    B: 1,
    S: 4,
    N: 2,
    H: 16,
    rotaryDim: 8,
    interleaved: true,
    bnsh: true,
  }),
  ropeCase('RotaryEmbedding is_packed_batching 1', { B: 2, S: 3, N: 2, H: 8, packed: true }),
];

function mhaCase(
  name: string,
  o: {
    B: number;
    S: number;
    N: number;
    h: number;
    L?: number;
    hv?: number;
    P?: number;
    bias?: boolean;
    mask?: { dims: number[]; values: number[] };
    attentionBias?: number[];
    unidirectional?: boolean;
    scale?: number;
    maskFilter?: number;
    bnshKeyValue?: boolean;
    presents?: boolean;
  },
): ContribCase {
  const { B, S, N, h } = o;
  const [L, hv, P] = [o.L ?? S, o.hv ?? h, o.P ?? 0];
  const inputs: (InputSpec | null)[] = [
    { name: 'query', dims: [B, S, N * h] },
    { name: 'key', dims: o.bnshKeyValue ? [B, N, L, h] : [B, L, N * h] },
    { name: 'value', dims: o.bnshKeyValue ? [B, N, L, hv] : [B, L, N * hv] },
    o.bias ? { name: 'bias', dims: [2 * N * h + N * hv] } : null,
    o.mask ? { name: 'key_padding_mask', type: 'int32', ...o.mask } : null,
    o.attentionBias ? { name: 'attention_bias', dims: o.attentionBias } : null,
    P > 0 ? { name: 'past_key', dims: [B, N, P, h] } : null,
    P > 0 ? { name: 'past_value', dims: [B, N, P, hv] } : null,
  ];
  while (inputs.at(-1) === null) inputs.pop();
  return {
    name,
    op: 'MultiHeadAttention',
    inputs,
    outputs: o.presents === false ? ['output'] : ['output', 'present_key', 'present_value'],
    attributes: [
      int('num_heads', N),
      ...(o.unidirectional ? [int('unidirectional', 1)] : []),
      ...(o.scale !== undefined ? [float('scale', o.scale)] : []),
      ...(o.maskFilter !== undefined ? [float('mask_filter_value', o.maskFilter)] : []),
    ],
  };
}

const MHA_CASES: ContribCase[] = [
  mhaCase('MultiHeadAttention, no past, output only', { B: 2, S: 3, N: 2, h: 4, presents: false }),
  mhaCase('MultiHeadAttention, no past, presents', { B: 1, S: 5, N: 3, h: 8 }),
  mhaCase('MultiHeadAttention, past 2 + 3 new', { B: 2, S: 3, N: 2, h: 4, P: 2 }),
  mhaCase('MultiHeadAttention, past 4 + 3 new, unidirectional', {
    B: 2,
    S: 3,
    N: 2,
    h: 4,
    P: 4,
    unidirectional: true,
  }),
  mhaCase('MultiHeadAttention, no past, unidirectional', { B: 2, S: 4, N: 2, h: 8, unidirectional: true }),
  mhaCase('MultiHeadAttention, one step after a past of 5, unidirectional', {
    B: 2,
    S: 1,
    N: 4,
    h: 4,
    P: 5,
    unidirectional: true,
  }),
  mhaCase('MultiHeadAttention, bias, past', { B: 2, S: 2, N: 2, h: 4, P: 3, bias: true }),
  mhaCase('MultiHeadAttention, key_padding_mask [B,T] with past', {
    B: 2,
    S: 2,
    N: 2,
    h: 4,
    P: 3,
    mask: { dims: [2, 5], values: [0, 1, 1, 1, 1, 1, 1, 0, 1, 0] },
  }),
  mhaCase('MultiHeadAttention, key_padding_mask [B] (key lengths)', {
    B: 2,
    S: 3,
    N: 2,
    h: 4,
    mask: { dims: [2], values: [2, 3] },
  }),
  mhaCase('MultiHeadAttention, key_padding_mask [B,S,T] (positive keeps, 0 or less masks)', {
    B: 2,
    S: 2,
    N: 1,
    h: 8,
    L: 3,
    mask: { dims: [2, 2, 3], values: [2, 0, 1, -1, 1, 1, 1, 1, 0, 0, -3, 1] },
  }),
  mhaCase('MultiHeadAttention, attention_bias [1,N,S,T]', {
    B: 2,
    S: 3,
    N: 2,
    h: 4,
    attentionBias: [1, 2, 3, 3],
  }),
  mhaCase('MultiHeadAttention, attention_bias [B,1,S,T] with past', {
    B: 2,
    S: 2,
    N: 2,
    h: 4,
    P: 2,
    attentionBias: [2, 1, 2, 4],
  }),
  mhaCase('MultiHeadAttention, cross attention: L 5 ≠ S 2, value head 2 × key head, scale 0.3', {
    B: 2,
    S: 2,
    N: 2,
    h: 4,
    L: 5,
    hv: 8,
    scale: 0.3,
  }),
  mhaCase('MultiHeadAttention, key and value [B,N,L,h]', {
    B: 2,
    S: 3,
    N: 2,
    h: 4,
    L: 4,
    bnshKeyValue: true,
  }),
  mhaCase('MultiHeadAttention, mask, attention_bias, past and unidirectional together', {
    B: 2,
    S: 3,
    N: 2,
    h: 4,
    P: 2,
    unidirectional: true,
    mask: { dims: [2, 5], values: [1, 1, 1, 0, 1, 0, 1, 1, 1, 1] },
    attentionBias: [1, 2, 3, 5],
  }),
  mhaCase('MultiHeadAttention, a row of padding only: the causal mask adds to it (mask_filter_value −100)', {
    B: 2,
    S: 3,
    N: 2,
    h: 4,
    unidirectional: true,
    maskFilter: -100,
    mask: { dims: [2, 3], values: [0, 0, 0, 1, 1, 0] },
  }),
];

describe('onnx:f64 contrib ops on random inputs against ONNX Runtime CPU', () => {
  it('implements every op these cases use', () => {
    for (const c of [...GELU_CASES, ...SKIP_NORM_CASES, ...ROPE_CASES, ...MHA_CASES]) {
      expect(missingOps(prepare(c).graph), c.name).toEqual([]);
    }
  });

  it.each([...GELU_CASES, ...SKIP_NORM_CASES, ...ROPE_CASES, ...MHA_CASES].map((c) => [c.name, c] as const))(
    '%s: NMSE ≤ 1e-7',
    async (_, c) => {
      const { feeds, ours, bytes, graph } = prepare(c);
      const expected = await ortRun(bytes, feeds);
      const actual = new GraphRunner(graph, null).run(ours);
      const asked = c.outputs.filter((o) => o !== '');
      expect(Object.keys(expected).sort()).toEqual([...asked].sort());
      for (const name of asked) {
        const ort = expected[name]!;
        const mine = actual.get(name)!;
        expect(mine.dims, `${c.name} ${name} dims`).toEqual([...ort.dims]);
        expect(nmse(mine.data, ort.data as Float32Array), `${c.name} ${name}`).toBeLessThanOrEqual(1e-7);
      }
    },
  );

  /** Input combinations onnxruntime's CPU kernels reject: the interpreter raises an error naming them. */
  it.each([
    [
      'MultiHeadAttention packed QKV [B,L,N,3,H]',
      mhaCase('packed', { B: 1, S: 2, N: 2, h: 4 }),
      (c: ContribCase): ContribCase => ({ ...c, inputs: [{ name: 'query', dims: [1, 2, 2, 3, 4] }] }),
      /Packed QKV of shape \(B, L, N, 3, H\) not implemented for CPU/,
      /packed QKV/,
    ],
    [
      'MultiHeadAttention query [B,S,3·D] without key',
      mhaCase('qkv3', { B: 1, S: 2, N: 2, h: 4 }),
      (c: ContribCase): ContribCase => ({ ...c, inputs: [{ name: 'query', dims: [1, 2, 24] }] }),
      /Packed qkv of 3D BS3NH format is not support/,
      /packed QKV or KV/,
    ],
    [
      'MultiHeadAttention packed KV [B,L,N,2,H]',
      mhaCase('kv', { B: 1, S: 2, N: 2, h: 4 }),
      (c: ContribCase): ContribCase => ({
        ...c,
        inputs: [c.inputs[0]!, { name: 'key', dims: [1, 2, 2, 2, 4] }],
      }),
      /Packed KV not implemented for CPU/,
      /packed KV/,
    ],
    [
      'MultiHeadAttention past_key without past_value',
      mhaCase('pk', { B: 1, S: 2, N: 2, h: 4, P: 2 }),
      (c: ContribCase): ContribCase => ({ ...c, inputs: c.inputs.slice(0, 7) }),
      /shall be both present or both absent/,
      /both present or both absent/,
    ],
    [
      'MultiHeadAttention key_padding_mask [B,L] with a past',
      mhaCase('mask', { B: 1, S: 2, N: 2, h: 4, P: 2, mask: { dims: [1, 2], values: [1, 1] } }),
      (c: ContribCase) => c,
      /Input 'key_padding_mask' shape is not expected/,
      /key_padding_mask \[1, 2\]/,
    ],
    [
      'RotaryEmbedding position past the cache',
      ropeCase('far', { B: 1, S: 3, N: 1, H: 4, offset: 22 }),
      (c: ContribCase) => c,
      /position_ids base value 22 with sequence_length 3 exceeds cos\/sin cache range/,
      /outside the 24 rows of cos_cache/,
    ],
  ])('%s: rejected by ONNX Runtime, an error here', async (_, base, edit, ortMessage, message) => {
    const { feeds, ours, bytes, graph } = prepare(edit(base));
    await expect(ortRun(bytes, feeds)).rejects.toThrow(ortMessage);
    expect(() => new GraphRunner(graph, null).run(ours)).toThrow(message);
  });
});

describe('onnx:f64 contrib ops against hand-computed values', () => {
  const run = (
    op: string,
    inputs: (InputSpec | null)[],
    outputs: string[],
    attributes: OnnxTypes.IAttributeProto[] = [],
  ) => {
    const { graph, ours } = prepare({ name: op, op, inputs, outputs, attributes });
    return new GraphRunner(graph, null).run(ours);
  };

  it('FastGelu of 0.5 with bias 0.5 is the tanh GELU of 1, 0.8411919906082768; Gelu and BiasGelu of 2 are 2·Φ(2) = 1.9544997361036416', () => {
    const x = { name: 'X', dims: [1], values: [0.5] };
    const bias = { name: 'bias', dims: [1], values: [0.5] };
    expect(run('FastGelu', [x, bias], ['Y']).get('Y')!.data[0]).toBeCloseTo(0.8411919906082768, 15);
    expect(run('Gelu', [{ ...x, values: [2] }], ['Y']).get('Y')!.data[0]).toBeCloseTo(1.9544997361036416, 15);
    expect(run('BiasGelu', [{ ...x, values: [1.5] }, bias], ['Y']).get('Y')!.data[0]).toBeCloseTo(
      1.9544997361036416,
      15,
    );
  });

  it('SkipLayerNormalization of [1, 2] + [0, 2] (ε = 0) is [−1, 1]: sum [1, 4], mean 2.5, inv_std_var 1 / 1.5', () => {
    const out = run(
      'SkipLayerNormalization',
      [
        { name: 'input', dims: [1, 2], values: [1, 2] },
        { name: 'skip', dims: [1, 2], values: [0, 2] },
        { name: 'gamma', dims: [2], values: [1, 1] },
      ],
      SKIP_OUTPUTS,
      [float('epsilon', 0)],
    );
    expect(Array.from(out.get('output')!.data)).toEqual([-1, 1]);
    expect(Array.from(out.get('input_skip_bias_sum')!.data)).toEqual([1, 4]);
    expect(out.get('mean')!.dims).toEqual([1, 1]);
    expect(out.get('mean')!.data[0]).toBe(2.5);
    expect(out.get('inv_std_var')!.data[0]).toBeCloseTo(1 / 1.5, 15);
  });

  it('SkipSimplifiedLayerNormalization of [1, 2] + [2, 2] (ε = 0, gamma [1, 2]) is [3, 8] / √12.5, mean 0', () => {
    const out = run(
      'SkipSimplifiedLayerNormalization',
      [
        { name: 'input', dims: [2], values: [1, 2] },
        { name: 'skip', dims: [2], values: [2, 2] },
        { name: 'gamma', dims: [2], values: [1, 2] },
      ],
      SKIP_OUTPUTS,
      [float('epsilon', 0)],
    );
    const y = out.get('output')!.data;
    expect(y[0]).toBeCloseTo(0.848528137423857, 15);
    expect(y[1]).toBeCloseTo(2 * 1.131370849898476, 15);
    expect(out.get('mean')!.data[0]).toBe(0);
  });

  it('RotaryEmbedding turns the pair (1, 0) by the angle of its position, π/3 → (0.5, √3/2); (0, 1) → (−√3/2, 0.5)', () => {
    const angle = [0, Math.PI / 3];
    const out = run(
      'RotaryEmbedding',
      [
        { name: 'input', dims: [1, 1, 4], values: [1, 0, 0, 1] },
        { name: 'position_ids', dims: [1], type: 'int64', values: [1] },
        { name: 'cos_cache', dims: [2, 1], values: angle.map(Math.cos) },
        { name: 'sin_cache', dims: [2, 1], values: angle.map(Math.sin) },
      ],
      ['output'],
    ).get('output')!;
    // Two heads of 2 (head_size 2 · cos_cache's dim 1): (1, 0) and (0, 1).
    const y = Array.from(out.data);
    const expected = [0.5, Math.sqrt(3) / 2, -Math.sqrt(3) / 2, 0.5];
    for (let i = 0; i < 4; i++) expect(y[i]).toBeCloseTo(expected[i]!, 7);
  });

  it('MultiHeadAttention of one head of size 1: keys 0, ln 3 weigh values 1, 3 by 1/4, 3/4 (2.5); causal, the first query sees key 0 only', () => {
    const past = run(
      'MultiHeadAttention',
      [
        { name: 'query', dims: [1, 1, 1], values: [1] },
        { name: 'key', dims: [1, 1, 1], values: [Math.log(3)] },
        { name: 'value', dims: [1, 1, 1], values: [3] },
        null,
        null,
        null,
        { name: 'past_key', dims: [1, 1, 1, 1], values: [0] },
        { name: 'past_value', dims: [1, 1, 1, 1], values: [1] },
      ],
      ['output', 'present_key', 'present_value'],
      [int('num_heads', 1)],
    );
    expect(past.get('output')!.data[0]).toBeCloseTo(2.5, 6);
    expect(past.get('present_key')!.dims).toEqual([1, 1, 2, 1]);
    expect(Array.from(past.get('present_value')!.data)).toEqual([1, 3]);
    const causal = run(
      'MultiHeadAttention',
      [
        { name: 'query', dims: [1, 2, 1], values: [5, 1] },
        { name: 'key', dims: [1, 2, 1], values: [0, Math.log(3)] },
        { name: 'value', dims: [1, 2, 1], values: [1, 3] },
      ],
      ['output'],
      [int('num_heads', 1), int('unidirectional', 1)],
    ).get('output')!;
    expect(causal.data[0]).toBeCloseTo(1, 12);
    expect(causal.data[1]).toBeCloseTo(2.5, 6);
  });
});
