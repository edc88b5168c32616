import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../harness/app/registry.ts';
import type { LogitsSource } from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import type { ModelDir } from '../../harness/core/model/model-dir.ts';
import { decode } from '../../harness/engine/decode/decode.ts';
import type { DecodeResult } from '../../harness/engine/decode/decode-result.ts';
import { checkForcedLengths } from '../../harness/engine/decode/forced-start.ts';
import { type GenerationConfig, HF_DEFAULTS } from '../../harness/engine/decode/generation-config.ts';
import { rankOf } from '../../harness/engine/decode/top-candidates.ts';
import { loadTokenizer, type Tokenizer } from '../../harness/engine/model/tokenizer.ts';
import { loadModelDir } from '../../harness/engine/model-gen/load-model-dir.ts';
import { continuationTokens } from '../../harness/engine/score/continuation-tokens.ts';
import { checkScoreLengths, scoreContinuation } from '../../harness/engine/score/score-continuation.ts';

let model: ModelDir;
let tokenizer: Tokenizer;
let source: LogitsSource;
beforeAll(async () => {
  model = await loadModelDir('tiny-gpt2');
  tokenizer = await loadTokenizer(model);
  source = await createBackend('ts:f64', model);
});
afterAll(async () => source?.dispose());

/** Written here, independently of the harness: log p = x − log Σ exp(x), summed the plain way. */
function naiveLogSoftmax(row: ArrayLike<number>): number[] {
  const xs = Array.from(row);
  const max = Math.max(...xs);
  const logZ = max + Math.log(xs.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return xs.map((x) => x - logZ);
}

/** Rank by a full sort of the vocabulary: descending logprob, ties to the lower id. */
function naiveRank(logprobs: readonly number[], id: number): number {
  const order = logprobs.map((lp, i) => [lp, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return order.findIndex(([, i]) => i === id) + 1;
}

const config = (over: Partial<GenerationConfig>): GenerationConfig => ({
  ...HF_DEFAULTS,
  eos_token_id: [],
  ...over,
});

describe('score: a continuation teacher-forced after a prompt', () => {
  it("equals log-softmax of one all-positions prefill of prompt + continuation, computed here (HF's compute_transition_scores)", async () => {
    const promptIds = tokenizer.encode('The quick brown');
    const continuationIds = tokenizer.encode(' fox jumps over the lazy dog');
    const score = await scoreContinuation(source, promptIds, continuationIds, 5);

    const path = [...promptIds, ...continuationIds];
    const logits = await source.prefill([path], { allPositions: true });
    const expected = continuationIds.map((id, k) => {
      const p = promptIds.length - 1 + k; // position p predicts token p + 1
      const row = logits.data.subarray(p * logits.vocab, (p + 1) * logits.vocab);
      const logprobs = naiveLogSoftmax(row);
      return { id, logprob: logprobs[id]!, rank: naiveRank(logprobs, id) };
    });
    expect(score.tokens.map((t) => t.id)).toEqual(continuationIds);
    for (const [k, t] of score.tokens.entries()) {
      expect(t.forced).toBe(true);
      expect(t.logprob).toBeCloseTo(expected[k]!.logprob, 9);
      expect(t.rank).toBe(expected[k]!.rank);
      expect(t.top).toHaveLength(5);
    }
    const total = expected.reduce((sum, e) => sum + e.logprob, 0);
    expect(score.totalLogprob).toBeCloseTo(total, 9);
    expect(score.meanNll).toBeCloseTo(-total / continuationIds.length, 9);
    expect(score.perplexity).toBeCloseTo(Math.exp(-total / continuationIds.length), 3);
    expect(score.totalLogprob).toBeLessThan(0);
  });

  it("a continuation of the model's own greedy tokens scores rank 1 at every position", async () => {
    const promptIds = tokenizer.encode('Once upon a time');
    const greedy = await decode(source, promptIds, config({ max_new_tokens: 4 }));
    const score = await scoreContinuation(source, promptIds, greedy.sequences[0]!.tokenIds, 1);
    expect(score.tokens.map((t) => t.rank)).toEqual([1, 1, 1, 1]);
    expect(score.totalLogprob).toBeCloseTo(greedy.sequences[0]!.totalLogprob, 12);
  });

  it('refuses an empty prompt or continuation and a path beyond the positions, naming the fix', () => {
    expect(() => checkScoreLengths(0, 3, 256)).toThrow(/the prompt is empty .* give --prompt TEXT/);
    expect(() => checkScoreLengths(3, 0, 256)).toThrow(
      /the continuation is empty .* give --continuation TEXT/,
    );
    expect(() => checkScoreLengths(200, 58, 256)).toThrow(
      /prompt \(200 tokens\) \+ continuation \(58 tokens\) needs 257 positions .* holds 256; shorten them to 257 tokens together/,
    );
    expect(() => checkScoreLengths(200, 57, 256)).not.toThrow();
    expect(() => checkScoreLengths(0, 3, 256)).toThrow(UsageError);
  });
});

describe('rankOf: the candidate order of the whole vocabulary', () => {
  it('counts the entries before the token; ties go to the lower id', () => {
    const values = [0.5, 2, 0.5, -1, 2];
    expect([0, 1, 2, 3, 4].map((id) => rankOf(values, id))).toEqual([3, 1, 4, 5, 2]);
  });
});

describe('continuation tokens: encoded on their own, appended to the prompt', () => {
  it('says when encoding prompt + continuation as one text would give the same ids', () => {
    const prompt = { text: 'The quick', ids: tokenizer.encode('The quick') };
    const t = continuationTokens(tokenizer, prompt, ' brown fox');
    expect(t.ids).toEqual(tokenizer.encode(' brown fox'));
    expect(t.joint.differsAt).toBeNull();
  });

  it('and where it would differ: a trailing space of the prompt joins the next word in one text', () => {
    const prompt = { text: 'The quick ', ids: tokenizer.encode('The quick ') };
    const t = continuationTokens(tokenizer, prompt, 'brown');
    expect(t.ids).toEqual(tokenizer.encode('brown'));
    expect(t.joint.ids).toEqual(tokenizer.encode('The quick brown'));
    expect(t.joint.differsAt).toBe(2); // [The][ quick][ ][brown] against [The][ quick][ brown]
  });
});

describe('--force: the continuation starts with given tokens, then decoding goes on as configured', () => {
  const forcedText = ' Hey';
  const prompt = 'Translate: hola.';

  async function forcedAndPlain(over: Partial<GenerationConfig>): Promise<[DecodeResult, DecodeResult]> {
    const promptIds = tokenizer.encode(prompt);
    const forcedIds = tokenizer.encode(forcedText);
    const forced = await decode(source, promptIds, config(over), { forcedIds });
    const plain = await decode(source, [...promptIds, ...forcedIds], config(over));
    return [forced, plain];
  }

  it.each([
    ['greedy', { max_new_tokens: 3 }],
    ['sampling', { max_new_tokens: 3, do_sample: true, seed: 7, top_k: 0, temperature: 1.5 }],
    ['beam search', { max_new_tokens: 3, num_beams: 2, num_return_sequences: 2 }],
  ] as const)('%s after the forced start is exactly decoding prompt + forced ids', async (_name, over) => {
    const [forced, plain] = await forcedAndPlain(over);
    const forcedIds = tokenizer.encode(forcedText);
    const score = await scoreContinuation(source, tokenizer.encode(prompt), forcedIds, 5);
    expect(forced.promptIds).toEqual(tokenizer.encode(prompt));
    expect(forced.forcedIds).toEqual(forcedIds);
    expect(forced.sequences).toHaveLength(plain.sequences.length);
    for (const [i, sequence] of forced.sequences.entries()) {
      const own = plain.sequences[i]!;
      expect(sequence.tokenIds).toEqual([...forcedIds, ...own.tokenIds]);
      const head = sequence.steps.slice(0, forcedIds.length);
      expect(head.map((s) => [s.id, s.forced, s.rank])).toEqual(
        score.tokens.map((s) => [s.id, true, s.rank]),
      );
      expect(head.map((s) => s.logprob)).toEqual(score.tokens.map((s) => s.logprob));
      expect(sequence.steps.slice(forcedIds.length)).toEqual(own.steps);
      expect(sequence.totalLogprob).toBeCloseTo(score.totalLogprob + own.totalLogprob, 12);
      expect(sequence.score).toEqual(own.score);
    }
  });

  it('refuses a forced start that does not fit the positions with max_new_tokens, naming the fix', () => {
    expect(() => checkForcedLengths(100, 100, 60, 256)).toThrow(
      /prompt \(100 tokens\) \+ --force \(100 tokens\) \+ max_new_tokens \(60\) needs 259 positions but the model holds 256; use --max-new-tokens 57 or less, or a shorter --force/,
    );
    expect(() => checkForcedLengths(100, 200, 1, 256)).toThrow(/shorten --force to at most 156 tokens/);
    expect(() => checkForcedLengths(256, 1, 1, 256)).toThrow(
      /the prompt alone fills them: shorten the prompt/,
    );
    expect(() => checkForcedLengths(100, 100, 57, 256)).not.toThrow();
  });
});
