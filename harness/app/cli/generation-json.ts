import type { DecodeResult } from '../../engine/decode/decode-result.ts';
import type { Tokenizer } from '../../engine/model/tokenizer.ts';
import type { DecodeSession } from './decode-session.ts';

export const GENERATE_SCHEMA = 'decode-harness/generate@1';

/**
 * The `--json` object of generate and trace. Top-level `tokenIds`, `text`, `steps` and
 * `totalLogprob` are those of the first (best) sequence; `sequences` holds every returned one.
 */
export function generationJson(session: DecodeSession, result: DecodeResult, command: 'generate' | 'trace') {
  const sequences = result.sequences.map((s) => ({
    tokenIds: s.tokenIds,
    text: session.tokenizer.decode(s.tokenIds),
    totalLogprob: s.totalLogprob,
    finishReason: s.finishReason,
    steps: s.steps,
    ...(s.score === undefined ? {} : { score: s.score }),
  }));
  const best = sequences[0]!;
  return {
    schema: GENERATE_SCHEMA,
    command,
    model: { name: session.model.name, path: session.model.path },
    backend: session.source.info,
    strategy: result.strategy,
    config: result.config,
    promptIds: result.promptIds,
    promptTokens: result.promptIds.map((id) => session.tokenizer.tokenText(id)),
    tokenIds: best.tokenIds,
    text: best.text,
    steps: best.steps,
    totalLogprob: best.totalLogprob,
    sequences,
    ...(result.beamSteps ? { beamSteps: result.beamSteps } : {}),
    timing: result.timing,
  };
}

/** `[The][ quick]` — the exact token document with boundaries marked. */
export function markedTokens(tokenizer: Tokenizer, ids: readonly number[]): string {
  return ids.map((id) => `[${tokenizer.tokenText(id)}]`).join('');
}
