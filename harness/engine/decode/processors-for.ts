import type { GenerationConfig } from './generation-config.ts';
import { createProcessorChain, type ProcessorChain } from './processors/processor-chain.ts';

/**
 * The HF processor chain a resolved config asks for (warpers only when sampling, as in HF). The
 * resolver has validated every value; the temperature goes in only when sampling, since 0 (greedy)
 * is a valid setting that no warper could take.
 */
export function processorsFor(config: GenerationConfig, sampling: boolean): ProcessorChain {
  return createProcessorChain({
    repetitionPenalty: config.repetition_penalty,
    noRepeatNgramSize: config.no_repeat_ngram_size,
    minNewTokens: config.min_new_tokens,
    eosTokenIds: config.eos_token_id,
    doSample: sampling,
    ...(sampling ? { temperature: config.temperature } : {}),
    topK: config.top_k,
    topP: config.top_p,
    minP: config.min_p,
    typicalP: config.typical_p,
    epsilonCutoff: config.epsilon_cutoff,
    etaCutoff: config.eta_cutoff,
  });
}

/**
 * transformers.js-compatible mode (rng 'mt19937'): its generate() runs only these processors before
 * its sampler, which applies top_k itself (see processors/transformers-js-sampler.ts).
 */
export function transformersJsProcessorsFor(config: GenerationConfig): ProcessorChain {
  return createProcessorChain({
    repetitionPenalty: config.repetition_penalty,
    noRepeatNgramSize: config.no_repeat_ngram_size,
    minNewTokens: config.min_new_tokens,
    eosTokenIds: config.eos_token_id,
    doSample: true,
    temperature: config.temperature,
  });
}
