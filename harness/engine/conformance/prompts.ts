/**
 * Fixture prompts for conformance: different lengths (so batches need padding), a single token,
 * newlines, unicode and the end-of-text marker, so masks, positions and the byte-level vocabulary
 * are all exercised.
 */
export const CONFORMANCE_PROMPTS: readonly string[] = [
  'The quick brown fox jumps over the lazy dog.',
  'Hello',
  'Once upon a time,\nthere was a model that decoded one token at a time',
  'Café résumé naïve — 東京 🚀 <|endoftext|> fin',
];
