import { describe, expect, it } from 'vitest';
import { ScriptedSource } from '../../backends/scripted/scripted-source.ts';
import { tableScript } from '../../backends/scripted/table-script.ts';
import { decode } from '../../harness/engine/decode/decode.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../harness/engine/decode/generation-config.ts';

/**
 * Beam search on scripted distributions small enough to walk by hand. Every expected number below
 * is arithmetic on the table's probabilities; sums of logprobs are written as ln(product).
 */
const PROMPT = [5];
const ln = Math.log;
const beam = (overrides: Partial<GenerationConfig>): GenerationConfig => ({
  ...HF_DEFAULTS,
  num_beams: 2,
  ...overrides,
});

describe('beam search, width 2, on a hand-checkable table (vocab 0..3, no eos)', () => {
  // Greedy would take 1 (0.5) then 3 (0.35 so far) and end at 0.35 * 0.34 = 0.119.
  // Beam keeps the 2 best partial sequences by total probability at every step:
  //   step 0: [1] 0.5, [2] 0.3                        (0.2 for [3] is dropped)
  //   step 1: [1,3] 0.35, [2,1] 0.27                  ([1,2] 0.10, [1,1] 0.05, [2,2] [2,3] 0.015 dropped)
  //   step 2: [2,1,3] 0.27 * 0.9 = 0.243, [1,3,1] 0.35 * 0.34 = 0.119
  const script = tableScript(
    PROMPT.length,
    {
      '': [0, 0.5, 0.3, 0.2],
      '1': [0, 0.1, 0.2, 0.7],
      '2': [0, 0.9, 0.05, 0.05],
      '1,3': [0, 0.34, 0.33, 0.33],
      '2,1': [0, 0.05, 0.05, 0.9],
    },
    [0.25, 0.25, 0.25, 0.25],
  );

  it('keeps the k best partial sequences by total logprob and beats greedy', async () => {
    const source = new ScriptedSource(script, { vocabSize: 4 });
    const result = await decode(source, PROMPT, beam({ max_new_tokens: 3, num_return_sequences: 2 }));
    expect(result.sequences.map((s) => s.tokenIds)).toEqual([
      [2, 1, 3],
      [1, 3, 1],
    ]);
    // length_penalty 1: score = sum of logprobs / 3.
    expect(result.sequences[0]!.score).toBeCloseTo(ln(0.3 * 0.9 * 0.9) / 3, 12);
    expect(result.sequences[1]!.score).toBeCloseTo(ln(0.5 * 0.7 * 0.34) / 3, 12);
    expect(result.sequences[0]!.totalLogprob).toBeCloseTo(ln(0.243), 12);
    // The walk: which candidates were kept at each step.
    const kept = result.beamSteps!.map((step) =>
      step.candidates.filter((c) => c.fate === 'kept').map((c) => [c.beam, c.id, Math.exp(c.score)]),
    );
    expect(kept[0]!.map(([, id]) => id)).toEqual([1, 2]);
    expect(kept[1]!.map(([b, id]) => [b, id])).toEqual([
      [0, 3],
      [1, 1],
    ]);
    expect(kept[1]![0]![2]).toBeCloseTo(0.35, 12);
    expect(kept[1]![1]![2]).toBeCloseTo(0.27, 12);
    // Both beams ran as one batch per step; the backend saw only the surviving prefixes.
    expect(source.calls).toEqual([[5], [5, 1], [5, 2], [5, 1, 3], [5, 2, 1]]);
  });

  it('returns only the best with num_return_sequences 1, and greedy takes the locally best path', async () => {
    const source = new ScriptedSource(script, { vocabSize: 4 });
    const best = await decode(source, PROMPT, beam({ max_new_tokens: 3 }));
    expect(best.sequences.map((s) => s.tokenIds)).toEqual([[2, 1, 3]]);
    const greedy = await decode(source, PROMPT, { ...HF_DEFAULTS, max_new_tokens: 3 });
    expect(greedy.sequences[0]!.tokenIds).toEqual([1, 3, 1]);
  });
});

