import { describe, expect, it } from 'vitest';
import { Gpt2F32 } from '../../backends/ts-kernels/gpt2-f32.ts';
import { Gpt2F64 } from '../../backends/ts-kernels/gpt2-f64.ts';
import { gpt2Weights } from '../../backends/ts-kernels/gpt2-weights.ts';
import { MatmulThreads } from '../../backends/ts-kernels/matmul-threads.ts';
import { type Logits, type LogitsSource, logitsRow } from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import { randomGpt2 } from './helpers/random-gpt2.ts';

// V=97, C=16, 2 layers, 2 heads, 32 positions.
const model = randomGpt2();
const V = model.config.vocab_size;
const P = model.config.n_positions;
const makeF64 = (): Gpt2F64 => new Gpt2F64(gpt2Weights(model.tensors, model.config, Float64Array, 'random'));
const makeF32 = (): Gpt2F32 =>
  new Gpt2F32(gpt2Weights(model.tensors, model.config, Float32Array, 'random'), MatmulThreads.start(1));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A deterministic token sequence of `length` ids below V. */
const tokens = (length: number, salt: number): number[] =>
  Array.from({ length }, (_, i) => (i * 31 + salt * 17 + 5) % V);

describe('ts:f32 agrees with the ts:f64 reference', () => {
  it('on a padded batch prefill and the steps after it: max |Δlogit| < 1e-4', async () => {
    const [reference, fast] = [makeF64(), makeF32()];
    const rows = [tokens(9, 1), tokens(3, 2), tokens(6, 3)];
    const a = await reference.prefill(rows, { allPositions: true });
    const b = await fast.prefill(rows, { allPositions: true });
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-4);
    for (let step = 0; step < 5; step++) {
      const next = [step, step + 40, step + 80];
      expect(maxAbsDiff((await reference.step(next)).data, (await fast.step(next)).data)).toBeLessThan(1e-4);
    }
  });

  it('reports what ran', () => {
    expect(makeF64().info).toMatchObject({ id: 'ts:f64', dtype: 'float64', executionProvider: 'ts-kernels' });
    expect(makeF32().info).toMatchObject({ id: 'ts:f32', dtype: 'float32', threads: 1 });
    expect(makeF32().info.device).toMatch(/^cpu \(/);
  });
});

