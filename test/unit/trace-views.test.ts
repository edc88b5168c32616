import { describe, expect, it } from 'vitest';
import { ScriptedSource } from '../../backends/scripted/scripted-source.ts';
import { logitsOfProbs, tableScript } from '../../backends/scripted/table-script.ts';
import { ToySource } from '../../backends/scripted/toy-source.ts';
import { parseTemperatureList } from '../../harness/app/cli/temperature-list.ts';
import { parseToyDistribution } from '../../harness/app/cli/toy-distribution.ts';
import { decode } from '../../harness/engine/decode/decode.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../harness/engine/decode/generation-config.ts';
import { ignoredSamplingSettings } from '../../harness/engine/decode/ignored-sampling-settings.ts';
import { resolveGenerationConfig } from '../../harness/engine/decode/resolve-generation-config.ts';

/**
 * The trace's views of a decode: the distribution each choice read (in the order a coin walks it),
 * the temperature tables, the beam candidates and their fates. Every expected number is arithmetic
 * on the given probabilities or logits, or an exercise sheet's printed value.
 */
const ln = Math.log;
const config = (overrides: Partial<GenerationConfig>): GenerationConfig => ({ ...HF_DEFAULTS, ...overrides });
const ids = (n: number) => Array.from({ length: n }, (_, id) => id);
const toyRun = (
  given: 'logits' | 'probs',
  text: string,
  overrides: Partial<GenerationConfig>,
  temperatures: number[],
) => {
  const toy = parseToyDistribution(given, text);
  return decode(new ToySource(toy.logits), [], config({ max_new_tokens: 1, ...overrides }), {
    recordTopK: toy.tokens.length,
    view: { walkRows: toy.tokens.length, temperatures, temperatureIds: ids(toy.tokens.length) },
    contextFree: true,
  });
};
const twoDecimals = (xs: readonly number[]) => xs.map((x) => x.toFixed(2));

describe('temperature tables on a toy vocabulary: the exercise sheet numbers, to two decimals', () => {
  it('the/quick/brown/fox/jumped/over logits at T = 1 and T = 1.95', async () => {
    const result = await toyRun(
      'logits',
      'the=1.1,quick=0.5,brown=0.85,fox=0.97,jumped=1.2,over=0.3',
      {},
      [1, 1.95],
    );
    const table = result.sequences[0]!.steps[0]!.temperatures!;
    expect(table.rows.map((r) => r.logit)).toEqual([1.1, 0.5, 0.85, 0.97, 1.2, 0.3]);
    expect(twoDecimals(table.rows.map((r) => r.at[0]!.prob))).toEqual([
      '0.21',
      '0.12',
      '0.16',
      '0.18',
      '0.23',
      '0.09',
    ]);
    expect(twoDecimals(table.rows.map((r) => r.at[1]!.prob))).toEqual([
      '0.19',
      '0.14',
      '0.17',
      '0.18',
      '0.20',
      '0.13',
    ]);
    expect(table.rows[0]!.at[1]!.adjusted).toBeCloseTo(1.1 / 1.95, 15);
  });

  it('the five logits [1.1, 0.7, 0.85, 0.9, 1.02] at T = 0.2', async () => {
    const result = await toyRun('logits', 'the=1.1,quick=0.7,brown=0.85,fox=0.9,jumped=1.02', {}, [0.2]);
    const probs = result.sequences[0]!.steps[0]!.temperatures!.rows.map((r) => r.at[0]!.prob);
    expect(twoDecimals(probs)).toEqual(['0.41', '0.06', '0.12', '0.15', '0.27']);
  });

  it('by hand: logits [ln 2, 0] are 2/3, 1/3 at T = 1 and (logits doubled) 4/5, 1/5 at T = 0.5', async () => {
    const result = await toyRun('logits', `a=${ln(2)},b=0`, {}, [1, 0.5]);
    const [a, b] = result.sequences[0]!.steps[0]!.temperatures!.rows;
    expect(a!.at.map((x) => x.prob)).toEqual([expect.closeTo(2 / 3, 14), expect.closeTo(4 / 5, 14)]);
    expect(b!.at.map((x) => x.prob)).toEqual([expect.closeTo(1 / 3, 14), expect.closeTo(1 / 5, 14)]);
    expect(a!.at[1]!.adjusted).toBeCloseTo(2 * ln(2), 14);
  });
});

