import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { createRng } from '../../harness/core/rng/seeded-rng.ts';
import type { SequenceSoFar } from '../../harness/engine/decode/processors/logits-processor.ts';
import { createMinNewTokens } from '../../harness/engine/decode/processors/min-new-tokens.ts';
import { createMinP } from '../../harness/engine/decode/processors/min-p.ts';
import { createNoRepeatNgram } from '../../harness/engine/decode/processors/no-repeat-ngram.ts';
import { createProcessorChain } from '../../harness/engine/decode/processors/processor-chain.ts';
import { createRepetitionPenalty } from '../../harness/engine/decode/processors/repetition-penalty.ts';
import { createTemperature } from '../../harness/engine/decode/processors/temperature.ts';
import { createTopK, kthLargest } from '../../harness/engine/decode/processors/top-k.ts';
import { createTopP } from '../../harness/engine/decode/processors/top-p.ts';

const NEG = Number.NEGATIVE_INFINITY;
const noSequence: SequenceSoFar = { ids: [], promptLength: 0 };

function run(
  processor: { apply(s: Float64Array, q: SequenceSoFar): void },
  scores: number[],
  seq = noSequence,
) {
  const row = Float64Array.from(scores);
  processor.apply(row, seq);
  return Array.from(row);
}

/** Seeded logits with many exact ties (values on a 0.25 grid). */
function tiedRow(seed: number, vocab: number): Float64Array {
  const rng = createRng({ seed });
  return Float64Array.from({ length: vocab }, () => Math.round((rng.next() - 0.5) * 24) / 4);
}

/** Naive twin of top-k: full sort, threshold at the k-th value, ties with it kept. */
function naiveTopK(scores: Float64Array, k: number): number[] {
  const kk = Math.min(k, scores.length);
  const threshold = [...scores].sort((a, b) => b - a)[kk - 1]!;
  return Array.from(scores, (x) => (x < threshold ? NEG : x));
}

/** Naive twin of top-p: full softmax and full sort in candidate order, keep while mass before < p. */
function naiveTopP(scores: Float64Array, p: number, minKeep = 1): number[] {
  const max = Math.max(...scores);
  const w = Array.from(scores, (x) => Math.exp(x - max));
  const z = w.reduce((s, v) => s + v, 0);
  const order = [...scores.keys()]
    .filter((i) => scores[i]! !== NEG)
    .sort((a, b) => w[b]! / z - w[a]! / z || a - b);
  const out = Array.from(scores);
  let mass = 0;
  order.forEach((id, rank) => {
    if (rank >= minKeep && mass >= p) out[id] = NEG;
    mass += w[id]! / z;
  });
  return out;
}

describe('temperature', () => {
  it('divides every score by T', () => {
    expect(run(createTemperature(2), [2, -1, 0, NEG])).toEqual([1, -0.5, 0, NEG]);
  });
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s and points to greedy', (t) => {
    expect(() => createTemperature(t)).toThrow(UsageError);
    expect(() => createTemperature(t)).toThrow(`--temperature ${t} must be a finite number > 0 (for greedy`);
  });
});

describe('repetition penalty', () => {
  it('divides positive and multiplies negative scores of seen tokens, once per token', () => {
    const seq = { ids: [0, 1, 1, 1, 2], promptLength: 2 };
    expect(run(createRepetitionPenalty(2), [2, -2, 0, 1], seq)).toEqual([1, -4, 0, 1]);
    expect(run(createRepetitionPenalty(0.5), [2, -2, 0, 1], seq)).toEqual([4, -1, 0, 1]);
  });
  it('counts prompt tokens too', () => {
    expect(run(createRepetitionPenalty(2), [4, 4], { ids: [1], promptLength: 1 })).toEqual([4, 2]);
  });
  it.each([0, -1.2, Number.NaN])('rejects %s', (penalty) => {
    expect(() => createRepetitionPenalty(penalty)).toThrow(
      `--repetition-penalty ${penalty} must be a finite number > 0`,
    );
  });
});

