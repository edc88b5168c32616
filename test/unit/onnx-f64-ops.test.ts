import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { ElemTypes, type F64Tensor, tensor } from '../../backends/onnx-f64/f64-tensor.ts';
import { GraphRunner } from '../../backends/onnx-f64/graph-runner.ts';
import { missingOps } from '../../backends/onnx-f64/op-registry.ts';
import { valueInfo } from '../../harness/core/onnx/onnx-graph.ts';
import { nmse } from '../helpers/nmse.ts';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;

/** One op on random inputs: what ONNX Runtime's CPU provider computes (float32) vs the float64 interpreter. */
interface OpCase {
  readonly name: string;
  readonly op: string;
  readonly domain?: string;
  /** Input dims and type (float32 random in [−2, 2], or int64 / bool given values). */
  readonly inputs: readonly (
    | { dims: number[]; type?: 'float' }
    | { dims: number[]; type: 'int64' | 'bool' | 'uint8'; values: number[] }
  )[];
  readonly outputs?: number;
  readonly attributes?: OnnxTypes.IAttributeProto[];
  /** Positive inputs only (Sqrt, Pow bases). */
  readonly positive?: boolean;
  /** Random floats scaled by this (default 1: [−2, 2]). */
  readonly magnitude?: number;
  /** The default domain's opset (default 17). */
  readonly opset?: number;
}

const int = (name: string, i: number) => ({ name, type: A.INT, i });
const ints = (name: string, v: number[]) => ({ name, type: A.INTS, ints: v });
const float = (name: string, f: number) => ({ name, type: A.FLOAT, f });
const str = (name: string, v: string) => ({ name, type: A.STRING, s: new TextEncoder().encode(v) });
const i64 = (dims: number[], values: number[]) => ({ dims, type: 'int64' as const, values });

