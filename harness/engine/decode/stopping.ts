import type { FinishReason } from './decode-result.ts';
import type { GenerationConfig } from './generation-config.ts';

/** Turns ids into text; needed only for stop strings. */
export type TextOf = (ids: readonly number[]) => string;

/**
 * Why a sequence stops after emitting its latest token, or null to go on. max_new_tokens is the
 * loop's own bound. A stop string counts when it completes inside the latest token's text (it may
 * also extend past the string's end), so a stop string split across tokens is still caught once.
 */
export function stopAfter(
  config: GenerationConfig,
  generated: readonly number[],
  textOf: TextOf | undefined,
): FinishReason | null {
  const last = generated[generated.length - 1]!;
  if (config.eos_token_id.includes(last)) return 'eos';
  if (config.stop_strings.length === 0) return null;
  if (!textOf) throw new Error('stop_strings need a tokenizer to decode the continuation');
  const text = textOf(generated);
  const before = textOf(generated.slice(0, -1)).length;
  for (const stop of config.stop_strings) {
    const at = text.lastIndexOf(stop);
    if (at !== -1 && at + stop.length > before) return 'stop_string';
  }
  return null;
}