describe('no-repeat n-gram', () => {
  const scores = () => Array.from({ length: 10 }, () => 0);
  const banned = (n: number, ids: number[]) =>
    run(createNoRepeatNgram(n), scores(), { ids, promptLength: 1 }).flatMap((x, i) => (x === NEG ? [i] : []));

  it('size 1 bans every token already in prompt + generated', () => {
    expect(banned(1, [5, 3, 5])).toEqual([3, 5]);
  });
  it('size 2 bans what followed the last token before', () => {
    expect(banned(2, [1, 2, 3, 1])).toEqual([2]);
    expect(banned(2, [1, 2, 1, 4, 1])).toEqual([2, 4]);
    expect(banned(2, [1, 2, 3])).toEqual([]);
  });
  it('size 3 bans what followed the last two tokens before', () => {
    expect(banned(3, [1, 2, 3, 1, 2])).toEqual([3]);
    expect(banned(3, [1, 2, 3, 2, 2])).toEqual([]);
  });
  it('bans nothing until the sequence holds n - 1 tokens', () => {
    expect(banned(3, [7])).toEqual([]);
    expect(banned(3, [7, 7])).toEqual([]);
    expect(banned(3, [7, 7, 7])).toEqual([7]);
  });
  it('size 0 is the no-op', () => {
    expect(banned(0, [1, 1, 1])).toEqual([]);
  });
  it.each([-1, 1.5])('rejects %s', (n) => {
    expect(() => createNoRepeatNgram(n)).toThrow(`--no-repeat-ngram-size ${n} must be a whole number ≥ 0`);
  });
});

describe('min new tokens', () => {
  const processor = createMinNewTokens(2, [7, 9]);
  it('suppresses every eos id until n tokens are generated', () => {
    const row = Array.from({ length: 10 }, () => 1);
    const processedAfter = (ids: number[]) => run(processor, row, { ids, promptLength: 3 });
    expect(processedAfter([0, 0, 0])[7]).toBe(NEG);
    const oneNew = processedAfter([0, 0, 0, 5]);
    expect([oneNew[7], oneNew[9], oneNew[5]]).toEqual([NEG, NEG, 1]);
    expect(processedAfter([0, 0, 0, 5, 5])).toEqual(row);
  });
  it.each([-1, 0.5])('rejects --min-new-tokens %s', (n) => {
    expect(() => createMinNewTokens(n, [1])).toThrow(`--min-new-tokens ${n} must be a whole number ≥ 0`);
  });
  it('rejects a bad eos id, and one outside the vocabulary when it applies', () => {
    expect(() => createMinNewTokens(1, [-1])).toThrow(
      /eos token id -1 must be a whole number ≥ 0; check eos_token_id/,
    );
    const outside = createMinNewTokens(1, [12]);
    expect(() => run(outside, [0, 0], { ids: [1], promptLength: 1 })).toThrow(
      /eos token id 12 is outside the vocabulary \(2 tokens\)/,
    );
  });
});

