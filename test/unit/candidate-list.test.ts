import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumericError } from '../../harness/core/errors.ts';
import { inverseCdfChoice, inverseCdfChoiceOf } from '../../harness/engine/decode/inverse-cdf.ts';
import type { ScoresRow, SequenceSoFar } from '../../harness/engine/decode/processors/logits-processor.ts';
import {
  createProcessorChain,
  type ProcessorOptions,
} from '../../harness/engine/decode/processors/processor-chain.ts';
import { argmax } from '../../harness/engine/decode/top-candidates.ts';

const SEQUENCE: SequenceSoFar = { ids: [3, 1, 4, 1, 5], promptLength: 2 };

/** Each processor's own full-row apply, one after another: the chain as it was before candidate lists. */
function naiveChain(options: ProcessorOptions, row: ScoresRow): void {
  for (const processor of createProcessorChain(options).processors) processor.apply(row, SEQUENCE);
}

const sameBits = (a: ScoresRow, b: ScoresRow) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Rows with ties (scores drawn from a few values), some tokens already filtered (-Infinity), and
 * chains of every warper after top-k with any min_tokens_to_keep, and a repetition penalty before.
 */
const rowArb = fc
  .array(
    fc.oneof(
      fc.integer({ min: -6, max: 6 }).map((v) => v / 2),
      fc.double({ min: -8, max: 8, noNaN: true }),
      fc.constant(Number.NEGATIVE_INFINITY),
    ),
    {
      minLength: 2,
      maxLength: 300,
    },
  )
  .filter((xs) => xs.some((x) => x !== Number.NEGATIVE_INFINITY));
const optionsArb: fc.Arbitrary<ProcessorOptions> = fc.record(
  {
    doSample: fc.constant(true),
    repetitionPenalty: fc.constantFrom(1, 1.3),
    temperature: fc.constantFrom(1, 0.7, 1.9),
    topK: fc.integer({ min: 0, max: 60 }),
    topP: fc.constantFrom(1, 0.95, 0.5, 0.1),
    minP: fc.constantFrom(0, 0.05, 0.3),
    typicalP: fc.constantFrom(1, 0.9, 0.3),
    epsilonCutoff: fc.constantFrom(0, 0.001, 0.05),
    etaCutoff: fc.constantFrom(0, 0.002, 0.1),
    minTokensToKeep: fc.integer({ min: 1, max: 4 }),
  },
  { requiredKeys: ['doSample'] },
);

describe('the chain on a candidate list after top-k = every processor on the full row', () => {
  it('gives the same row, bit for bit, and the same greedy and sampled choices from the list', () => {
    fc.assert(
      fc.property(
        rowArb,
        optionsArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (xs, options, coin) => {
          const expected = Float64Array.from(xs);
          naiveChain(options, expected);
          const row = Float64Array.from(xs);
          const list = createProcessorChain(options).applyAndList(row, SEQUENCE);
          expect(sameBits(row, expected)).toBe(true);
          if (list === null) return;
          // the list holds every surviving token, in ascending id order, with its row score
          expect([...list.ids]).toEqual([...list.ids].sort((a, b) => a - b));
          const survivors = [...expected.keys()].filter((i) => expected[i] !== Number.NEGATIVE_INFINITY);
          expect(survivors.every((i) => list.ids.includes(i))).toBe(true);
          expect([...list.scores]).toEqual([...list.ids].map((id) => expected[id]));
          if (survivors.length === 0) return;
          expect(list.ids[argmax(list.scores)]).toBe(argmax(expected));
          expect(inverseCdfChoiceOf(list.scores, list.ids, coin)).toEqual(inverseCdfChoice(expected, coin));
        },
      ),
      { numRuns: 400, seed: 20261204 },
    );
  });

  it('keeps float32 rounding on a Float32Array row (the transformers.js-compatible mode)', () => {
    const xs = Array.from({ length: 500 }, (_, i) => Math.sin(i * 12.9898) * 7);
    const options: ProcessorOptions = { doSample: true, temperature: 0.7, topK: 40, topP: 0.9, minP: 0.02 };
    const expected = Float32Array.from(xs);
    naiveChain(options, expected);
    const row = Float32Array.from(xs);
    const list = createProcessorChain(options).applyAndList(row, SEQUENCE);
    expect(list?.scores).toBeInstanceOf(Float32Array);
    expect(sameBits(row, expected)).toBe(true);
  });

  it('lists nothing when no filter narrows the row (top_k 0, or k ≥ the vocabulary)', () => {
    for (const topK of [0, 10]) {
      const row = Float64Array.from({ length: 10 }, (_, i) => i);
      expect(
        createProcessorChain({ doSample: true, topK, topP: 0.5 }).applyAndList(row, SEQUENCE),
      ).toBeNull();
    }
  });

  it('a NaN that survives top-k is met on the row, so the error names its token id', () => {
    const row = Float64Array.from({ length: 100 }, (_, i) => (i % 7) - 3);
    row[40] = Number.NaN;
    const topK = createProcessorChain({ doSample: true, topK: 20 });
    expect(topK.applyAndList(Float64Array.from(row), SEQUENCE)).toBeNull();
    const withTopP = createProcessorChain({ doSample: true, topK: 20, topP: 0.9 });
    expect(() => withTopP.apply(Float64Array.from(row), SEQUENCE)).toThrow(NumericError);
    expect(() => withTopP.apply(Float64Array.from(row), SEQUENCE)).toThrow(/score for token 40 is NaN/);
  });

  it('inverseCdfChoiceOf names a non-finite score by the token id the list gives it', () => {
    const ids = Int32Array.from([3, 40, 77]);
    expect(() => inverseCdfChoiceOf([0, Number.NaN, 1], ids, 0.5)).toThrow(/score for token 40 is NaN/);
    expect(() => inverseCdfChoiceOf([0, 1, Number.POSITIVE_INFINITY], ids, 0.5)).toThrow(
      /token 77 is Infinity/,
    );
  });
});
