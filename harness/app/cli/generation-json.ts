import type { BackendInfo } from '../../core/backend/contract.ts';
import type { DecodeResult, StepRecord } from '../../engine/decode/decode-result.ts';
import type { Tokenizer } from '../../engine/model/tokenizer.ts';
import { tokenLabel } from '../report/token-text.ts';

export const GENERATE_SCHEMA = 'decode-harness/generate@1';

/** What generated the logits: a model on a backend (a DecodeSession), or trace's toy distribution. */
export interface GenerationSubject {
  readonly model: { readonly name: string; readonly path: string | null };
  readonly source: { readonly info: BackendInfo };
  readonly tokenizer: Pick<Tokenizer, 'decode' | 'tokenText' | 'partialBytes'>;
}

/** A step with token texts beside its ids (partial UTF-8 bytes spelled `<0xE2>`). */
function stepJson(step: StepRecord, token: (id: number) => string) {
  const { walk, temperatures } = step;
  const withToken = <T extends { readonly id: number }>(row: T) => ({ ...row, token: token(row.id) });
  return {
    ...step,
    token: token(step.id),
    topTokens: step.top.map(([id]) => token(id)),
    ...(walk
      ? {
          walk: {
            ...walk,
            top: walk.top.map(withToken),
            ...(walk.chosenBeyond ? { chosenBeyond: withToken(walk.chosenBeyond) } : {}),
          },
        }
      : {}),
    ...(temperatures ? { temperatures: { ...temperatures, rows: temperatures.rows.map(withToken) } } : {}),
  };
}

/**
 * The `--json` object of generate and trace. Top-level `tokenIds`, `text`, `steps` and
 * `totalLogprob` are those of the first (best) sequence; `sequences` holds every returned one.
 * `processors` names the logits processors that ran, with their values.
 */
export function generationJson(
  session: GenerationSubject,
  result: DecodeResult,
  command: 'generate' | 'trace',
) {
  const token = (id: number) => tokenLabel(session.tokenizer, id);
  const sequences = result.sequences.map((s) => ({
    tokenIds: s.tokenIds,
    text: session.tokenizer.decode(s.tokenIds),
    totalLogprob: s.totalLogprob,
    finishReason: s.finishReason,
    steps: s.steps.map((step) => stepJson(step, token)),
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
    processors: result.processors.map((name) => ({
      name,
      value: result.config[name as keyof DecodeResult['config']],
    })),
    promptIds: result.promptIds,
    promptTokens: result.promptIds.map(token),
    ...(result.forcedIds ? { forcedIds: result.forcedIds } : {}),
    tokenIds: best.tokenIds,
    text: best.text,
    steps: best.steps,
    totalLogprob: best.totalLogprob,
    sequences,
    ...(result.beamSteps
      ? {
          beamSteps: result.beamSteps.map((step) => ({
            beams: step.beams.map((b) => ({ ...b, text: session.tokenizer.decode(b.tokenIds) })),
            candidates: step.candidates.map((c) => ({ ...c, token: token(c.id) })),
          })),
        }
      : {}),
    ...(result.hypotheses
      ? { hypotheses: result.hypotheses.map((h) => ({ ...h, text: session.tokenizer.decode(h.tokenIds) })) }
      : {}),
    timing: result.timing,
  };
}