describe('top-k', () => {
  it('keeps every token tied with the k-th (HF: scores < k-th value are removed)', () => {
    expect(run(createTopK(2), [1, 3, 3, 2, 3])).toEqual([NEG, 3, 3, NEG, 3]);
    expect(run(createTopK(3), [1, 3, 2, 2, 0])).toEqual([NEG, 3, 2, 2, NEG]);
  });
  it('clamps k to the vocabulary and raises it to min_tokens_to_keep', () => {
    expect(run(createTopK(10), [1, 2, 3])).toEqual([1, 2, 3]);
    expect(run(createTopK(1, 2), [1, 2, 3])).toEqual([NEG, 2, 3]);
  });
  it('k = 0 is the no-op', () => {
    expect(run(createTopK(0), [1, 2, 3])).toEqual([1, 2, 3]);
  });
  it('counts already-filtered tokens as the lowest scores', () => {
    expect(run(createTopK(2), [NEG, 1, NEG])).toEqual([NEG, 1, NEG]);
  });
  it('equals its naive full-sort twin on tied rows for every k', () => {
    for (const seed of [1, 2, 3]) {
      const row = tiedRow(seed, 120);
      for (let k = 1; k <= 121; k += 7) expect(run(createTopK(k), [...row])).toEqual(naiveTopK(row, k));
    }
  });
  it('kthLargest finds the k-th value with duplicates', () => {
    const row = Float64Array.from([5, 1, 5, 3, 2, 5]);
    expect([1, 2, 3, 4, 5, 6].map((k) => kthLargest(row, k))).toEqual([5, 5, 5, 3, 2, 1]);
  });
  it.each([-1, 2.5, Number.NaN])('rejects %s', (k) => {
    expect(() => createTopK(k)).toThrow(`--top-k ${k} must be a whole number ≥ 0`);
  });
});

describe('top-p', () => {
  it('keeps the smallest head whose mass reaches p', () => {
    const scores = [Math.log(2), 0, 0]; // probabilities 0.5, 0.25, 0.25 exactly
    expect(run(createTopP(0.5), scores)).toEqual([Math.log(2), NEG, NEG]);
    expect(run(createTopP(0.51), scores)).toEqual([Math.log(2), 0, NEG]);
    expect(run(createTopP(0.75), scores)).toEqual([Math.log(2), 0, NEG]);
    expect(run(createTopP(0.76), scores)).toEqual(scores);
  });
  it('always keeps at least one token, or min_tokens_to_keep', () => {
    expect(run(createTopP(0.01), [10, 0, 0])).toEqual([10, NEG, NEG]);
    expect(run(createTopP(0.01, 2), [10, 0, 0])).toEqual([10, 0, NEG]);
  });
  it('breaks ties at the boundary to the lower id', () => {
    expect(run(createTopP(0.5), [0, 0, 0, 0])).toEqual([0, 0, NEG, NEG]);
  });
  it('p = 1 keeps everything even where float sums reach 1 early', () => {
    const scores = [0, ...Array.from({ length: 60 }, () => -40)];
    expect(run(createTopP(1), scores)).toEqual(scores);
  });
  it('equals its naive full-sort twin, also after top-k and on large rows', () => {
    for (const seed of [4, 5, 6]) {
      const row = tiedRow(seed, 300);
      for (const p of [0.05, 0.3, 0.5, 0.9, 0.99, 0.999999]) {
        expect(run(createTopP(p), [...row])).toEqual(naiveTopP(row, p));
        expect(run(createTopP(p, 5), [...row])).toEqual(naiveTopP(row, p, 5));
        const afterTopK = Float64Array.from(naiveTopK(row, 40));
        expect(run(createTopP(p), [...afterTopK])).toEqual(naiveTopP(afterTopK, p));
      }
    }
    const big = tiedRow(7, 50257).map((x) => x * 2);
    expect(run(createTopP(0.9), [...big])).toEqual(naiveTopP(big, 0.9));
  });
  it.each([0, 1.5, -0.1, Number.NaN])('rejects %s', (p) => {
    expect(() => createTopP(p)).toThrow(UsageError);
    expect(() => createTopP(p)).toThrow(`--top-p ${p} must be in (0, 1]`);
  });
});

describe('min-p', () => {
  const scores = [0, Math.log(0.5), Math.log(0.1), Math.log(0.05), NEG]; // relative to the top: 1, .5, .1, .05
  it('filters tokens below min_p times the top probability', () => {
    expect(run(createMinP(0.2), scores)).toEqual([0, Math.log(0.5), NEG, NEG, NEG]);
    expect(run(createMinP(0.07), scores)).toEqual([0, Math.log(0.5), Math.log(0.1), NEG, NEG]);
  });
  it('min_p = 1 keeps only tokens tied with the best; 0 keeps everything', () => {
    expect(run(createMinP(1), [2, 1, 2])).toEqual([2, NEG, 2]);
    expect(run(createMinP(0), scores)).toEqual(scores);
  });
  it('always keeps the top min_tokens_to_keep', () => {
    expect(run(createMinP(0.9, 3), scores)).toEqual([0, Math.log(0.5), Math.log(0.1), NEG, NEG]);
  });
  it.each([-0.1, 1.1, Number.NaN])('rejects %s', (p) => {
    expect(() => createMinP(p)).toThrow(`--min-p ${p} must be in [0, 1]`);
  });
});