describe('the walk: the distribution the choice read, in the order the coin walks it', () => {
  it('probabilities a/b/c = 0.5/0.4/0.1 read as log p, rescaled to log(p)/T and sampled at T = 2', async () => {
    const result = await toyRun(
      'probs',
      'a=0.5,b=0.4,c=0.1',
      { do_sample: true, seed: 7, temperature: 2 },
      [],
    );
    const step = result.sequences[0]!.steps[0]!;
    // softmax(log(p) / 2) = sqrt(p) / sum(sqrt(p)).
    const roots = [0.5, 0.4, 0.1].map(Math.sqrt);
    const total = roots[0]! + roots[1]! + roots[2]!;
    const hand = roots.map((r) => r / total);
    const walk = step.walk!;
    expect(walk.distribution).toBe('processed');
    expect(walk.top.map((c) => c.id)).toEqual([0, 1, 2]);
    expect(walk.top.map((c) => c.prob)).toEqual(hand.map((p) => expect.closeTo(p, 14)));
    expect(walk.top.map((c) => c.cumulative)).toEqual(
      [hand[0]!, hand[0]! + hand[1]!, 1].map((p) => expect.closeTo(p, 14)),
    );
    expect(walk.top.map((c) => Math.exp(c.rawLogprob))).toEqual(
      [0.5, 0.4, 0.1].map((p) => expect.closeTo(p, 14)),
    );
    // The printed rule: the first row whose cumulative exceeds the coin.
    const handRow = [hand[0]!, hand[0]! + hand[1]!, 1].findIndex((c) => c > step.coin!);
    expect(step.id).toBe(handRow);
    expect(walk.chosenRank).toBe(handRow + 1);
  });

  // raw [0.5, 0.25, 0.15, 0.1]; top-k 2 leaves 2/3, 1/3. Seed 0 draws u = 0.5945 (alea): the raw
  // cumulative column (0.5, 0.75) would give rank 2, the processed one (0.667, 1) gives rank 1.
  const raw = [0.5, 0.25, 0.15, 0.1];
  const source = () => new ScriptedSource(() => logitsOfProbs(raw), { vocabSize: 4 });
  const sample = (overrides: Partial<GenerationConfig>, rows: number) =>
    decode(source(), [0], config({ do_sample: true, seed: 0, max_new_tokens: 1, ...overrides }), {
      recordTopK: rows,
      view: { walkRows: rows, temperatures: [] },
    });

  it('with top-k the cumulative column is the processed one, and the coin falls in the chosen row', async () => {
    const result = await sample({ top_k: 2 }, 4);
    const step = result.sequences[0]!.steps[0]!;
    expect(step.coin).toBeCloseTo(0.5945, 4);
    expect(result.processors).toEqual(['top_k']);
    expect(step.walk!.survivors).toBe(2);
    expect(step.walk!.top.map((c) => [c.id, c.prob, c.cumulative])).toEqual([
      [0, expect.closeTo(2 / 3, 14), expect.closeTo(2 / 3, 14)],
      [1, expect.closeTo(1 / 3, 14), expect.closeTo(1, 14)],
    ]);
    expect(step.id).toBe(0);
    expect(step.walk!.chosenRank).toBe(1);
    expect(step.cdf![1]).toBe(step.walk!.top[0]!.cumulative); // the same sums, bit for bit
  });

  it('a chosen token beyond the printed rows comes along with its rank', async () => {
    const result = await sample({ top_k: 0 }, 1); // cumulative 0.5, 0.75: u = 0.5945 is row 2
    const walk = result.sequences[0]!.steps[0]!.walk!;
    expect(walk.top.map((c) => c.id)).toEqual([0]);
    expect(walk.chosenRank).toBe(2);
    expect(walk.chosenBeyond).toEqual({
      id: 1,
      rawLogprob: expect.closeTo(ln(0.25), 14),
      prob: expect.closeTo(0.25, 14),
      cumulative: expect.closeTo(0.75, 14),
    });
  });

  it('greedy with a processor walks the processed distribution; with none, the raw one', async () => {
    // repetition_penalty 2 on the prompt token 0: its logit ln 0.5 < 0 is doubled to ln 0.25, so the
    // scores are ln [0.25, 0.25, 0.15, 0.1] over 0.75: 1/3, 1/3, 0.2, 2/15, and the tie goes to id 0.
    const penalised = await decode(source(), [0], config({ repetition_penalty: 2, max_new_tokens: 1 }), {
      recordTopK: 4,
      view: { walkRows: 4, temperatures: [] },
    });
    const walk = penalised.sequences[0]!.steps[0]!.walk!;
    expect(walk.distribution).toBe('processed');
    expect(walk.top.map((c) => [c.id, c.prob])).toEqual([
      [0, expect.closeTo(1 / 3, 14)],
      [1, expect.closeTo(1 / 3, 14)],
      [2, expect.closeTo(0.2, 14)],
      [3, expect.closeTo(2 / 15, 14)],
    ]);
    const plain = await decode(source(), [0], config({ max_new_tokens: 1 }), {
      view: { walkRows: 2, temperatures: [] },
    });
    const rawWalk = plain.sequences[0]!.steps[0]!.walk!;
    expect(rawWalk.distribution).toBe('raw');
    expect(rawWalk.top.map((c) => c.cumulative)).toEqual([expect.closeTo(0.5, 14), expect.closeTo(0.75, 14)]);
  });
});

