import { describe, expect, it } from 'vitest';
import { ScriptedSource } from '../../backends/scripted/scripted-source.ts';
import { tableScript } from '../../backends/scripted/table-script.ts';
import { decode } from '../../harness/engine/decode/decode.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../harness/engine/decode/generation-config.ts';

/** Greedy and sampling on scripted logits: each expectation is checkable with pencil and paper. */
const PROMPT = [4];
const config = (overrides: Partial<GenerationConfig>): GenerationConfig => ({ ...HF_DEFAULTS, ...overrides });

describe('greedy on scripted logits', () => {
  // vocab 0..4, eos 0. The argmax path is 1, 2, then eos (0.6), so generation ends after 3 tokens.
  const script = tableScript(
    PROMPT.length,
    { '': [0.1, 0.6, 0.3, 0, 0], '1': [0.2, 0.1, 0.7, 0, 0], '1,2': [0.6, 0.1, 0.1, 0.2, 0] },
    [0.1, 0.2, 0.3, 0.4, 0],
  );
  const source = () => new ScriptedSource(script, { vocabSize: 5 });

  it('stops after emitting eos and keeps it, as HF does', async () => {
    const r = await decode(source(), PROMPT, config({ max_new_tokens: 10, eos_token_id: [0] }));
    const s = r.sequences[0]!;
    expect(s.tokenIds).toEqual([1, 2, 0]);
    expect(s.finishReason).toBe('eos');
    expect(s.totalLogprob).toBeCloseTo(Math.log(0.6 * 0.7 * 0.6), 12);
  });

  it('min_new_tokens 4 bans eos until 4 tokens exist', async () => {
    // Step 2: eos banned, so 3 (0.2) wins; step 3 falls back to the default row: 3 (0.4) again;
    // step 4: eos allowed again, but the default row's argmax is still 3; max_new_tokens 5 ends it.
    const r = await decode(
      source(),
      PROMPT,
      config({ max_new_tokens: 5, min_new_tokens: 4, eos_token_id: [0] }),
    );
    expect(r.sequences[0]!.tokenIds).toEqual([1, 2, 3, 3, 3]);
    expect(r.sequences[0]!.finishReason).toBe('max_new_tokens');
    // Logprobs stay those of the raw distribution: eos's ban does not renormalise the record.
    expect(r.sequences[0]!.steps[2]!.logprob).toBeCloseTo(Math.log(0.2), 12);
  });

  it('stop_strings end the continuation once the text completes a stop string across tokens', async () => {
    const letters = ['<eos>', 'a', 'b', 'c', 'd'];
    const textOf = (ids: readonly number[]) => ids.map((id) => letters[id]).join('');
    // The default row's argmax is 3 ("c"): text grows "a", "ab", "abc", and "bc" completes with the
    // third token (no eos configured here, so 0 is just another token).
    const noEos = tableScript(
      PROMPT.length,
      { '': [0.1, 0.6, 0.3, 0, 0], '1': [0.2, 0.1, 0.7, 0, 0] },
      [0.1, 0.2, 0.3, 0.4, 0],
    );
    const r = await decode(
      new ScriptedSource(noEos, { vocabSize: 5 }),
      PROMPT,
      config({ max_new_tokens: 10, stop_strings: ['bc'] }),
      {
        textOf,
      },
    );
    expect(r.sequences[0]!.tokenIds).toEqual([1, 2, 3]);
    expect(r.sequences[0]!.finishReason).toBe('stop_string');
  });

  it('repetition_penalty divides a positive logit of a seen token (and multiplies a negative one)', async () => {
    // Raw logits, not probabilities: token 1 (2.0) is in the prompt, so 2.0 / 2 = 1.0 < 1.5 and
    // token 2 wins; token 3 (-0.4) is also in the prompt and becomes -0.8, still below token 4 (-0.5).
    const logits = new ScriptedSource(() => [-9, 2.0, 1.5, -0.4, -0.5], { vocabSize: 5 });
    const prompt = [1, 3];
    const plain = await decode(logits, prompt, config({ max_new_tokens: 1 }));
    expect(plain.sequences[0]!.tokenIds).toEqual([1]);
    const penalised = await decode(logits, prompt, config({ max_new_tokens: 2, repetition_penalty: 2 }));
    // Step 1: 2 is now seen too: 1.5 / 2 = 0.75 < 1.0, so 1 comes back.
    expect(penalised.sequences[0]!.tokenIds).toEqual([2, 1]);
    // The recorded logprob is the raw one: log-softmax of the unpenalised logits.
    const z = Math.log([-9, 2.0, 1.5, -0.4, -0.5].reduce((sum, x) => sum + Math.exp(x), 0));
    expect(penalised.sequences[0]!.steps[0]!.logprob).toBeCloseTo(1.5 - z, 12);
  });
});