const CASES: readonly OpCase[] = [
  { name: 'Add broadcast [2,3,4]+[4]', op: 'Add', inputs: [{ dims: [2, 3, 4] }, { dims: [4] }] },
  { name: 'Sub broadcast [3,1]-[1,4]', op: 'Sub', inputs: [{ dims: [3, 1] }, { dims: [1, 4] }] },
  { name: 'Mul scalar', op: 'Mul', inputs: [{ dims: [2, 5] }, { dims: [] }] },
  { name: 'Div', op: 'Div', inputs: [{ dims: [4, 4] }, { dims: [4, 4] }], positive: true },
  { name: 'Div int64 truncates', op: 'Div', inputs: [i64([4], [7, -7, 9, -1]), i64([4], [2, 2, -4, 3])] },
  { name: 'Pow', op: 'Pow', inputs: [{ dims: [3, 3] }, { dims: [] }], positive: true },
  { name: 'Sqrt', op: 'Sqrt', inputs: [{ dims: [10] }], positive: true },
  { name: 'Neg', op: 'Neg', inputs: [{ dims: [2, 3] }] },
  { name: 'Tanh', op: 'Tanh', inputs: [{ dims: [20] }] },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: [{ dims: [20] }] },
  { name: 'Erf', op: 'Erf', inputs: [{ dims: [40] }] },
  {
    name: 'Where broadcast',
    op: 'Where',
    inputs: [{ dims: [2, 1], type: 'bool', values: [1, 0] }, { dims: [2, 3] }, { dims: [] }],
  },
  {
    name: 'Cast float→int64 truncates',
    op: 'Cast',
    inputs: [{ dims: [12] }],
    attributes: [int('to', ElemTypes.INT64)],
  },
  { name: 'LessOrEqual', op: 'LessOrEqual', inputs: [i64([5], [1, 2, 3, 4, 5]), i64([1], [3])] },
  { name: 'Equal', op: 'Equal', inputs: [i64([4], [1, 2, 3, 4]), i64([4], [1, 0, 3, 0])] },
  {
    name: 'And',
    op: 'And',
    inputs: [
      { dims: [4], type: 'bool', values: [1, 1, 0, 0] },
      { dims: [4], type: 'bool', values: [1, 0, 1, 0] },
    ],
  },
  {
    name: 'Transpose perm',
    op: 'Transpose',
    inputs: [{ dims: [2, 3, 4] }],
    attributes: [ints('perm', [2, 0, 1])],
  },
  { name: 'Reshape 0 and -1', op: 'Reshape', inputs: [{ dims: [2, 3, 4] }, i64([3], [0, -1, 2])] },
  {
    name: 'Concat axis 1',
    op: 'Concat',
    inputs: [{ dims: [2, 1, 3] }, { dims: [2, 2, 3] }],
    attributes: [int('axis', 1)],
  },
  {
    name: 'Split sizes',
    op: 'Split',
    inputs: [{ dims: [2, 5] }, i64([2], [2, 3])],
    outputs: 2,
    attributes: [int('axis', -1)],
  },
  { name: 'Unsqueeze', op: 'Unsqueeze', inputs: [{ dims: [2, 3] }, i64([2], [0, -1])] },
  { name: 'Squeeze', op: 'Squeeze', inputs: [{ dims: [1, 3, 1] }, i64([1], [2])] },
  {
    name: 'Slice negative step',
    op: 'Slice',
    inputs: [{ dims: [4, 6] }, i64([2], [-1, 1]), i64([2], [-100, 5]), i64([2], [0, 1]), i64([2], [-1, 2])],
  },
  {
    name: 'Slice end beyond int64',
    op: 'Slice',
    inputs: [{ dims: [2, 6] }, i64([1], [-2]), i64([1], [9.2e18]), i64([1], [1])],
  },
  {
    name: 'Gather axis 1, negative index',
    op: 'Gather',
    inputs: [{ dims: [3, 5] }, i64([2, 2], [0, -1, 4, 2])],
    attributes: [int('axis', 1)],
  },
  { name: 'Range', op: 'Range', inputs: [i64([], [2]), i64([], [11]), i64([], [3])] },
  { name: 'Expand', op: 'Expand', inputs: [{ dims: [3, 1] }, i64([3], [2, 3, 4])] },
  {
    name: 'ReduceMean keepdims',
    op: 'ReduceMean',
    inputs: [{ dims: [2, 3, 4] }],
    attributes: [ints('axes', [-1])],
  },
  {
    name: 'ReduceSum no keepdims',
    op: 'ReduceSum',
    inputs: [{ dims: [2, 3, 4] }, i64([2], [0, 2])],
    attributes: [int('keepdims', 0)],
  },
  {
    name: 'CumSum exclusive reverse',
    op: 'CumSum',
    inputs: [{ dims: [3, 4] }, i64([], [1])],
    attributes: [int('exclusive', 1), int('reverse', 1)],
  },
  { name: 'MatMul batched broadcast', op: 'MatMul', inputs: [{ dims: [2, 1, 3, 4] }, { dims: [3, 4, 5] }] },
  { name: 'MatMul 1-D × 2-D', op: 'MatMul', inputs: [{ dims: [4] }, { dims: [4, 3] }] },
  {
    name: 'MatMulInteger zero points',
    op: 'MatMulInteger',
    inputs: [
      { dims: [2, 3], type: 'uint8', values: [1, 200, 30, 4, 255, 0] },
      { dims: [3, 2], type: 'uint8', values: [9, 8, 7, 100, 5, 4] },
      { dims: [], type: 'uint8', values: [128] },
      { dims: [], type: 'uint8', values: [3] },
    ],
  },
  { name: 'Softmax axis 1', op: 'Softmax', inputs: [{ dims: [2, 5, 3] }], attributes: [int('axis', 1)] },
  {
    name: 'LayerNormalization',
    op: 'LayerNormalization',
    inputs: [{ dims: [2, 3, 8] }, { dims: [8] }, { dims: [8] }],
    attributes: [float('epsilon', 1e-5)],
  },
  { name: 'DynamicQuantizeLinear', op: 'DynamicQuantizeLinear', inputs: [{ dims: [4, 6] }], outputs: 3 },
  { name: 'Trilu upper, no k', op: 'Trilu', inputs: [{ dims: [3, 4] }], opset: 14 },
  {
    name: 'Trilu lower k −1, batched [2,3,4]',
    op: 'Trilu',
    inputs: [{ dims: [2, 3, 4] }, i64([], [-1])],
    attributes: [int('upper', 0)],
    opset: 14,
  },
  { name: 'Trilu upper k 2, tall [5,3]', op: 'Trilu', inputs: [{ dims: [5, 3] }, i64([], [2])], opset: 14 },
  { name: 'Trilu upper k −7 (all kept)', op: 'Trilu', inputs: [{ dims: [4, 3] }, i64([], [-7])], opset: 14 },
  {
    name: 'Trilu upper k 9 (all zero)',
    op: 'Trilu',
    inputs: [{ dims: [2, 4, 3] }, i64([1], [9])],
    opset: 14,
  },
  {
    name: 'Trilu lower k −4 (all zero)',
    op: 'Trilu',
    inputs: [{ dims: [3, 3] }, i64([], [-4])],
    attributes: [int('upper', 0)],
    opset: 14,
  },
  {
    name: 'Trilu lower int64',
    op: 'Trilu',
    inputs: [i64([2, 3], [1, 2, 3, 4, 5, 6]), i64([], [0])],
    attributes: [int('upper', 0)],
    opset: 14,
  },
  { name: 'Gelu (default: none)', op: 'Gelu', inputs: [{ dims: [2, 3, 4] }], magnitude: 3, opset: 20 },
  {
    name: 'Gelu none',
    op: 'Gelu',
    inputs: [{ dims: [40] }],
    attributes: [str('approximate', 'none')],
    magnitude: 3,
    opset: 20,
  },
  {
    name: 'Gelu tanh',
    op: 'Gelu',
    inputs: [{ dims: [5, 7] }],
    attributes: [str('approximate', 'tanh')],
    magnitude: 3,
    opset: 20,
  },
  {
    name: 'SimplifiedLayerNormalization [2,3,8], inv_std_var',
    op: 'SimplifiedLayerNormalization',
    inputs: [{ dims: [2, 3, 8] }, { dims: [8] }],
    outputs: 2,
    attributes: [float('epsilon', 1e-6)],
  },
  {
    name: 'SimplifiedLayerNormalization axis 1 of [2,3,4]',
    op: 'SimplifiedLayerNormalization',
    inputs: [{ dims: [2, 3, 4] }, { dims: [3, 4] }],
    outputs: 2,
    attributes: [int('axis', 1)],
  },
  {
    name: 'SimplifiedLayerNormalization scale [2,4] broadcast over [3,2,4]',
    op: 'SimplifiedLayerNormalization',
    inputs: [{ dims: [3, 2, 4] }, { dims: [2, 4] }],
    outputs: 2,
  },
  {
    name: 'SimplifiedLayerNormalization default epsilon (1e-5) on inputs of 1e-3',
    op: 'SimplifiedLayerNormalization',
    inputs: [{ dims: [4, 6] }, { dims: [6] }],
    magnitude: 1e-3,
  },
];

