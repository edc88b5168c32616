import { describe, expect, it } from 'vitest';
import { NumericError } from '../../harness/core/errors.ts';
import { createRng } from '../../harness/core/rng/seeded-rng.ts';
import { CandidateOrder, sortPrefix } from '../../harness/engine/decode/candidate-order.ts';
import { inverseCdfChoice } from '../../harness/engine/decode/inverse-cdf.ts';

const NEG = Number.NEGATIVE_INFINITY;
const ln = Math.log;

describe('inverseCdfChoice', () => {
  // Probabilities 0.5 (id 2), 0.3 (id 0), 0.2 (id 1): candidate order is 2, 0, 1.
  const scores = [ln(0.3), ln(0.2), ln(0.5)];

  it('walks candidates by descending probability and takes the first cumulative > coin', () => {
    expect(inverseCdfChoice(scores, 0).id).toBe(2);
    expect(inverseCdfChoice(scores, 0.49).id).toBe(2);
    expect(inverseCdfChoice(scores, 0.5).id).toBe(0); // cumulative 0.5 is not > 0.5
    expect(inverseCdfChoice(scores, 0.79).id).toBe(0);
    expect(inverseCdfChoice(scores, 0.81).id).toBe(1);
    expect(inverseCdfChoice(scores, 0.999).id).toBe(1);
  });

  it('reports the cumulative interval the coin fell in', () => {
    const choice = inverseCdfChoice(scores, 0.6);
    expect(choice.id).toBe(0);
    expect(choice.coin).toBe(0.6);
    expect(choice.cdfLow).toBeCloseTo(0.5, 15);
    expect(choice.cdfHigh).toBeCloseTo(0.8, 15);
    expect(Math.min(choice.coin - choice.cdfLow, choice.cdfHigh - choice.coin)).toBeCloseTo(0.1, 15);
  });

  it('breaks ties to the lower id', () => {
    expect(inverseCdfChoice([0, 0, 0, 0], 0.1).id).toBe(0);
    expect(inverseCdfChoice([0, 0, 0, 0], 0.3).id).toBe(1);
    expect(inverseCdfChoice([1, 5, 5, 1], 0.4).id).toBe(1);
  });

  it('never picks a filtered token', () => {
    const filtered = [NEG, 0, NEG, 0, NEG];
    for (const coin of [0, 0.25, 0.5, 0.75, 1 - 2 ** -53]) {
      expect([1, 3]).toContain(inverseCdfChoice(filtered, coin).id);
    }
  });

  it('guards the last index: a coin above the rounded total takes the last candidate', () => {
    // Ten probabilities of 0.1 sum to 0.9999999999999999 in float64, which the largest coin equals.
    const coin = 1 - 2 ** -53;
    expect(Array.from({ length: 10 }, () => 0.1).reduce((s, p) => s + p, 0)).toBe(coin);
    const choice = inverseCdfChoice(new Float64Array(10), coin);
    expect(choice).toEqual({ id: 9, coin, cdfLow: 0.8999999999999999, cdfHigh: 1 });
  });

  it('interval widths equal the softmax probabilities for every survivor', () => {
    const rng = createRng({ seed: 5 });
    const row = Float64Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? NEG : 4 * rng.next()));
    const max = Math.max(...row);
    const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
    let coin = 0;
    while (coin < 1 - 1e-12) {
      const { id, cdfLow, cdfHigh } = inverseCdfChoice(row, coin);
      expect(cdfLow).toBeCloseTo(coin, 12);
      expect((cdfHigh - cdfLow) / (Math.exp(row[id]! - max) / z)).toBeCloseTo(1, 12);
      coin = cdfHigh;
    }
  });

  it('rejects a row with nothing left, a non-finite score and a coin outside [0, 1)', () => {
    expect(() => inverseCdfChoice([NEG, NEG], 0.5)).toThrow(NumericError);
    expect(() => inverseCdfChoice([NEG, NEG], 0.5)).toThrow(/every token was filtered/);
    expect(() => inverseCdfChoice([0, Number.NaN, 1], 0.5)).toThrow(
      /score for token 1 is NaN after the logits processors/,
    );
    expect(() => inverseCdfChoice([0, Number.POSITIVE_INFINITY], 0.5)).toThrow(/token 1 is Infinity/);
    expect(() => inverseCdfChoice([0, 1], 1)).toThrow(RangeError);
    expect(() => inverseCdfChoice([0, 1], -0.1)).toThrow(/coin -0.1 is outside \[0, 1\)/);
  });
});

describe('candidate order', () => {
  it('sortPrefix puts the best `count` first in candidate order, like a full sort', () => {
    const rng = createRng({ seed: 9 });
    for (const n of [1, 2, 15, 17, 100, 2000]) {
      for (const count of [0, 1, 5, 16, 33, n]) {
        const keys = Float64Array.from({ length: n }, () => Math.floor(rng.next() * 8));
        const ids = Int32Array.from({ length: n }, (_, i) => i);
        const expected = [...ids].sort((a, b) => keys[b]! - keys[a]! || a - b).slice(0, Math.min(count, n));
        const sortedKeys = Float64Array.from(keys);
        sortPrefix(ids, sortedKeys, 0, n, count);
        expect(Array.from(ids.slice(0, Math.min(count, n)))).toEqual(expected);
        expect([...ids].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        expect(Array.from(sortedKeys)).toEqual(Array.from(ids, (id) => keys[id]));
      }
    }
  });

  it('orders lazily: only the head a walk visits is sorted', () => {
    const row = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const order = new CandidateOrder(row);
    order.orderThrough(0);
    expect(order.ids[0]).toBe(Array.from(row).indexOf(Math.max(...row)));
    const tail = Array.from(order.probs.slice(100));
    expect(tail).not.toEqual([...tail].sort((a, b) => b - a));
  });
});