// Same tolerance for both: f32 prefill and step sum in different orders (blocks of four rows vs one).
describe.each([
  ['ts:f64', makeF64, 1e-12],
  ['ts:f32', makeF32, 1e-5],
] as const)('%s', (_id, make, tolerance) => {
  const expectSameRow = (
    a: Logits,
    b: Logits,
    rowA: number,
    colA: number,
    rowB: number,
    colB: number,
  ): void => {
    expect(maxAbsDiff(logitsRow(a, rowA, colA), logitsRow(b, rowB, colB))).toBeLessThanOrEqual(tolerance);
  };

  it('prefill then step equals one prefill of the whole sequence (cache correctness)', async () => {
    const sequence = tokens(12, 4);
    const full = await make().prefill([sequence], { allPositions: true });
    expect([full.batch, full.positions, full.vocab]).toEqual([1, 12, V]);
    const source = make();
    expectSameRow(await source.prefill([sequence.slice(0, 5)]), full, 0, 0, 0, 4);
    for (let j = 5; j < sequence.length; j++)
      expectSameRow(await source.step([sequence[j]!]), full, 0, 0, 0, j);
  });

  it('left-padded batch rows equal the rows run alone, in prefill and in later steps', async () => {
    const rows = [tokens(4, 5), tokens(7, 6), tokens(1, 7)];
    const batch = make();
    const together = await batch.prefill(rows, { allPositions: true });
    expect([together.batch, together.positions]).toEqual([3, 7]);
    expect(together.data.every(Number.isFinite)).toBe(true);
    const alone = rows.map(() => make());
    for (const [b, row] of rows.entries()) {
      const single = await alone[b]!.prefill([row], { allPositions: true });
      const pad = 7 - row.length;
      for (let j = 0; j < row.length; j++) expectSameRow(together, single, b, pad + j, 0, j);
    }
    for (let step = 0; step < 3; step++) {
      const next = [step + 1, step + 2, step + 3];
      const stepped = await batch.step(next);
      for (const [b, source] of alone.entries())
        expectSameRow(stepped, await source.step([next[b]!]), b, 0, 0, 0);
    }
  });

  it('prefill without allPositions returns each row’s last column only', async () => {
    const rows = [tokens(2, 8), tokens(5, 9)];
    const all = await make().prefill(rows, { allPositions: true });
    const last = await make().prefill(rows);
    expect([last.batch, last.positions, last.vocab]).toEqual([2, 1, V]);
    expectSameRow(last, all, 0, 0, 0, 4);
    expectSameRow(last, all, 1, 0, 1, 4);
  });

  it('reorder permutes, duplicates and drops rows; duplicates then diverge independently', async () => {
    const rows = [tokens(3, 10), tokens(5, 11), tokens(2, 12)];
    const source = make();
    await source.prefill(rows);
    await source.reorder([2, 0, 0]);
    const first = await source.step([1, 2, 3]);
    const second = await source.step([4, 5, 6]);
    expect(first.batch).toBe(3);
    const continued = [
      [...rows[2]!, 1, 4],
      [...rows[0]!, 2, 5],
      [...rows[0]!, 3, 6],
    ];
    const expected = await make().prefill(continued, { allPositions: true });
    for (let b = 0; b < 3; b++) {
      expectSameRow(first, expected, b, 0, b, expected.positions - 2);
      expectSameRow(second, expected, b, 0, b, expected.positions - 1);
    }

    await source.reorder([1]);
    const single = await source.step([7]);
    expect(single.batch).toBe(1);
    const alone = await make().prefill([[...rows[0]!, 2, 5, 7]]);
    expectSameRow(single, alone, 0, 0, 0, 0);
  });

  it('is deterministic and returns fresh arrays the next call does not overwrite', async () => {
    const source = make();
    const a = await source.prefill([tokens(6, 13)]);
    const kept = a.data.slice();
    await source.step([3]);
    expect(a.data).toEqual(kept);
    expect((await make().prefill([tokens(6, 13)])).data).toEqual(kept);
  });

  it('reset drops the rows: step and reorder then ask for prefill', async () => {
    const source = make();
    await source.prefill([tokens(3, 14)]);
    source.reset();
    await expect(source.step([1])).rejects.toThrow(/step called with no rows; call prefill first/);
    await expect(source.reorder([0])).rejects.toThrow(/reorder called with no rows; call prefill first/);
  });

  describe('rejects bad calls with a UsageError that names the value', () => {
    const rejects = async (call: (s: LogitsSource) => Promise<unknown>, message: RegExp): Promise<void> => {
      const source = make();
      const error = await call(source).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
    };

    it('no rows or an empty row', async () => {
      await rejects((s) => s.prefill([]), /prefill needs at least one row/);
      await rejects((s) => s.prefill([[1], []]), /prefill row 1 is empty/);
    });

    it.each([V, -1, 1.5, Number.NaN])('token id %s', async (id) => {
      const outside = new RegExp(
        `token id ${id} at row 0 position 1 is outside the vocabulary \\[0, ${V}\\)`,
      );
      await rejects((s) => s.prefill([[1, id]]), outside);
      await rejects(
        async (s) => {
          await s.prefill([[1]]);
          return s.step([id]);
        },
        new RegExp(`token id ${id} at row 0 is outside`),
      );
    });

    it('a prompt or a generation longer than n_positions', async () => {
      const tooLong = new RegExp(`sequence length ${P + 1} .* exceeds the model's maxPositions ${P}`);
      await rejects((s) => s.prefill([tokens(P + 1, 15)]), tooLong);
      await rejects(async (s) => {
        await s.prefill([tokens(P, 15)]);
        return s.step([1]);
      }, tooLong);
      // Padding counts: a short row padded to a full-length neighbour cannot step either.
      await rejects(async (s) => {
        await s.prefill([tokens(P, 15), [1]]);
        await s.reorder([1]);
        return s.step([1]);
      }, tooLong);
    });

    it('a step with the wrong number of tokens, before prefill, or a bad reorder', async () => {
      await rejects((s) => s.step([1]), /step called with no rows; call prefill first/);
      await rejects(async (s) => {
        await s.prefill([[1], [2]]);
        return s.step([1]);
      }, /step got 1 tokens for a batch of 2 rows/);
      await rejects(async (s) => {
        await s.prefill([[1], [2]]);
        return s.reorder([0, 2]);
      }, /reorder source row 2 does not exist; the batch has rows 0..1/);
      await rejects(async (s) => {
        await s.prefill([[1]]);
        return s.reorder([]);
      }, /reorder needs at least one source row/);
    });
  });
});