describe('the beam view: every ranked candidate, its parent, total and fate, and the finished list', () => {
  // Vocab 0..3, eos ids 3 and 2 (so HF ranks max(2, 1 + 2) × 2 = 6 pairs), width 2, 2 steps.
  //   step 1 from the prompt alone: 1 (0.4) kept as beam 0; eos 3 (0.3) is rank 2 < width: finished,
  //     score ln 0.3 / 1; eos 2 (0.2) is rank 3 ≥ width: skipped; 0 (0.1) kept as beam 1;
  //     the inactive beam 1's pairs (at -1e9) are cut.
  //   step 2: beam 0 = [1], beam 1 = [0]. Pairs: [1,3] 0.4·0.78, [1,2] 0.4·0.2, [0,0] 0.1·0.5,
  //     [0,1] 0.1·0.3, then 0.01s. [1,3] finishes (score ln 0.312 / 2) and fills the list of 2;
  //     [1,2] (ln 0.08 / 2 < ln 0.3) is no better than its worst; [0,0] and [0,1] are kept; the rest cut.
  const script = tableScript(
    1,
    { '': [0.1, 0.4, 0.2, 0.3], '1': [0.01, 0.01, 0.2, 0.78], '0': [0.5, 0.3, 0.1, 0.1] },
    [0.25, 0.25, 0.25, 0.25],
  );

  it('records the fates, why a pair was dropped, and the length-normalised hypotheses', async () => {
    const result = await decode(
      new ScriptedSource(script, { vocabSize: 4 }),
      [0],
      config({ num_beams: 2, max_new_tokens: 2, eos_token_id: [3, 2] }),
    );
    const [first, second] = result.beamSteps!;
    expect(first!.beams.map((b) => b.tokenIds)).toEqual([[], []]);
    expect(first!.beams.map((b) => b.score)).toEqual([0, -1e9]);
    expect(first!.candidates.map((c) => [c.beam, c.id, c.fate, c.nextBeam, c.why])).toEqual([
      [0, 1, 'kept', 0, undefined],
      [0, 3, 'finished', undefined, undefined],
      [0, 2, 'dropped', undefined, 'eos-rank'],
      [0, 0, 'kept', 1, undefined],
      [1, 1, 'dropped', undefined, 'cut'],
      [1, 3, 'dropped', undefined, 'cut'],
    ]);
    expect(first!.candidates[1]!.hypothesisScore).toBeCloseTo(ln(0.3), 12);
    expect(first!.candidates[0]!.logprob).toBeCloseTo(ln(0.4), 12);

    expect(second!.beams.map((b) => [b.tokenIds, b.score])).toEqual([
      [[1], expect.closeTo(ln(0.4), 12)],
      [[0], expect.closeTo(ln(0.1), 12)],
    ]);
    expect(second!.candidates.map((c) => [c.beam, c.id, c.fate, c.nextBeam, c.why])).toEqual([
      [0, 3, 'finished', undefined, undefined],
      [0, 2, 'dropped', undefined, 'eos-worse'],
      [1, 0, 'kept', 0, undefined],
      [1, 1, 'kept', 1, undefined],
      [1, 2, 'dropped', undefined, 'cut'],
      [1, 3, 'dropped', undefined, 'cut'],
    ]);
    expect(second!.candidates[0]!.hypothesisScore).toBeCloseTo(ln(0.4 * 0.78) / 2, 12);
    expect(second!.candidates[2]!.score).toBeCloseTo(ln(0.1 * 0.5), 12);

    // Not done at max_new_tokens: the open beams compete (ln 0.05 / 2 and ln 0.03 / 2 lose to ln 0.3).
    expect(result.hypotheses!.map((h) => [h.tokenIds, h.sumLogprobs, h.score, h.endedWithEos])).toEqual([
      [[1, 3], expect.closeTo(ln(0.312), 12), expect.closeTo(ln(0.312) / 2, 12), true],
      [[3], expect.closeTo(ln(0.3), 12), expect.closeTo(ln(0.3), 12), true],
    ]);
    expect(result.sequences.map((s) => s.tokenIds)).toEqual([[1, 3]]);
  });
});