const ORT_TYPES = { float: 'float32', int64: 'int64', bool: 'bool', uint8: 'uint8' } as const;
const ELEM = {
  float: ElemTypes.FLOAT,
  int64: ElemTypes.INT64,
  bool: ElemTypes.BOOL,
  uint8: ElemTypes.UINT8,
} as const;

function caseGraph(c: OpCase): { bytes: Uint8Array; graph: OnnxTypes.IGraphProto } {
  const inputs = c.inputs.map((spec, i) => valueInfo(`in${i}`, ELEM[spec.type ?? 'float'], spec.dims));
  const outputs = Array.from({ length: c.outputs ?? 1 }, (_, i) => ({ name: `out${i}` }));
  const graph: OnnxTypes.IGraphProto = {
    name: c.op,
    input: inputs,
    output: outputs,
    node: [
      {
        opType: c.op,
        domain: c.domain ?? '',
        input: inputs.map((v) => v.name!),
        output: outputs.map((o) => o.name),
        attribute: c.attributes ?? [],
      },
    ],
  };
  const opset = [
    { domain: '', version: c.opset ?? 17 },
    ...(c.domain ? [{ domain: c.domain, version: 1 }] : []),
  ];
  const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: opset, graph }).finish();
  return { bytes, graph };
}

describe('onnx:f64 ops against ONNX Runtime CPU (random inputs, float32 there, float64 here)', () => {
  it('implements every op these cases use', () => {
    for (const c of CASES) expect(missingOps(caseGraph(c).graph), c.name).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    '%s: NMSE ≤ 1e-7, integers and bools exact',
    async (_, c) => {
      const random = seedrandom(c.name);
      const { bytes, graph } = caseGraph(c);
      const feeds: Record<string, Tensor> = {};
      const ours = new Map<string, F64Tensor>();
      c.inputs.forEach((spec, i) => {
        const n = spec.dims.reduce((a, b) => a * b, 1);
        const type = spec.type ?? 'float';
        const vals =
          'values' in spec
            ? spec.values
            : Array.from(
                { length: n },
                () => (c.magnitude ?? 1) * (c.positive ? 0.1 + 2 * random() : 4 * random() - 2),
              );
        // Round to float32 first so both sides read the same inputs.
        const f32 = Float32Array.from(vals);
        const data =
          type === 'float'
            ? f32
            : type === 'int64'
              ? BigInt64Array.from(vals, (v) => BigInt(Math.min(v, 9.2e18)))
              : type === 'bool'
                ? Uint8Array.from(vals)
                : Uint8Array.from(vals);
        feeds[`in${i}`] = new Tensor(ORT_TYPES[type], data as never, spec.dims);
        ours.set(`in${i}`, tensor(ELEM[type], spec.dims, Float64Array.from(type === 'float' ? f32 : vals)));
      });
      const session = await InferenceSession.create(bytes);
      const expected = await session.run(feeds);
      await session.release();
      const actual = new GraphRunner(graph, null).run(ours);
      for (const [name, ort] of Object.entries(expected)) {
        const mine = actual.get(name)!;
        expect(mine.dims, `${c.name} ${name} dims`).toEqual([...ort.dims]);
        const ortValues = Array.from(ort.data as ArrayLike<number | bigint>, Number);
        if (ort.type === 'float32')
          expect(nmse(mine.data, ortValues), `${c.name} ${name}`).toBeLessThanOrEqual(1e-7);
        else expect(Array.from(mine.data), `${c.name} ${name}`).toEqual(ortValues);
      }
    },
  );
});

describe('onnx:f64 ops in the domain onnxruntime registers them in', () => {
  it('SimplifiedLayerNormalization is an ONNX-domain op in onnxruntime, not a com.microsoft one', async () => {
    const c = (domain: string): OpCase => ({
      name: `sln ${domain}`,
      op: 'SimplifiedLayerNormalization',
      domain,
      inputs: [{ dims: [2, 4] }, { dims: [4] }],
    });
    await expect(InferenceSession.create(caseGraph(c('')).bytes)).resolves.toBeDefined();
    await expect(InferenceSession.create(caseGraph(c('com.microsoft')).bytes)).rejects.toThrow(
      /com\.microsoft:SimplifiedLayerNormalization.*is not a registered function\/op/,
    );
    expect(missingOps(caseGraph(c('')).graph)).toEqual([]);
    expect(missingOps(caseGraph(c('com.microsoft')).graph)).toEqual([
      'com.microsoft:SimplifiedLayerNormalization (first: out0)',
    ]);
  });
});

describe('onnx:f64 ops against hand-computed values', () => {
  const run = (c: OpCase, values: number[][]) => {
    const { graph } = caseGraph(c);
    const feeds = new Map(
      c.inputs.map((spec, i) => [
        `in${i}`,
        tensor(ELEM[spec.type ?? 'float'], spec.dims, Float64Array.from(values[i]!)),
      ]),
    );
    return new GraphRunner(graph, null).run(feeds);
  };

  it('Softmax of [1, 2, 3] is e^x / Σ e^x', () => {
    const out = run({ name: 'softmax', op: 'Softmax', inputs: [{ dims: [3] }] }, [[1, 2, 3]]).get('out0')!;
    const z = Math.E + Math.E ** 2 + Math.E ** 3;
    expect(Array.from(out.data)).toEqual([Math.E / z, Math.E ** 2 / z, Math.E ** 3 / z]);
  });

  it('DynamicQuantizeLinear of [0, 2.55, −2.55] has scale 0.02, zero point 128 (rounded half to even), codes 128, 255, 0', () => {
    const out = run({ name: 'dql', op: 'DynamicQuantizeLinear', inputs: [{ dims: [3] }], outputs: 3 }, [
      [0, 2.55, -2.55],
    ]);
    expect(out.get('out1')!.data[0]).toBeCloseTo(0.02, 15);
    expect(out.get('out2')!.data[0]).toBe(128);
    expect(Array.from(out.get('out0')!.data)).toEqual([128, 255, 0]);
  });

  it('LayerNormalization of [1, 3] (ε = 0) is [−1, 1]', () => {
    const c: OpCase = {
      name: 'ln',
      op: 'LayerNormalization',
      inputs: [{ dims: [2] }, { dims: [2] }],
      attributes: [float('epsilon', 0)],
    };
    expect(
      Array.from(
        run(c, [
          [1, 3],
          [1, 1],
        ]).get('out0')!.data,
      ),
    ).toEqual([-1, 1]);
  });

  it('Trilu of a 3×3 with k = 1 keeps what is above the diagonal; upper = 0 the rest', () => {
    const m = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const trilu = (upper: number) =>
      Array.from(
        run(
          {
            name: 'trilu',
            op: 'Trilu',
            inputs: [{ dims: [3, 3] }, { dims: [], type: 'int64', values: [1] }],
            attributes: [int('upper', upper)],
            opset: 14,
          },
          [m, [1]],
        ).get('out0')!.data,
      );
    expect(trilu(1)).toEqual([0, 2, 3, 0, 0, 6, 0, 0, 0]);
    expect(trilu(0)).toEqual([1, 2, 0, 4, 5, 6, 7, 8, 9]);
  });

  it('Gelu of ±1 is ±Φ(±1) (0.8413447460685429, −0.1586552539314571), and its tanh form 0.8411919906082768, −0.1588080093917232', () => {
    const gelu = (approximate: string) =>
      Array.from(
        run(
          {
            name: 'gelu',
            op: 'Gelu',
            inputs: [{ dims: [3] }],
            attributes: [str('approximate', approximate)],
            opset: 20,
          },
          [[1, -1, 0]],
        ).get('out0')!.data,
      );
    const none = gelu('none');
    expect(none[0]).toBeCloseTo(0.8413447460685429, 15);
    expect(none[1]).toBeCloseTo(-0.15865525393145707, 15);
    expect(none[2]).toBe(0);
    const tanh = gelu('tanh');
    expect(tanh[0]).toBeCloseTo(0.8411919906082768, 15);
    expect(tanh[1]).toBeCloseTo(-0.15880800939172324, 15);
  });

  it('SimplifiedLayerNormalization of [3, 4] (ε = 0, scale 1) is [3, 4] / √12.5, inv_std_var 1 / √12.5', () => {
    const out = run(
      {
        name: 'sln',
        op: 'SimplifiedLayerNormalization',
        inputs: [{ dims: [2] }, { dims: [2] }],
        outputs: 2,
        attributes: [float('epsilon', 0)],
      },
      [
        [3, 4],
        [1, 1],
      ],
    );
    const y = Array.from(out.get('out0')!.data);
    expect(y[0]).toBeCloseTo(0.848528137423857, 15);
    expect(y[1]).toBeCloseTo(1.131370849898476, 15);
    expect(out.get('out1')!.dims).toEqual([1]);
    expect(out.get('out1')!.data[0]).toBeCloseTo(0.282842712474619, 15);
  });
});
