import { NumericError } from '../../../core/errors.ts';
import type { Rng } from '../../../core/rng/rng.ts';
import { sortPrefix } from '../candidate-order.ts';
import type { CoinChoice } from '../inverse-cdf.ts';

/**
 * transformers.js 4.3.1's own token choice for `generate({ do_sample: true })`, bit for bit, for the
 * transformers.js-compatible mode. Read from its dist (dist/transformers.node.mjs) and the src it is
 * built from (src/generation/logits_sampler.js, src/utils/maths.js, src/utils/random.js):
 *
 * MultinomialSampler.sample(logits):
 *   k = top_k > 0 ? min(top_k, vocab) : vocab
 *   [v, i] = await topk(logits, k)        ONNX TopK on the float32 row: descending, ties to lower index
 *   probabilities = softmax(v.data)       float32 exps, float64 sum, float32 quotients
 *   _weightedIndex(probabilities)         x = random.random() * Σp; x -= p[j] in order; first x < 0,
 *                                         else the last of the k
 * `random` is a module-global Python-compatible MT19937 (class Random; exported from the package as
 * `random`, reseeded with `random.seed(n)`, else seeded from crypto entropy at import). Each generated
 * token draws num_beams coins, of which generate() uses the first.
 *
 * Before the sampler, generate() runs _get_logits_processor in place on the float32 logits:
 * repetition_penalty, no_repeat_ngram_size, bad_words, min_length, min_new_tokens, ..., then (do_sample)
 * temperature. To reproduce it, run createProcessorChain({ doSample: true, repetitionPenalty,
 * noRepeatNgramSize, minNewTokens, eosTokenIds, temperature }) on a Float32Array row (each write
 * rounds to float32, as transformers.js's do), then call this with top_k.
 *
 * Where transformers.js differs from Hugging Face (the harness follows HF and reports these):
 * - top_p is ignored: TopPLogitsWarper is exported but has no _call and is never added to the chain;
 *   min_p does not exist (GenerationConfig drops unknown keys). typical_p is a field but unused.
 * - top_k keeps exactly k tokens (ties with the k-th beyond k are dropped by index), inside the
 *   sampler; HF's TopKLogitsWarper keeps every token tied with the k-th. Both default top_k to 50.
 * - probabilities are float32 and the coin is compared by repeated subtraction, whose rounding
 *   fallback can return the last of the k even when its probability is 0 (a filtered token when
 *   top_k is 0); HF samples with torch.multinomial on torch's own generator.
 * - temperature ≤ 0 is not rejected (TemperatureLogitsWarper builds the error message but never
 *   throws); temperature 0 with do_sample silently switches to greedy.
 * - num_beams > 1 has no beam search: the first of the sampler's candidates is taken.
 */
export function transformersJsChoice(scores: Float32Array, topK: number, rng: Rng): CoinChoice {
  const vocab = scores.length;
  const k = topK > 0 ? Math.min(topK, vocab) : vocab;
  const ids = new Int32Array(vocab);
  for (let i = 0; i < vocab; i++) ids[i] = i;
  const values = Float32Array.from(scores); // sortPrefix permutes its keys
  sortPrefix(ids, values, 0, vocab, k);

  const max = values[0]!; // maths.js max() of a descending list
  if (!Number.isFinite(max)) {
    throw new NumericError(`the best score is ${max}; transformers.js would sample NaN probabilities`);
  }
  const probs = new Float32Array(k); // softmax(): exps stored as float32, sum in float64
  let sumExps = 0;
  for (let r = 0; r < k; r++) {
    probs[r] = Math.exp(values[r]! - max);
    sumExps += probs[r]!;
  }
  for (let r = 0; r < k; r++) probs[r] = probs[r]! / sumExps;

  let total = 0; // _weightedIndexWith(): Σ weights in float64
  for (let r = 0; r < k; r++) total += probs[r]!;
  const coin = rng.next();
  let x = coin * total;
  let pick = k - 1;
  for (let r = 0; r < k; r++) {
    x -= probs[r]!;
    if (x < 0) {
      pick = r;
      break;
    }
  }
  // The interval in coin units, by summation: equal to the walk's subtraction up to rounding.
  let before = 0;
  for (let r = 0; r < pick; r++) before += probs[r]!;
  return { id: ids[pick]!, coin, cdfLow: before / total, cdfHigh: (before + probs[pick]!) / total };
}