describe('sampling settings a run will not read (Hugging Face warns)', () => {
  const resolve = (cli: Record<string, unknown>, file: Record<string, unknown> = {}) => {
    const layers = [
      { values: file, label: (f: string) => `gen.json: ${f}` },
      { values: cli, label: (f: string) => `--${f.replaceAll('_', '-')}` },
    ];
    return ignoredSamplingSettings(layers, resolveGenerationConfig(layers, 10));
  };

  it('names each warper set away from its default, as its source wrote it, when not sampling', () => {
    expect(resolve({ top_k: 5, temperature: 0.7 }, { top_p: 0.9 })).toEqual([
      '--temperature 0.7',
      '--top-k 5',
      'gen.json: top_p 0.9',
    ]);
    expect(resolve({ num_beams: 2, min_p: 0.1 })).toEqual(['--min-p 0.1']);
  });

  it('is silent when sampling, for defaults, for non-warpers and for temperature 0 (greedy)', () => {
    expect(resolve({ do_sample: true, seed: 1, top_k: 5 })).toEqual([]);
    expect(resolve({ top_k: 50, repetition_penalty: 1.2, temperature: 0 })).toEqual([]);
    // temperature 0 with do_sample is greedy: the other warpers are then unread too.
    expect(resolve({ do_sample: true, temperature: 0, top_p: 0.5 })).toEqual(['--top-p 0.5']);
  });
});

describe('reading --logits, --probs and --temperatures', () => {
  it('takes trimmed NAME=VALUE pairs in order; probabilities become logits log p', () => {
    expect(parseToyDistribution('logits', ' the = 1.1, quick=-0.5 ')).toEqual({
      tokens: ['the', 'quick'],
      given: 'logits',
      logits: [1.1, -0.5],
    });
    const probs = parseToyDistribution('probs', 'a=0.33,b=0.33,c=0.33'); // 0.99: within 0.01 of 1
    expect(probs.logits).toEqual([ln(0.33), ln(0.33), ln(0.33)]);
    expect(parseTemperatureList('1, 1.95,0.2')).toEqual([1, 1.95, 0.2]);
  });

  it.each([
    ['logits', 'a=1,,b=2', /--logits entry "" has no "="/],
    ['logits', '=1', /--logits entry "=1" names no token/],
    ['logits', ' ', /--logits " " lists no tokens/],
    ['logits', 'a=high', /--logits value for "a" "high" must be a number in plain decimal notation/],
    ['logits', 'a=1e400', /--logits value for "a" "1e400" must be a number/],
    ['logits', 'a=0x1F', /--logits value for "a" "0x1F" must be a number/],
    [
      'probs',
      'a=0,b=1',
      /--probs value for "a" "0" must be a number above 0 to 1 \(a probability; a token that can never be drawn is left out\)/,
    ],
    ['probs', 'a=1.5', /--probs value for "a" "1.5" must be a number above 0 to 1/],
    ['probs', 'a=0.5,b=0.48', /sums to 0.98; probabilities must sum to 1 \(within 0.01\)/],
    ['probs', 'a=0.5,a=0.5', /--probs lists token "a" twice/],
  ] as const)('--%s %j is refused', (flag, text, message) => {
    expect(() => parseToyDistribution(flag, text)).toThrow(message);
  });

  it.each([
    ['', /--temperatures "" must be a number from 0.01 to 100 \(a softmax temperature; 0 is greedy/],
    ['1,,2', /--temperatures "" must be a number/],
    ['0.005', /--temperatures "0.005" must be a number from 0.01 to 100/],
    ['101', /--temperatures "101" must be a number from 0.01 to 100/],
    ['-1', /--temperatures "-1" must be/],
    ['1,0.5,1', /--temperatures lists 1 twice; give each temperature once/],
    ['1,2,3,4,5,6,7,8,9', /--temperatures lists 9 values; give at most 8/],
  ])('--temperatures %j is refused', (text, message) => {
    expect(() => parseTemperatureList(text)).toThrow(message);
  });
});