describe('sampling on scripted probabilities', () => {
  // Every step offers 1: 0.5, 2: 0.3, 3: 0.2, so the CDF intervals are [0, .5), [.5, .8), [.8, 1).
  const script = tableScript(PROMPT.length, {}, [0, 0.5, 0.3, 0.2]);
  // alea with seed 42 draws (fixtures/rng/seedrandom-vectors.json):
  const COINS = [
    0.6848634964661496, 0.8455933186223463, 0.563738122108285, 0.044950066283721446, 0.8142874278854225,
  ];

  it('walks the CDF in candidate order: the first token whose cumulative probability exceeds the coin', async () => {
    const source = new ScriptedSource(script, { vocabSize: 4 });
    const r = await decode(
      source,
      PROMPT,
      config({ max_new_tokens: 5, do_sample: true, top_k: 0, seed: 42 }),
    );
    const steps = r.sequences[0]!.steps;
    expect(steps.map((s) => s.coin)).toEqual(COINS);
    // .685 ∈ [.5,.8) → 2; .846 ∈ [.8,1) → 3; .564 → 2; .045 ∈ [0,.5) → 1; .814 → 3.
    expect(r.sequences[0]!.tokenIds).toEqual([2, 3, 2, 1, 3]);
    const intervals = steps.map((s) => s.cdf!);
    const expected = [
      [0.5, 0.8],
      [0.8, 1],
      [0.5, 0.8],
      [0, 0.5],
      [0.8, 1],
    ];
    intervals.forEach(([low, high], n) => {
      expect(low).toBeCloseTo(expected[n]![0]!, 12);
      expect(high).toBeCloseTo(expected[n]![1]!, 12);
    });
  });

  it('temperature 0.5 squares the probabilities before the walk', async () => {
    // p ∝ p² → 0.25, 0.09, 0.04 over 0.38: intervals [0, .658), [.658, .895), [.895, 1).
    const source = new ScriptedSource(script, { vocabSize: 4 });
    const r = await decode(
      source,
      PROMPT,
      config({ max_new_tokens: 2, do_sample: true, top_k: 0, temperature: 0.5, seed: 42 }),
    );
    const [first, second] = r.sequences[0]!.steps;
    expect(first!.id).toBe(2); // .685 ∈ [.658, .895)
    expect(first!.cdf![0]).toBeCloseTo(0.25 / 0.38, 12);
    expect(first!.cdf![1]).toBeCloseTo(0.34 / 0.38, 12);
    expect(second!.id).toBe(2); // .846 ∈ [.658, .895)
  });

  it('num_return_sequences draws one coin per row per step, in row order, from one stream', async () => {
    const source = new ScriptedSource(script, { vocabSize: 4 });
    const r = await decode(
      source,
      PROMPT,
      config({ max_new_tokens: 2, do_sample: true, top_k: 0, seed: 42, num_return_sequences: 2 }),
    );
    expect(r.sequences.map((s) => s.steps.map((step) => step.coin))).toEqual([
      [COINS[0], COINS[2]],
      [COINS[1], COINS[3]],
    ]);
    expect(r.sequences.map((s) => s.tokenIds)).toEqual([
      [2, 2],
      [3, 1],
    ]);
  });
});