describe('beam search with eos: early_stopping true / false / "never" and length_penalty', () => {
  // vocab 0..5, eos 0, width 2, up to 4 new tokens. By hand:
  //   step 0: [0] 0.5 is eos at rank 0 → finished, score ln(0.5)/1; beams [1] 0.3, [2] 0.2
  //   step 1: ranked [1,3] 0.15, [2,0] 0.12 (eos, rank 1 → finished, ln(0.12)/2), [1,0] 0.105 (eos
  //           at rank 2: not within num_beams, dropped), [2,3] 0.08; beams [1,3], [2,3].
  //           Two finished hypotheses: early_stopping true stops here.
  //           false: can an open beam still win? best ln(0.15)/2 = -0.949 > worst ln(0.12)/2 = -1.060: go on.
  //   step 2: [1,3,1] 0.039 is the best candidate: false stops, since ln(0.039)/3 = -1.081 ≤ -1.060;
  //           "never" judges at the maximum length, ln(0.039)/4 = -0.811 > -1.060: go on.
  //   step 3: [1,3,1,0] 0.0351 finishes with ln(0.0351)/4 = -0.837 and replaces [2,0].
  const script = tableScript(
    PROMPT.length,
    {
      '': [0.5, 0.3, 0.2, 0, 0, 0],
      '1': [0.35, 0.15, 0, 0.5, 0, 0],
      '2': [0.6, 0, 0, 0.4, 0, 0],
      '1,3': [0, 0.26, 0.25, 0.25, 0.24, 0],
      '2,3': [0, 0.4, 0.3, 0.3, 0, 0],
      '1,3,1': [0.9, 0.1, 0, 0, 0, 0],
    },
    [0, 0.5, 0.5, 0, 0, 0],
  );
  const run = async (overrides: Partial<GenerationConfig>) => {
    const source = new ScriptedSource(script, { vocabSize: 6 });
    const config = beam({ max_new_tokens: 4, eos_token_id: [0], num_return_sequences: 2, ...overrides });
    const result = await decode(source, PROMPT, config);
    return {
      tokens: result.sequences.map((s) => s.tokenIds),
      scores: result.sequences.map((s) => s.score!),
      reasons: result.sequences.map((s) => s.finishReason),
      steps: result.beamSteps!.length,
    };
  };

  it('early_stopping true stops once num_beams hypotheses are finished (after 2 steps)', async () => {
    const r = await run({ early_stopping: true });
    expect(r.steps).toBe(2);
    expect(r.tokens).toEqual([[0], [2, 0]]);
    expect(r.scores[0]).toBeCloseTo(ln(0.5), 12);
    expect(r.scores[1]).toBeCloseTo(ln(0.2 * 0.6) / 2, 12);
    expect(r.reasons).toEqual(['eos', 'eos']);
  });

  it('early_stopping false stops when no open beam can beat the worst at its current length (3 steps)', async () => {
    const r = await run({ early_stopping: false });
    expect(r.steps).toBe(3);
    expect(r.tokens).toEqual([[0], [2, 0]]);
  });

  it('early_stopping "never" judges at max length, goes on and finds a better hypothesis (4 steps)', async () => {
    const r = await run({ early_stopping: 'never' });
    expect(r.steps).toBe(4);
    expect(r.tokens).toEqual([[0], [1, 3, 1, 0]]);
    expect(r.scores[1]).toBeCloseTo(ln(0.3 * 0.5 * 0.26 * 0.9) / 4, 12);
  });

  it('length_penalty 2 divides by length² and reorders the finished hypotheses', async () => {
    const r = await run({ early_stopping: true, length_penalty: 2 });
    // ln(0.12)/2² = -0.530 now beats ln(0.5)/1² = -0.693.
    expect(r.tokens).toEqual([[2, 0], [0]]);
    expect(r.scores[0]).toBeCloseTo(ln(0.12) / 4, 12);
  });

  it('length_penalty 0 ranks by the plain sum of logprobs', async () => {
    const r = await run({ early_stopping: true, length_penalty: 0 });
    expect(r.tokens).toEqual([[0], [2, 0]]);
    expect(r.scores[1]).toBeCloseTo(ln(0.12), 12);
  });

  it('min_new_tokens keeps eos out until enough tokens exist', async () => {
    // min_new_tokens 1 bans eos at step 0 (its processed logprob becomes -inf; the others are not
    // renormalised, as in HF), so [0] never finishes. Step 1 finishes [2,0] as before; early_stopping
    // true then waits for a second hypothesis: [1,3,1,0] at step 3.
    const r = await run({ early_stopping: true, min_new_tokens: 1 });
    expect(r.steps).toBe(4);
    expect(r.tokens).toEqual([
      [1, 3, 1, 0],
      [2, 0],
    ]);
    expect(r.scores[0]).toBeCloseTo(ln(0.3 * 0.5 * 0.26 * 0.9) / 4, 12);
  });
});