describe('processor chain', () => {
  const everything = {
    doSample: true,
    repetitionPenalty: 1.3,
    noRepeatNgramSize: 2,
    minNewTokens: 3,
    eosTokenIds: [0],
    temperature: 0.7,
    topK: 20,
    topP: 0.9,
    minP: 0.05,
  };
  it("runs in HF's _get_logits_processor order", () => {
    expect(createProcessorChain(everything).processors.map((p) => p.name)).toEqual([
      'repetition_penalty',
      'no_repeat_ngram_size',
      'min_new_tokens',
      'temperature',
      'top_k',
      'top_p',
      'min_p',
    ]);
  });
  it('skips no-op values, min_new_tokens without eos ids, and warpers without do_sample', () => {
    const noOps = {
      repetitionPenalty: 1,
      noRepeatNgramSize: 0,
      minNewTokens: 0,
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
    };
    expect(createProcessorChain({ ...noOps, doSample: true }).processors).toEqual([]);
    expect(createProcessorChain({ doSample: true, minNewTokens: 3 }).processors).toEqual([]);
    expect(createProcessorChain({ ...everything, doSample: false }).processors.map((p) => p.name)).toEqual([
      'repetition_penalty',
      'no_repeat_ngram_size',
      'min_new_tokens',
    ]);
  });
  it('equals applying its processors one by one in that order', () => {
    const row = tiedRow(11, 64);
    const seq = { ids: [3, 4, 5, 3], promptLength: 2 };
    const chained = Float64Array.from(row);
    createProcessorChain(everything).apply(chained, seq);
    const byHand = Float64Array.from(row);
    for (const p of [
      createRepetitionPenalty(1.3),
      createNoRepeatNgram(2),
      createMinNewTokens(3, [0]),
      createTemperature(0.7),
      createTopK(20),
      createTopP(0.9),
      createMinP(0.05),
    ]) {
      p.apply(byHand, seq);
    }
    expect(chained).toEqual(byHand);
    expect(chained[4]).toBe(NEG); // no-repeat: 3 was followed by 4 before
    expect(chained[0]).toBe(NEG); // min_new_tokens: the eos id
  });
  it('temperature runs before top-p, so it changes how many tokens survive (HF order)', () => {
    const row = Float64Array.from([2, 1, 0, -1]);
    const kept = (temperature: number) => {
      const r = Float64Array.from(row);
      createProcessorChain({ doSample: true, temperature, topP: 0.8 }).apply(r, noSequence);
      return r.filter((x) => x !== NEG).length;
    };
    expect(kept(0.5)).toBeLessThan(kept(3));
  });
  it('validates every given value, even one that will not run', () => {
    expect(() => createProcessorChain({ doSample: false, temperature: 0 })).toThrow(
      /--temperature 0 must be/,
    );
    expect(() => createProcessorChain({ doSample: true, minNewTokens: -2 })).toThrow(/--min-new-tokens -2/);
    expect(() => createProcessorChain({ doSample: true, topP: 1.5 })).toThrow(
      '--top-p 1.5 must be in (0, 1]',
    );
  });
  it('rejects min_tokens_to_keep below 1', () => {
    expect(() => createProcessorChain({ doSample: true, minTokensToKeep: 0 })).toThrow(
      /min_tokens_to_keep 0 must be a whole number ≥ 1/,
    );
  });
});
