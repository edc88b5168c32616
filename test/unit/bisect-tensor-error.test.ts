import { describe, expect, it } from 'vitest';
import type { ProbeTensor } from '../../harness/core/backend/contract.ts';
import { compareNodes } from '../../harness/engine/bisect/node-comparison.ts';
import { float16Overflow, tensorError, unravel } from '../../harness/engine/bisect/tensor-error.ts';

const t = (data: number[], dims = [data.length], type = 'float32'): ProbeTensor => ({
  type,
  dims,
  data: Float64Array.from(data),
});

describe('tensorError, against hand-computed values', () => {
  it('max |Δ|, NMSE = Σ(a − r)² / Σ r², scale and the worst element of a [2, 2] pair', () => {
    const e = tensorError('x', t([1, 2, 3, 5], [2, 2]), t([1, 2, 3, 4], [2, 2]));
    expect(e.maxAbsDiff).toBe(1);
    expect(e.nmse).toBe(1 / 30); // 1² / (1 + 4 + 9 + 16)
    expect(e.scale).toBe(4);
    expect(e.worst).toEqual({ index: [1, 1], tested: 5, reference: 4 });
  });

  it('equal tensors: 0 error and no worst element', () => {
    const e = tensorError('x', t([0, -1]), t([0, -1]));
    expect([e.maxAbsDiff, e.nmse, e.worst]).toEqual([0, 0, null]);
  });

  it('one side non-finite: infinite error; both the same infinity: none', () => {
    expect(tensorError('x', t([Number.POSITIVE_INFINITY, 1]), t([2, 1])).maxAbsDiff).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(tensorError('x', t([Number.NaN]), t([Number.NaN])).maxAbsDiff).toBe(Number.POSITIVE_INFINITY);
    expect(tensorError('x', t([Number.NEGATIVE_INFINITY, 1]), t([Number.NEGATIVE_INFINITY, 1])).nmse).toBe(0);
  });

  it('float32 mask fills (−3.4e38) on both sides are left out of NMSE and scale', () => {
    const fill = -3.4028234663852886e38;
    const e = tensorError('x', t([fill, 1.5]), t([fill * (1 - 1e-7), 1]));
    expect(e.nmse).toBe(0.25); // (1.5 − 1)² / 1², the fill ignored
    expect(e.scale).toBe(1);
  });

  it('unravel gives the row-major index', () => {
    expect(unravel(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(unravel(5, [2, 3, 4])).toEqual([0, 1, 1]);
  });
});

describe('float16Overflow', () => {
  const f16 = (data: number[]) => t(data, [data.length], 'float16');
  it('flags ±Inf on a float16 side where the other is finite, with the first index and the count', () => {
    const o = float16Overflow(
      'y',
      f16([1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
      t([1, 70000, -9e4], [3], 'float64'),
    );
    expect(o).toEqual({
      name: 'y',
      side: 'tested',
      index: [1],
      tested: Number.POSITIVE_INFINITY,
      reference: 70000,
      count: 2,
    });
  });
  it('flags a saturated 65504 only where the other side is beyond float16’s range', () => {
    expect(float16Overflow('y', f16([65504]), t([70000]))?.side).toBe('tested');
    expect(float16Overflow('y', f16([-65504]), t([-65503.5]))).toBeNull(); // a mask fill, rounded
  });
  it('ignores float32 tensors and overflow on both sides', () => {
    expect(float16Overflow('y', t([Number.POSITIVE_INFINITY]), t([1]))).toBeNull();
    expect(float16Overflow('y', f16([Number.POSITIVE_INFINITY]), f16([Number.POSITIVE_INFINITY]))).toBeNull();
  });
});

describe('compareNodes', () => {
  const node = (index: number, inputs: string[], out: string) => ({
    index,
    name: out,
    opType: 'Op',
    domain: 'ai.onnx',
    inputs,
    outputs: [out],
  });
  const nodes = [node(0, ['in'], 'a'), node(1, ['a'], 'b'), node(2, ['b'], 'c')];
  const values = (b: number, c: number) =>
    new Map([
      ['a', t([1, 1])],
      ['b', t([b, 1])],
      ['c', t([c, 1])],
    ]);
  const compare = (tested: Map<string, ProbeTensor>) =>
    compareNodes({
      referenceNodes: nodes,
      testedNodes: nodes,
      testedValues: tested,
      referenceValues: values(1, 1),
      testedExposed: new Set(['a', 'b', 'c']),
      referenceExposed: new Set(['a', 'b', 'c']),
      graphInputs: new Set(['in']),
      testedInitializers: new Map(),
      referenceInitializers: new Map(),
      dtype: 'float32',
      nmseLimit: 1e-7,
    });

  it('names the first node over the limit, marks it as growing, and lists its inputs’ errors', () => {
    const { rows, parting } = compare(values(1.01, 1.01));
    expect(parting?.node.name).toBe('b');
    expect(parting?.inputs).toEqual([{ name: 'a', nmse: 0, maxAbsDiff: 0, source: 'node' }]);
    expect(rows.map((r) => [r.parted, r.grows])).toEqual([
      [false, false],
      [true, true],
      [true, false], // c inherits b's error: same relative error, growth 1
    ]);
    expect(rows[2]!.growth).toBeCloseTo(1, 12);
  });

  it('an integer output that differs at all parts, whatever the limit', () => {
    const tested = values(1, 1);
    tested.set('a', t([1, 2], [2], 'int64'));
    const reference = values(1, 1);
    reference.set('a', t([1, 3], [2], 'int64'));
    const { parting } = compareNodes({
      referenceNodes: nodes,
      testedNodes: nodes,
      testedValues: tested,
      referenceValues: reference,
      testedExposed: new Set(['a']),
      referenceExposed: new Set(['a']),
      graphInputs: new Set(['in']),
      testedInitializers: new Map(),
      referenceInitializers: new Map(),
      dtype: 'float32',
      nmseLimit: 1,
    });
    expect(parting?.node.name).toBe('a');
  });
});
